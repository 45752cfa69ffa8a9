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

#include "hops_fixture.h"

using namespace txray;
using namespace txray::test;

using Hops = HopsTest;


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
