#include "http_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <fmt/format.h>

#include <charconv>
#include <cstring>

#include "bpfload/session.h"

namespace txray {

std::string civetweb_listen(const std::string& addr_port) {
    const auto colon = addr_port.rfind(':');
    if (colon == std::string::npos || colon == 0) throw TxrayError("--listen: ADDR:PORT expected, not " + addr_port);
    std::string addr = addr_port.substr(0, colon);
    const std::string port_s = addr_port.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
    if (ec != std::errc{} || end != port_s.data() + port_s.size() || port == 0 || port > 65535)
        throw TxrayError("--listen: bad port in " + addr_port);
    unsigned char buf[16];
    const bool v6 = addr.size() > 2 && addr.front() == '[' && addr.back() == ']';
    if (v6) {
        if (inet_pton(AF_INET6, addr.substr(1, addr.size() - 2).c_str(), buf) != 1)
            throw TxrayError("--listen: not an IPv6 address: " + addr);
        return fmt::format("{}:{}", addr, port);  // civetweb reads "[::1]:9489" (with IPv6 built in)
    }
    if (inet_pton(AF_INET, addr.c_str(), buf) != 1)
        throw TxrayError("--listen: not an IPv4 address (or [IPv6]): " + addr);
    return fmt::format("{}:{}", addr, port);
}

namespace {

void reply(mg_connection* conn, int status, const char* reason, const char* extra, std::string_view body, bool head) {
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n", status,
              reason, status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8",
              body.size(), extra);
    if (!head && !body.empty()) mg_write(conn, body.data(), body.size());
}

}  // namespace

int MetricsServer::handle(mg_connection* conn, void* self) {
    const mg_request_info* ri = mg_get_request_info(conn);
    const bool get = ri->request_method && std::strcmp(ri->request_method, "GET") == 0;
    const bool head = ri->request_method && std::strcmp(ri->request_method, "HEAD") == 0;
    if (!get && !head) {
        reply(conn, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", "only GET and HEAD\n", false);
        return 405;
    }
    if (!ri->local_uri || std::strcmp(ri->local_uri, "/metrics") != 0) {
        reply(conn, 404, "Not Found", "", "txray agent: metrics are at /metrics\n", head);
        return 404;
    }
    auto body = static_cast<MetricsServer*>(self)->body_();
    reply(conn, 200, "OK", "", body ? std::string_view(*body) : std::string_view(), head);
    return 200;
}

MetricsServer::MetricsServer(const HttpOptions& opt, Body body) : body_(std::move(body)) {
    listening_ = civetweb_listen(opt.listen);
    const std::string threads = std::to_string(opt.threads), queue = std::to_string(opt.queue),
                      timeout = std::to_string(opt.request_timeout_ms), max_req = std::to_string(opt.max_request_bytes);
    // No document_root: civetweb serves no file; every request comes to handle().
    // No linger_timeout_ms: 0 made close() abortive (an RST that discarded
    // the reply's unsent bytes: scrapes of more than a socket buffer, ~130 kB
    // in capture mode with a few interfaces, were cut off).
    const char* options[] = {"listening_ports", listening_.c_str(),
                             "num_threads", threads.c_str(),
                             "connection_queue", queue.c_str(),
                             "request_timeout_ms", timeout.c_str(),
                             "max_request_size", max_req.c_str(),
                             "enable_keep_alive", "no",
                             nullptr};
    mg_callbacks cb{};
    // civetweb logs a refused bind here; keep its message for ours.
    static thread_local std::string last_log;
    cb.log_message = [](const mg_connection*, const char* msg) {
        last_log = msg;
        return 1;
    };
    mg_init_library(0);
    ctx_ = mg_start(&cb, this, options);
    if (!ctx_) {
        mg_exit_library();
        throw TxrayError("cannot listen on " + opt.listen + (last_log.empty() ? "" : ": " + last_log));
    }
    mg_set_request_handler(ctx_, "/", &MetricsServer::handle, this);
}

MetricsServer::~MetricsServer() {
    if (ctx_) mg_stop(ctx_);  // joins the workers: no request runs after this
    mg_exit_library();
}

}  // namespace txray
