// Filters across devices (issue 19, item 4), on this host's real kernel: the
// kernel's --iface and tcpdump expression match a packet on any of its hops,
// not only on its first device. A pod's datagram recorded with --iface
// <uplink>, with 'udp port 4789' (a VXLAN overlay's outer headers) or with an
// expression on the masqueraded source is kept, whole, from the pod's send
// on; a packet no hop matches is left out. The independent count is the
// uplink's own tx_packets counter. The lean summary (`live --summary`, item
// 5) counts a stacked device's lower device in that device's rows, and its
// --iface too matches the lower device.
// Fixtures: hops_fixture.h.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hops_fixture.h"

using namespace txray;
using namespace txray::test;

namespace {

using HopsFilter = HopsTest;

// Whether some hop (the first included) left with UDP destination port `port`.
bool some_hop_has_dport(const Packet& p, int port) {
    if (p.flow.dport == port) return true;
    for (const Hop& h : p.hops)
        if (h.flow && h.flow->dport == port) return true;
    return false;
}

// Every record in the trace is one of the pod's datagrams (its own process
// and send), sent, from the pod's veth on.
void expect_only_pod_datagrams(const Recorded& r, const Tally& n, const ForwardTopology& topo, int count) {
    EXPECT_EQ(n.ours.size(), static_cast<std::size_t>(count)) << "every datagram kept\n" << r.log;
    EXPECT_EQ(r.trace.packets.size(), n.ours.size()) << "nothing else";
    EXPECT_EQ(n.orphans, 0);
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        EXPECT_EQ(p->outcome_string(), "sent");
        EXPECT_NE(p->send_id, 0u) << "the pod's syscall stays attached";
        EXPECT_EQ(p->ifname, topo.pod_if) << "top level: the first device";
    }
}

// `live --summary`'s per-device rows: the COUNT of stage `stage` in the rows
// of device `dev`, over all the ticks.
long device_row_count(const std::string& text, const std::string& stage, const std::string& dev) {
    std::istringstream in(text);
    std::string line;
    long sum = 0;
    while (std::getline(in, line)) {
        std::istringstream row(line);
        std::string name, last, word;
        long count = 0;
        if (line.rfind("  ", 0) != 0 || !(row >> name >> count) || name != stage) continue;
        while (row >> word) last = word;
        if (last == dev) sum += count;
    }
    return sum;
}

// The totals' rows of stage `stage` (5 fields, no DEVICE column), summed over
// all the ticks.
long total_row_count(const std::string& text, const std::string& stage) {
    std::istringstream in(text);
    std::string line;
    long sum = 0;
    while (std::getline(in, line)) {
        std::istringstream row(line);
        std::string name, word;
        long count = 0;
        int fields = 0;
        if (line.rfind("  ", 0) != 0 || !(row >> name >> count) || name != stage) continue;
        for (fields = 2; row >> word;) ++fields;
        if (fields == 5) sum += count;
    }
    return sum;
}

// `live --summary` with `filters` (run in namespace `ns`, "" for the host's)
// while the pod sends `count` datagrams over the VXLAN overlay: its text, and
// how many packets the uplink sent meanwhile (its own counter).
struct LeanRun {
    std::string text;
    std::uint64_t sent = 0;
};
LeanRun lean_summary_over_overlay(const ForwardTopology& topo, int port, int count,
                                  const std::vector<std::string>& filters, const std::string& ns) {
    const std::string log = scratch_dir() + "/hops-lean-" + std::to_string(port) + ".log";
    Child recv({"/usr/sbin/ip", "netns", "exec", topo.remote, testsend_bin(), "recv", "--port", std::to_string(port),
                "--seconds", "6"},
               scratch_dir() + "/hops-lean-recv.log");
    std::vector<std::string> argv;
    if (!ns.empty()) argv = {"/usr/sbin/ip", "netns", "exec", ns};
    for (const std::string& a : {txray_bin(), std::string("live"), std::string("--summary")}) argv.push_back(a);
    argv.insert(argv.end(), filters.begin(), filters.end());
    argv.insert(argv.end(), {"--duration", "5"});
    Child live(argv, log);
    for (int i = 0; i < 200 && read_file(log).find("Ctrl-C") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::uint64_t before = topo.uplink_tx();
    RunResult s = run("ip netns exec " + topo.pod + " " + testsend_bin() + " send --to " + topo.net + ".3.2 --port " +
                      std::to_string(port) + " --way sendto --count " + std::to_string(count) + " --size 100");
    EXPECT_EQ(s.status, 0) << s.out;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    LeanRun r;
    r.sent = topo.uplink_tx() - before;
    EXPECT_EQ(live.wait(20), 0) << read_file(log);
    recv.wait(15);
    r.text = read_file(log);
    EXPECT_GE(r.sent, static_cast<std::uint64_t>(count));
    return r;
}

}  // namespace

TEST_F(HopsFilter, IfaceOfTheUplinkKeepsThePodsDatagramsWithAllTheirHops) {
    ForwardTopology topo(false);
    const int port = 9350, count = 40;
    // --iface names a device of txray's own namespace: run it in the router's.
    Recorded r = record_pod_datagrams(topo, topo.net + ".2.2", port, count, {"--iface", topo.uplink}, topo.router);
    const Tally n = tally(r.trace, port, topo.uplink);
    expect_only_pod_datagrams(r, n, topo, count);
    EXPECT_EQ(static_cast<std::uint64_t>(n.via_uplink), r.counted) << "records through the uplink = its tx_packets";
    for (const Packet& p : r.trace.packets) EXPECT_TRUE(left_through(p, topo.uplink)) << "packet " << p.id;
    ASSERT_TRUE(hops_readable(r.trace));
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        ASSERT_EQ(p->hops.size(), 3u);
        EXPECT_EQ(p->hops[0].ifname, topo.pod_if) << "the pod's hop, which --iface alone would have left out";
        EXPECT_EQ(p->hops[2].ifname, topo.uplink);
        EXPECT_EQ(count_stage(*p, Stage::dev_queue_xmit), 2);
    }
}

TEST_F(HopsFilter, ExpressionOnTheOuterVxlanHeadersKeepsTheOverlayDatagrams) {
    ForwardTopology topo(true);
    const int port = 9351, count = 30;
    Recorded r = record_pod_datagrams(topo, topo.net + ".3.2", port, count, {"udp port 4789"});
    const Tally n = tally(r.trace, port, topo.uplink);
    expect_only_pod_datagrams(r, n, topo, count);
    // Everything the uplink sent was the overlay's (the neighbours were
    // resolved before): its counter is the underlay's count of 4789 datagrams.
    EXPECT_EQ(static_cast<std::uint64_t>(n.via_uplink), r.counted);
    for (const Packet& p : r.trace.packets) EXPECT_TRUE(some_hop_has_dport(p, 4789)) << "packet " << p.id;
    ASSERT_TRUE(hops_readable(r.trace));
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        ASSERT_EQ(p->hops.size(), 4u);
        EXPECT_EQ(p->flow.dport, port) << "top level: the inner flow";
        ASSERT_TRUE(p->hops[3].flow.has_value());
        EXPECT_EQ(p->hops[3].flow->dport, 4789) << "the outer UDP flow, where the expression matched";
    }
}

TEST_F(HopsFilter, ExpressionOnTheMasqueradedSourceKeepsThePodsDatagrams) {
    ForwardTopology topo(false);
    const int port = 9352, count = 40;
    const std::string masq = topo.net + ".2.1";
    Recorded r = record_pod_datagrams(topo, topo.net + ".2.2", port, count, {"udp and src host " + masq});
    const Tally n = tally(r.trace, port, topo.uplink);
    expect_only_pod_datagrams(r, n, topo, count);
    // (Not == the uplink's tx_packets: the router's ARP there is not UDP.)
    EXPECT_LE(static_cast<std::uint64_t>(n.via_uplink), r.counted);
    ASSERT_TRUE(hops_readable(r.trace));
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        EXPECT_EQ(addr_to_string(4, p->flow.saddr), topo.net + ".1.2") << "the pod's own source did not match";
        ASSERT_EQ(p->hops.size(), 3u);
        ASSERT_TRUE(p->hops[2].flow.has_value());
        EXPECT_EQ(addr_to_string(4, p->hops[2].flow->saddr), masq);
    }
}

// The pod's datagrams over the VXLAN overlay: forwarded to the VXLAN device,
// whose vxlan_xmit queues the same skb on the uplink. The lean summary counts
// the uplink's stages in the uplink's rows: as many as it sent.
TEST_F(HopsFilter, LeanSummaryCountsTheLowerDeviceInItsOwnRows) {
    ForwardTopology topo(true);
    const int count = 30;
    const LeanRun r = lean_summary_over_overlay(topo, 9353, count, {"--proto", "udp"}, "");
    EXPECT_EQ(device_row_count(r.text, "dev_queue_xmit", topo.uplink), static_cast<long>(r.sent)) << r.text;
    EXPECT_EQ(device_row_count(r.text, "xmit_done", topo.uplink), static_cast<long>(r.sent)) << r.text;
    // The forwarded packet's entry begins at the VXLAN device's queue: its
    // first row there is the driver's.
    EXPECT_EQ(device_row_count(r.text, "driver_xmit", topo.vxlan), count) << "the upper device's own rows\n" << r.text;
}

// --iface <uplink> in the lean summary: the overlay's datagrams fail it on the
// VXLAN device they are made on, and pass on the uplink it queues them on.
// Counted there, every one (before: none, the filter judged the first device
// alone); the VXLAN device has no rows.
TEST_F(HopsFilter, LeanSummaryIfaceOfTheLowerDeviceCountsTheOverlaysDatagrams) {
    ForwardTopology topo(true);
    const int count = 30;
    // --iface names a device of txray's own namespace: run it in the router's.
    const LeanRun r = lean_summary_over_overlay(topo, 9354, count, {"--iface", topo.uplink, "--proto", "udp"},
                                                topo.router);
    // One device counted, so no per-device rows: the totals are the uplink's
    // alone. The VXLAN device's stages would double driver_xmit.
    EXPECT_EQ(total_row_count(r.text, "dev_queue_xmit"), static_cast<long>(r.sent)) << r.text;
    EXPECT_EQ(total_row_count(r.text, "driver_xmit"), static_cast<long>(r.sent)) << r.text;
    EXPECT_EQ(total_row_count(r.text, "end-to-end"), static_cast<long>(r.sent)) << r.text;
    EXPECT_EQ(device_row_count(r.text, "driver_xmit", topo.vxlan), 0) << "left out on the upper device\n" << r.text;
}
