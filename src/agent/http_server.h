// The agent's HTTP endpoint: GET/HEAD /metrics only, from civetweb (Debian's
// libcivetweb-dev): a fixed pool of worker threads behind a bounded queue of
// accepted connections, a bounded request size, and a request timeout, so a
// slow, vanished or hostile client holds one worker for a bounded time and
// blocks nothing else (the metrics are rendered by the agent's loop, not by
// the request).
#pragma once
#include <functional>
#include <memory>
#include <string>

struct mg_context;
struct mg_connection;

namespace txray {

struct HttpOptions {
    std::string listen = "127.0.0.1:9489";  // ADDR:PORT; [v6]:PORT
    int threads = 4;                         // workers
    int queue = 16;                          // accepted connections waiting for a worker
    int request_timeout_ms = 5000;           // reading a request, writing a response
    int max_request_bytes = 8192;            // request line + headers (no body is read)
};

class MetricsServer {
public:
    using Body = std::function<std::shared_ptr<const std::string>()>;
    // Listens now; throws TxrayError with one line if it cannot.
    MetricsServer(const HttpOptions& opt, Body body);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;
    const std::string& listening() const { return listening_; }

private:
    static int handle(mg_connection* conn, void* self);
    Body body_;
    std::string listening_;
    mg_context* ctx_ = nullptr;
};

// "ADDR:PORT" -> civetweb's listening_ports form ("127.0.0.1:9489",
// "[::1]:9489"); throws TxrayError on anything else.
std::string civetweb_listen(const std::string& addr_port);

}  // namespace txray
