// The cross-device fixtures (issue 19) shared by the hops tests: a pod
// namespace behind a bridge in a router namespace that forwards and
// masquerades to an uplink veth into a remote namespace, optionally with a
// VXLAN overlay over that uplink; recording the pod's datagrams and counting
// what the trace says about them.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "harness.h"

namespace txray::test {

// pod (P) --veth--> bridge in router (R) --forward, masquerade--> uplink veth
// --> remote (X). Addresses 10.<n>.1.0/24 (pod side), 10.<n>.2.0/24 (uplink),
// 10.<n>.3.0/24 (the VXLAN overlay, when asked). IPv6 off: no stray
// autoconfiguration traffic in the counts. Removed on destruction.
struct ForwardTopology {
    std::string tag, pod, router, remote;
    std::string pod_if, bridge, uplink, vxlan;
    std::string net;  // "10.<n>"

    explicit ForwardTopology(bool with_vxlan);
    ~ForwardTopology() { remove(); }
    ForwardTopology(const ForwardTopology&) = delete;
    ForwardTopology& operator=(const ForwardTopology&) = delete;
    void remove();
    std::uint64_t uplink_tx() const;  // the uplink's tx_packets counter
};

int count_stage(const Packet& p, Stage s);

// The recorder writes 1.3 (hops) since both halves of issue 19 landed.
bool hops_readable(const Trace& t);

// Whether a record left through device `dev` (on any hop).
bool left_through(const Packet& p, const std::string& dev);

// The pod's datagrams to `port` (ours), records of the same flow that are not
// ours, or of VXLAN's port (a forwarded or encapsulated copy recorded apart:
// orphans), and records that left through the uplink.
struct Tally {
    int orphans = 0, via_uplink = 0;
    std::vector<const Packet*> ours;
};
Tally tally(const Trace& t, int port, const std::string& uplink);

struct Recorded {
    Trace trace;
    std::uint64_t uplink_sent = 0;
    std::string log;
};

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
