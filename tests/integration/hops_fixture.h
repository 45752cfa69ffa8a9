// The hops tests' questions about the pod topology (pod_topology.h):
// recording the pod's datagrams and counting what the trace says about them.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pod_topology.h"

namespace txray::test {

// The pod's datagrams to `port` (ours), records of the same flow that are not
// ours, or of VXLAN's port (a forwarded or encapsulated copy recorded apart:
// orphans), and records that left through the uplink.
struct Tally {
    int orphans = 0, via_uplink = 0;
    std::vector<const Packet*> ours;
};
Tally tally(const Trace& t, int port, const std::string& uplink);

// A receiver of UDP `port` in the remote namespace for `seconds` (its log
// `log`: "PORT COUNT ..." at its end), started and ready.
std::unique_ptr<Child> start_remote_receiver(const ForwardTopology& topo, int port, int seconds,
                                             const std::string& log);

// Records (`txray record` with `record_args` added, run in namespace
// `record_netns` if given: --iface names a device there) while the pod sends
// `count` datagrams to `to`:`port`, read by a receiver in the remote
// namespace; the uplink's counter around it.
Recorded record_pod_datagrams(const ForwardTopology& topo, const std::string& to, int port, int count,
                              const std::vector<std::string>& record_args = {}, const std::string& record_netns = "");

// Root and nft (the masquerade), else skipped.
class HopsTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs";
        if (run("command -v nft >/dev/null").status != 0) GTEST_SKIP() << "needs nft (scripts/setup-debian.sh --tests)";
    }
};

}  // namespace txray::test
