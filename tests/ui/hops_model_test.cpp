// The GUI model with packets that crossed devices (trace format 1.3), on the
// hand-made examples/hops-trace.json: flows stay the packets' original flows
// (NAT on the uplink does not split them), each hop of a packet is a strip of
// its bar over the time on that device, named by it.
#include <gtest/gtest.h>

#include "core/hops.h"
#include "draw_list.h"
#include "palette.h"
#include "timeline_data.h"
#include "timeline_layout.h"

using namespace txray;
using namespace txray::ui;

namespace {

TimelineData example() { return build_timeline(load_trace(std::string(TXRAY_SOURCE_DIR) + "/examples/hops-trace.json")); }

}  // namespace

TEST(HopsModel, FlowsGroupByTheOriginalFlow) {
    const TimelineData d = example();
    ASSERT_EQ(d.packets.size(), 9u);
    // The pod's UDP packets leave the uplink with 7 different masqueraded
    // ports, yet are one flow: udp 10.88.0.2:5353 -> 192.0.2.9:53.
    ASSERT_EQ(d.flows.size(), 3u);
    const FlowTrack& pod = d.flows[0];
    EXPECT_EQ(pod.label, "udp 10.88.0.2:5353 -> 192.0.2.9:53");
    EXPECT_EQ(pod.packets, 7u);
    EXPECT_EQ(pod.ifname, "txbp0 > txbbr > txbu0, txbp0 > txbbr");  // the dropped one ended on the bridge
    EXPECT_EQ(d.flows[2].ifname, "txbu0");  // the host's own packet
}

TEST(HopsModel, EachHopIsANamedSegmentOfThePacketsBar) {
    const TimelineData d = example();
    std::vector<std::uint32_t> shown{0, 1, 2};
    TimelineLayout layout(d, shown, {});
    TimeView v;
    v.set_width(2000);
    v.set_bounds(d.t0, d.t1);
    const Packet& first = d.packets[0];
    v.set_range(static_cast<double>(first.first_ts()) - 1000, static_cast<double>(first.last_ts()) + 1000);
    TimelineDrawList out;
    build_draw_list(d, layout, v, {}, out);
    std::vector<const HopSegment*> mine;
    for (const HopSegment& h : out.hops)
        if (h.packet == 0) mine.push_back(&h);
    ASSERT_EQ(mine.size(), 3u);
    const std::vector<HopSpan> spans = hop_spans(first);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(mine[i]->hop, i);
        EXPECT_EQ(*mine[i]->device, first.hops[i].ifname);
        EXPECT_EQ(mine[i]->color, hop_color(i));
        EXPECT_NEAR(mine[i]->x0, v.to_px(static_cast<double>(spans[i].start_ns)), 1e-2);
        EXPECT_NEAR(mine[i]->x1, v.to_px(static_cast<double>(spans[i].end_ns)), 1e-2);
        EXPECT_LT(mine[i]->y0, mine[i]->y1);
        EXPECT_LE(mine[i]->bar_y0, mine[i]->y0);
        if (i) {
            EXPECT_NEAR(mine[i]->x0, mine[i - 1]->x1, 1e-2);  // hops follow each other
        }
    }
    EXPECT_NE(hop_color(0), hop_color(1));
    // The host's own, one-device packet has no hop strip.
    for (const HopSegment& h : out.hops) EXPECT_GT(d.packets[h.packet].hops.size(), 1u);
}
