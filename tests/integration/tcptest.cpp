// txray-tcptest: a TCP bulk sender and sink for the integration tests.
//
//   txray-tcptest sink --port P --seconds S [--once] prints "received BYTES"
//                  (--once, last: done once its first connection closed; S bounds it)
//   txray-tcptest send --to ADDR --port P --bytes N --write W   prints "sent BYTES in K writes"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& m) {
    std::fprintf(stderr, "txray-tcptest: %s: %s\n", m.c_str(), std::strerror(errno));
    std::exit(2);
}

std::string opt(int argc, char** argv, const std::string& name, const std::string& dflt = "") {
    for (int i = 2; i + 1 < argc; i += 2)
        if (name == argv[i]) return argv[i + 1];
    return dflt;
}

sockaddr_storage address(const std::string& host, int port, socklen_t& len) {
    sockaddr_storage ss{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET, v4->sin_port = htons(port), len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6, v6->sin6_port = htons(port), len = sizeof *v6;
    } else {
        errno = EINVAL;
        die("bad address " + host);
    }
    return ss;
}

int sink(int argc, char** argv) {
    const int port = std::atoi(opt(argc, argv, "--port").c_str());
    const double seconds = std::atof(opt(argc, argv, "--seconds", "10").c_str());
    // --once: done when its first connection has closed (S: the upper bound)
    bool once = false;
    for (int i = 2; i < argc; ++i) once |= std::string(argv[i]) == "--once";
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    int zero = 0, one = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t len;
    sockaddr_storage ss = address("::", port, len);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) || listen(fd, 4)) die("bind/listen");
    std::printf("ready\n");
    std::fflush(stdout);
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    long total = 0;
    std::vector<pollfd> fds{{fd, POLLIN, 0}};
    std::vector<char> buf(1 << 16);
    bool closed = false;
    while (std::chrono::steady_clock::now() < end && !(once && closed)) {
        if (poll(fds.data(), fds.size(), 50) <= 0) continue;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
            if (i == 0) {
                int c = accept(fd, nullptr, nullptr);
                if (c >= 0) fds.push_back({c, POLLIN, 0});
                continue;
            }
            long n = read(fds[i].fd, buf.data(), buf.size());
            if (n > 0) total += n;
            else close(fds[i].fd), fds[i].fd = -1, closed = true;
        }
    }
    std::printf("received %ld\n", total);
    return 0;
}

int send_mode(int argc, char** argv) {
    const long bytes = std::atol(opt(argc, argv, "--bytes", "65536").c_str());
    const long write_size = std::atol(opt(argc, argv, "--write", "65536").c_str());
    socklen_t len;
    sockaddr_storage dst = address(opt(argc, argv, "--to"), std::atoi(opt(argc, argv, "--port").c_str()), len);
    int fd = socket(dst.ss_family, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&dst), len)) die("connect");
    std::vector<char> buf(write_size, 'y');
    long sent = 0, writes = 0;
    while (sent < bytes) {
        long n = write(fd, buf.data(), std::min(write_size, bytes - sent));
        if (n <= 0) die("write");
        sent += n, ++writes;
    }
    shutdown(fd, SHUT_WR);
    // Wait for the peer to close, so every byte was acknowledged.
    char c;
    while (read(fd, &c, 1) > 0) {
    }
    close(fd);
    std::printf("sent %ld in %ld writes\n", sent, writes);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        errno = EINVAL;
        die("usage: txray-tcptest sink|send ...");
    }
    std::string mode = argv[1];
    if (mode == "sink") return sink(argc, argv);
    if (mode == "send") return send_mode(argc, argv);
    errno = EINVAL;
    die("mode must be sink or send");
}
