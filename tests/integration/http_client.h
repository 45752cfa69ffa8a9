// A minimal HTTP/1.1 client on 127.0.0.1 for the agent tests: raw requests
// (hostile ones too), one connection each, bounded by a timeout.
#pragma once
#include <string>

namespace txray::test {

struct HttpReply {
    int status = -1;   // -1: no reply (refused, closed, timed out)
    std::string head;  // status line and headers
    std::string body;
};

// Sends `raw` as is to 127.0.0.1:port and reads the reply until the server
// closes (or timeout_s passes).
HttpReply http_raw(int port, const std::string& raw, double timeout_s = 10);
HttpReply http_request(int port, const std::string& method, const std::string& target, double timeout_s = 10);
// GET of a Prometheus HTTP API query: the reply's JSON.
std::string prometheus_query(int port, const std::string& promql);
// "%xx" encoding for a query string.
std::string url_encode(const std::string& s);
// The value of the series `name_and_labels` in an exposition (NaN: absent).
double metric(const std::string& text, const std::string& name_and_labels);
// A TCP port on 127.0.0.1 free right now.
int free_port();

}  // namespace txray::test
