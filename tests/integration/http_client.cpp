#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace txray::test {

namespace {

int connect_local(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

HttpReply http_raw(int port, const std::string& raw, double timeout_s) {
    HttpReply r;
    const int fd = connect_local(port);
    if (fd < 0) return r;
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    auto left_ms = [&] {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
        return ms > 0 ? static_cast<int>(ms) : 0;
    };
    std::size_t sent = 0;
    while (sent < raw.size()) {
        pollfd p{fd, POLLOUT, 0};
        if (poll(&p, 1, left_ms()) <= 0) break;
        ssize_t n = send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may refuse the rest: read what it said
        sent += static_cast<std::size_t>(n);
    }
    std::string in;
    char buf[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, left_ms()) <= 0) break;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    const auto split = in.find("\r\n\r\n");
    if (in.rfind("HTTP/1.", 0) != 0 || split == std::string::npos) return r;
    r.head = in.substr(0, split);
    r.body = in.substr(split + 4);
    std::sscanf(in.c_str(), "HTTP/1.%*d %d", &r.status);
    return r;
}

HttpReply http_request(int port, const std::string& method, const std::string& target, double timeout_s) {
    return http_raw(port, method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout_s);
}

std::string url_encode(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char b[4];
            std::snprintf(b, sizeof b, "%%%02X", c);
            out += b;
        }
    }
    return out;
}

std::string prometheus_query(int port, const std::string& promql) {
    return http_request(port, "GET", "/api/v1/query?query=" + url_encode(promql)).body;
}

double metric(const std::string& text, const std::string& name_and_labels) {
    const auto pos = text.find("\n" + name_and_labels + " ");
    if (pos == std::string::npos) return std::nan("");
    return std::stod(text.substr(pos + name_and_labels.size() + 2));
}

int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

}  // namespace txray::test
