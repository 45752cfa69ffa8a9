// One packet across devices (issue 19), on this host's real kernel: a pod
// namespace behind a bridge in a router namespace that forwards and
// masquerades to an uplink veth into a remote namespace (and a VXLAN overlay
// over that uplink). Every datagram the pod sends is one record, with the
// pod's process and syscall, through all its devices; no second record for
// the forwarded copy; the records that left through the uplink are as many as
// the uplink's own tx_packets counter says.
//
// The hops themselves (Packet::hops) come from the trace reader of format 1.3
// (the hopsview branch); with an older reader the hop assertions are skipped
// (GTEST_SKIP), the rest still runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "harness.h"

using namespace txray;
using namespace txray::test;

namespace {

// pod (P) --veth--> bridge in router (R) --forward, masquerade--> uplink veth
// --> remote (X). Addresses 10.<n>.1.0/24 (pod side), 10.<n>.2.0/24 (uplink),
// 10.<n>.3.0/24 (the VXLAN overlay, when asked). IPv6 off: no stray
// autoconfiguration traffic in the counts. Removed on destruction.
struct ForwardTopology {
    std::string tag, pod, router, remote;
    std::string pod_if, bridge, uplink, vxlan;
    std::string net;  // "10.<n>"

    explicit ForwardTopology(bool with_vxlan) {
        const std::string id = std::to_string(getpid() % 150 + 100);
        tag = std::to_string(getpid());
        pod = "txhops-p-" + tag, router = "txhops-r-" + tag, remote = "txhops-x-" + tag;
        pod_if = "txhp" + id, bridge = "txhb" + id, uplink = "txhu" + id, vxlan = "txhv" + id;
        net = "10." + id;
        const std::string peer = "txhq" + id, down = "txhd" + id;
        std::string s = "set -e; ";
        for (const std::string& ns : {pod, router, remote})
            s += "ip netns add " + ns + "; ip netns exec " + ns +
                 " sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1'; ip -n " +
                 ns + " link set lo up; ";
        s += "ip link add " + pod_if + " netns " + pod + " type veth peer name " + peer + " netns " + router + "; ";
        s += "ip link add " + uplink + " netns " + router + " type veth peer name " + down + " netns " + remote + "; ";
        s += "ip -n " + router + " link add " + bridge + " type bridge; ip -n " + router + " link set " + peer +
             " master " + bridge + "; ";
        s += "ip -n " + pod + " addr add " + net + ".1.2/24 dev " + pod_if + "; ";
        s += "ip -n " + router + " addr add " + net + ".1.1/24 dev " + bridge + "; ";
        s += "ip -n " + router + " addr add " + net + ".2.1/24 dev " + uplink + "; ";
        s += "ip -n " + remote + " addr add " + net + ".2.2/24 dev " + down + "; ";
        for (const auto& [ns, dev] : {std::pair{pod, pod_if}, {router, peer}, {router, bridge}, {router, uplink},
                                      {remote, down}})
            s += "ip -n " + ns + " link set " + dev + " up; ";
        s += "ip -n " + pod + " route add default via " + net + ".1.1; ";
        s += "ip netns exec " + router + " sysctl -qw net.ipv4.ip_forward=1; ";
        s += "echo 'table ip txhops { chain post { type nat hook postrouting priority 100; oifname \"" + uplink +
             "\" masquerade; }; }' | ip netns exec " + router + " nft -f -; ";
        if (with_vxlan) {
            s += "ip -n " + router + " link add " + vxlan + " type vxlan id 42 local " + net + ".2.1 remote " + net +
                 ".2.2 dstport 4789 dev " + uplink + "; ";
            s += "ip -n " + remote + " link add txhw" + id + " type vxlan id 42 local " + net + ".2.2 remote " + net +
                 ".2.1 dstport 4789 dev " + down + "; ";
            s += "ip -n " + router + " addr add " + net + ".3.1/24 dev " + vxlan + "; ip -n " + router +
                 " link set " + vxlan + " up; ";
            s += "ip -n " + remote + " addr add " + net + ".3.2/24 dev txhw" + id + "; ip -n " + remote +
                 " link set txhw" + id + " up; ";
        }
        RunResult r = run(s);
        if (r.status != 0) {
            remove();
            throw std::runtime_error("cannot set up the forwarding topology: " + r.out);
        }
        // Resolve the neighbours now (ARP is not what the test counts).
        run("ip netns exec " + pod + " ping -c1 -W2 " + net + ".2.2 >/dev/null 2>&1");
        if (with_vxlan) run("ip netns exec " + pod + " ping -c1 -W2 " + net + ".3.2 >/dev/null 2>&1");
    }
    ~ForwardTopology() { remove(); }
    void remove() {
        for (const std::string& ns : {pod, router, remote}) run("ip netns del " + ns + " 2>/dev/null");
    }
    std::uint64_t uplink_tx() const {
        RunResult r = run("ip netns exec " + router + " cat /sys/class/net/" + uplink + "/statistics/tx_packets");
        return std::stoull(r.out);
    }
};

int count_stage(const Packet& p, Stage s) {
    int n = 0;
    for (const StageMark& m : p.stages) n += m.stage == s;
    return n;
}

// The recorder writes 1.3 (hops) since both halves of issue 19 landed.
bool hops_readable(const Trace& t) {
    return t.header.version_major > 1 || (t.header.version_major == 1 && t.header.version_minor >= 3);
}

// Whether a record left through device `dev` (on any hop).
bool left_through(const Packet& p, const std::string& dev) {
    for (const Hop& h : p.hops)
        if (h.ifname == dev) return true;
    return false;
}

// The pod's datagrams to `port` (ours), records of the same flow that are not
// ours, or of VXLAN's port (a forwarded or encapsulated copy recorded apart:
// orphans), and records that left through the uplink.
struct Tally {
    int orphans = 0, via_uplink = 0;
    std::vector<const Packet*> ours;
};
Tally tally(const Trace& t, int port, const std::string& uplink) {
    Tally n;
    for (const Packet& p : t.packets) {
        const bool udp = p.flow.proto == 17;
        const bool ours = udp && p.flow.dport == port && p.comm == "txray-testsend";
        n.orphans += !ours && udp && (p.flow.dport == port || p.flow.dport == 4789);
        n.via_uplink += left_through(p, uplink);
        if (ours) n.ours.push_back(&p);
    }
    return n;
}

struct Recorded {
    Trace trace;
    std::uint64_t uplink_sent = 0;
    std::string log;
};

// Records while the pod sends `count` datagrams to `to`:`port`, read by a
// receiver in the remote namespace; the uplink's counter around it.
Recorded record_pod_datagrams(const ForwardTopology& topo, const std::string& to, int port, int count) {
    Recorded out;
    // Per port: a trace of an earlier test in this process would pass for the header.
    const std::string dir = scratch_dir(), name = dir + "/hops-" + std::to_string(port);
    const std::string trace = name + ".json", log = name + ".log";
    Child recv({"/usr/sbin/ip", "netns", "exec", topo.remote, testsend_bin(), "recv", "--port",
                std::to_string(port), "--seconds", "6"},
               name + "-recv.log");
    Child rec({txray_bin(), "record", "-o", trace}, log);
    EXPECT_TRUE(wait_for_header(trace)) << read_file(log);
    const std::uint64_t before = topo.uplink_tx();
    RunResult s = run("ip netns exec " + topo.pod + " " + testsend_bin() + " send --to " + to + " --port " +
                      std::to_string(port) + " --way sendto --count " + std::to_string(count) + " --size 100");
    EXPECT_EQ(s.status, 0) << s.out;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    out.uplink_sent = topo.uplink_tx() - before;
    EXPECT_EQ(rec.interrupt_and_wait(), 0) << read_file(log);
    recv.wait(15);
    const std::string got = read_file(name + "-recv.log");
    EXPECT_NE(got.find(std::to_string(port) + " " + std::to_string(count) + " "), std::string::npos)
        << "the remote namespace received every datagram: " << got;
    out.trace = load_trace(trace);
    out.log = read_file(log);
    EXPECT_TRUE(out.trace.status.error.empty()) << out.trace.status.summary();
    return out;
}

class Hops : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs";
        if (run("command -v nft >/dev/null").status != 0) GTEST_SKIP() << "needs nft (scripts/setup-debian.sh --tests)";
    }
};

}  // namespace

TEST_F(Hops, PodDatagramIsOneRecordThroughBridgeForwardingAndMasquerade) {
    ForwardTopology topo(false);
    const int port = 9340, count = 40;
    Recorded r = record_pod_datagrams(topo, topo.net + ".2.2", port, count);
    const Tally n = tally(r.trace, port, topo.uplink);
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        EXPECT_EQ(p->outcome_string(), "sent");
        EXPECT_NE(p->send_id, 0u) << "the pod's syscall stays attached";
        EXPECT_NE(p->find(Stage::sendmsg), nullptr);
        EXPECT_EQ(p->ifname, topo.pod_if) << "top level: the first device";
        EXPECT_EQ(count_stage(*p, Stage::dev_queue_xmit), 2) << "queued on the pod's veth, then on the uplink";
        EXPECT_EQ(count_stage(*p, Stage::netif_receive), 1) << "received once after the pod's hand-off";
        EXPECT_EQ(count_stage(*p, Stage::xmit_done), 2);
    }
    EXPECT_EQ(n.ours.size(), static_cast<std::size_t>(count)) << "every datagram once";
    EXPECT_EQ(n.orphans, 0) << "no second record for the forwarded copy";
    EXPECT_EQ(static_cast<std::uint64_t>(n.via_uplink), r.uplink_sent) << "records through the uplink = its tx_packets";

    ASSERT_TRUE(hops_readable(r.trace)) << "the recorder writes format 1.3 (hops)";
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        ASSERT_EQ(p->hops.size(), 3u);
        EXPECT_EQ(p->hops[0].ifname, topo.pod_if);
        EXPECT_EQ(p->hops[1].ifname, topo.bridge) << "passed up to the bridge";
        EXPECT_EQ(p->hops[2].ifname, topo.uplink);
        ASSERT_TRUE(p->hops[2].flow.has_value()) << "masqueraded on the uplink";
        EXPECT_EQ(addr_to_string(4, p->hops[2].flow->saddr), topo.net + ".2.1");
        EXPECT_EQ(addr_to_string(4, p->flow.saddr), topo.net + ".1.2") << "top level: the pod's own source";
        for (const StageMark& m : p->stages) {
            EXPECT_TRUE(m.stage != Stage::netif_receive || m.hop == 1);
        }
        EXPECT_NE(p->hops[0].netns, p->hops[2].netns);
    }
}

TEST_F(Hops, VxlanOverlayIsOneRecordWithTheOuterFlowOnTheUnderlay) {
    ForwardTopology topo(true);
    const int port = 9341, count = 30;
    Recorded r = record_pod_datagrams(topo, topo.net + ".3.2", port, count);
    const Tally n = tally(r.trace, port, topo.uplink);
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        EXPECT_EQ(p->outcome_string(), "sent");
        EXPECT_NE(p->send_id, 0u);
        EXPECT_EQ(count_stage(*p, Stage::dev_queue_xmit), 3) << "pod veth, the VXLAN device, the underlay";
    }
    EXPECT_EQ(n.ours.size(), static_cast<std::size_t>(count));
    EXPECT_EQ(n.orphans, 0) << "no separate record for the encapsulated packet";
    EXPECT_EQ(static_cast<std::uint64_t>(n.via_uplink), r.uplink_sent);

    ASSERT_TRUE(hops_readable(r.trace)) << "the recorder writes format 1.3 (hops)";
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        ASSERT_EQ(p->hops.size(), 4u);
        EXPECT_EQ(p->hops[2].ifname, topo.vxlan);
        EXPECT_EQ(p->hops[3].ifname, topo.uplink);
        ASSERT_TRUE(p->hops[3].flow.has_value());
        EXPECT_EQ(p->hops[3].flow->proto, 17);
        EXPECT_EQ(p->hops[3].flow->dport, 4789) << "the outer UDP flow";
    }
}
