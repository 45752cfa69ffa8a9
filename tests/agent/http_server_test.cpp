// The agent's HTTP endpoint with a large exposition: every byte reaches the
// client (the server closes gracefully; an abortive close, SO_LINGER 0,
// discarded what the socket had not sent yet). No root, no BPF.
#include "http_server.h"

#include <gtest/gtest.h>

#include "http_client.h"

namespace txray {
namespace {

TEST(MetricsServer, ALargeReplyArrivesWhole) {
    auto text = std::make_shared<const std::string>(std::string(3 << 20, 'x') + "\n");
    HttpOptions o;
    const int port = test::free_port();
    o.listen = "127.0.0.1:" + std::to_string(port);
    MetricsServer server(o, [text] { return text; });
    for (int i = 0; i < 3; ++i) {
        test::HttpReply r = test::http_request(port, "GET", "/metrics", 30);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body.size(), text->size());
    }
}

}  // namespace
}  // namespace txray
