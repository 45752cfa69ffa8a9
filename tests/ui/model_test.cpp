#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <set>

#include "cli_options.h"
#include "draw_list.h"
#include "flow_table.h"
#include "histogram.h"
#include "core/duration.h"
#include "core/lanes.h"
#include "palette.h"
#include "playhead.h"
#include "selection_stats.h"
#include "core/synth.h"
#include "time_format.h"
#include "time_view.h"
#include "timeline_data.h"

using namespace txray;
using namespace txray::ui;

namespace {

Packet make_packet(std::uint64_t id, std::uint16_t sport, std::vector<std::pair<Stage, std::uint64_t>> stages,
                   bool dropped = false) {
    Packet p;
    p.id = id;
    p.len = 100;
    p.flow.family = 4;
    p.flow.proto = 17;
    p.flow.saddr = {10, 0, 0, 1};
    p.flow.daddr = {10, 0, 0, 2};
    p.flow.sport = sport;
    p.flow.dport = 9;
    p.comm = "app";
    p.ifname = "eth0";
    for (auto [s, t] : stages) p.stages.push_back({s, t});
    p.outcome = dropped ? OutcomeKind::dropped : OutcomeKind::sent;
    return p;
}

// A flow of n packets, each 100 ns long, one every `gap` ns starting at 1000.
TimelineData regular(std::size_t n, std::uint64_t gap, std::uint64_t len = 100) {
    std::vector<Packet> v;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t t = 1000 + i * gap;
        v.push_back(make_packet(i + 1, 5000, {{Stage::sendmsg, t}, {Stage::dev_queue_xmit, t + len / 2}, {Stage::free, t + len}},
                                i % 10 == 9));
    }
    return build_timeline(std::move(v));
}

}  // namespace

TEST(Lanes, PacksOverlapsIntoFewestLanes) {
    std::vector<Interval> iv{{0, 10}, {5, 15}, {11, 20}, {12, 13}, {16, 30}, {21, 22}};
    std::uint32_t lanes = 0;
    auto l = assign_lanes(iv, &lanes);
    EXPECT_EQ(lanes, 3u);  // max overlap: {5,15},{11,20},{12,13}
    EXPECT_EQ(l, (std::vector<std::uint32_t>{0, 1, 0, 2, 1, 0}));
    // No two intervals of a lane overlap.
    for (std::size_t i = 0; i < iv.size(); ++i)
        for (std::size_t j = i + 1; j < iv.size(); ++j)
            if (l[i] == l[j]) { EXPECT_TRUE(iv[i].end < iv[j].begin || iv[j].end < iv[i].begin) << i << " " << j; }
}

TEST(Lanes, TouchingIntervalsNeedTwoLanes) {
    std::vector<Interval> iv{{0, 10}, {10, 20}};
    std::uint32_t lanes = 0;
    assign_lanes(iv, &lanes);
    EXPECT_EQ(lanes, 2u);
}

TEST(Lanes, SynthTraceLanesAreDisjointAndSorted) {
    auto d = build_timeline(synth_packets({.packets = 3000}));
    ASSERT_FALSE(d.flows.empty());
    std::size_t spans = 0;
    for (const auto& f : d.flows)
        for (const auto& l : f.lanes) {
            for (std::size_t i = 1; i < l.spans.size(); ++i) {
                EXPECT_LT(l.spans[i - 1].end, l.spans[i].start);
            }
            spans += l.spans.size();
            EXPECT_EQ(l.drops.size(), l.spans.size() + 1);
        }
    EXPECT_EQ(spans, 3000u);
    EXPECT_EQ(d.flows[0].id, 1u);
}

TEST(TimeView, ZoomKeepsTimeUnderCursor) {
    TimeView v;
    v.set_width(1000);
    v.set_bounds(0, 1e9);
    v.set_range(0, 1e6);
    const double before = v.to_ns(250);
    v.zoom_at(250, 0.5);
    EXPECT_NEAR(v.to_ns(250), before, 1e-3);
    EXPECT_NEAR(v.range(), 5e5, 1e-3);
    v.zoom_at(250, 2.0);
    EXPECT_NEAR(v.range(), 1e6, 1e-3);
}

TEST(TimeView, ZoomIsClamped) {
    TimeView v;
    v.set_width(1000);
    v.set_bounds(0, 1e6);
    v.set_range(0, 1e6);
    for (int i = 0; i < 200; ++i) v.zoom_at(500, 0.5);
    EXPECT_NEAR(v.range(), TimeView::kMinRangeNs, 1e-6);
    for (int i = 0; i < 200; ++i) v.zoom_at(500, 2.0);
    EXPECT_NEAR(v.range(), 4e6, 1);
}

TEST(TimeView, PanMovesContentWithTheMouse) {
    TimeView v;
    v.set_width(1000);
    v.set_bounds(0, 1e9);
    v.set_range(1e6, 2e6);  // 1000 ns per px
    v.pan_px(100);           // drag right: earlier times
    EXPECT_NEAR(v.start(), 1e6 - 1e5, 1e-6);
    EXPECT_NEAR(v.to_px(1e6), 100.f, 1e-3);
    // Panning far away stops with half the view still on the trace.
    v.pan_px(-1e7);
    EXPECT_LE(v.start(), 1e9 - v.range() / 2 + 1);
}

TEST(TimeView, FitAllShowsEverything) {
    TimeView v;
    v.set_width(800);
    v.set_bounds(5000, 105000);
    v.fit_all();
    EXPECT_LT(v.start(), 5000);
    EXPECT_GT(v.end(), 105000);
    EXPECT_LT(v.range(), 100000 * 1.1);
}

TEST(TimeFormat, UnitsFollowMagnitude) {
    EXPECT_EQ(format_duration(850), "850 ns");
    EXPECT_EQ(format_duration(12500), "12.5 µs");
    EXPECT_EQ(format_duration(3.2e6), "3.20 ms");
    EXPECT_EQ(format_duration(1.5e9), "1.50 s");
    EXPECT_EQ(format_tick(1.5e6, 5e5), "1.5 ms");
    EXPECT_EQ(format_tick(200, 100), "200 ns");
    EXPECT_EQ(format_tick(2e3, 1e3), "2 µs");
    // txray-ui's times: a bare number is in ns (core/duration.h).
    EXPECT_EQ(parse_duration("2.5ms", DurationUnit::ns).value(), 2.5e6);
    EXPECT_EQ(parse_duration("1500", DurationUnit::ns).value(), 1500);
    EXPECT_EQ(parse_duration("3us", DurationUnit::ns).value(), 3000);
    EXPECT_EQ(parse_duration("3 µs", DurationUnit::ns).value(), 3000);
    EXPECT_FALSE(parse_duration("3 parsecs", DurationUnit::ns));
}

TEST(TimeFormat, RulerTicksAreRoundAndSpaced) {
    auto r = ruler_ticks(1234, 10, 1000, 90);  // 10 ns/px: step >= 900 ns -> 1000
    EXPECT_EQ(r.step_ns, 1000);
    ASSERT_FALSE(r.major.empty());
    EXPECT_EQ(r.major.front(), 2000);
    for (double t : r.major) EXPECT_EQ(std::fmod(t, 1000.0), 0.0);
    EXPECT_EQ(ruler_ticks(0, 1.5, 1000, 90).step_ns, 200);
}

TEST(DrawList, CullsToTheVisibleRange) {
    auto d = regular(1000, 1000);  // packets at 1000, 2000, ... 100 ns long
    std::vector<std::uint32_t> shown{0};
    TimelineLayout layout(d, shown, {});
    TimeView v;
    v.set_width(1000);
    v.set_bounds(d.t0, d.t1);
    v.set_range(100'000, 109'500);  // 9.5 ns/px: 10 packets, each ~10 px wide
    TimelineDrawList out;
    build_draw_list(d, layout, v, {}, out);
    EXPECT_EQ(out.merged.size(), 0u);
    EXPECT_EQ(out.spans_drawn, 10u);  // 100000..109000 start inside (109100 end); 99000's ends at 99100
    for (const auto& r : out.rects) {
        EXPECT_GE(r.x1, 0.f);
        EXPECT_LE(r.x0, 1000.f);
    }
    // Two segments per packet, in their stage colours.
    EXPECT_EQ(out.rects.size(), 20u);
    EXPECT_EQ(out.rects[0].color, stage_color(Stage::sendmsg));
    EXPECT_EQ(out.rects[1].color, stage_color(Stage::dev_queue_xmit));
    EXPECT_NEAR(out.rects[0].x0, 0.f, 1e-3);
    EXPECT_NEAR(out.rects[0].x1, 50 / 9.5f, 1e-3);
    EXPECT_NEAR(out.rects[1].x1, 100 / 9.5f, 1e-3);
    // The 10th packet of every ten is dropped: 100000 = packet index 99 -> dropped.
    EXPECT_EQ(out.drops.size(), 1u);
}

TEST(DrawList, MergesSubPixelSpansAndBoundsTheWork) {
    auto d = regular(100000, 1000);  // 100 ms of packets, 100 ns long, 1 µs apart
    std::vector<std::uint32_t> shown{0};
    TimelineLayout layout(d, shown, {});
    TimeView v;
    v.set_width(1000);
    v.set_bounds(d.t0, d.t1);
    // 100 ns/px: packets are 1 px wide, 10 px apart -> drawn one by one.
    v.set_range(d.t0 + 5e6, d.t0 + 5e6 + 1e5);
    TimelineDrawList out;
    build_draw_list(d, layout, v, {}, out);
    EXPECT_EQ(out.merged.size(), 0u);
    EXPECT_GE(out.spans_drawn, 100u);
    EXPECT_LE(out.spans_drawn, 101u);
    // Fit all: ~100 packets per pixel, all merged into one block, and the
    // work is bounded by pixels, not by 100000 packets.
    v.fit_all();
    build_draw_list(d, layout, v, {}, out);
    ASSERT_EQ(out.merged.size(), 1u);
    EXPECT_EQ(out.merged[0].count, 100000u);
    EXPECT_EQ(out.merged[0].drops, 10000u);
    // Drops on the header row: one marker per pixel at most (10000 drops, ~960 px).
    EXPECT_GE(out.flow_drops.size(), 400u);
    EXPECT_LE(out.flow_drops.size(), 1000u);
    EXPECT_LT(out.binary_searches, 2 * 1000u + 10);  // at most one jump per pixel (spans, then drops)
    EXPECT_TRUE(out.rects.empty());
}

TEST(DrawList, MergedBlocksCoverEveryPacketAtAnyZoom) {
    auto d = build_timeline(synth_packets({.packets = 20000, .flows = 3}));
    std::vector<std::uint32_t> shown{0, 1, 2};
    TimelineLayout layout(d, shown, {});
    TimeView v;
    v.set_width(1200);
    v.set_bounds(d.t0, d.t1);
    for (double range : {1e9, 1e8, 1e7, 1e6, 1e5}) {
        v.set_range(d.t0, d.t0 + range);
        TimelineDrawList out;
        DrawParams p;
        p.view_h = 1e6;
        build_draw_list(d, layout, v, p, out);
        // Count the packets represented: merged counts + individually drawn.
        std::size_t represented = 0;
        for (const auto& m : out.merged) represented += m.count;
        represented += out.spans_drawn - out.merged.size();
        std::size_t expected = 0;
        for (auto fi : shown)
            for (const auto& l : d.flows[fi].lanes)
                for (const auto& s : l.spans)
                    if (s.end >= v.start() && s.start <= v.end()) ++expected;
        EXPECT_EQ(represented, expected) << "range " << range;
    }
}

TEST(DrawList, ReplayClipHidesPacketsAfterThePlayhead) {
    auto d = regular(100, 1000);
    std::vector<std::uint32_t> shown{0};
    TimelineLayout layout(d, shown, {});
    TimeView v;
    v.set_width(1000);
    v.set_bounds(d.t0, d.t1);
    v.set_range(1000, 11000);  // packets at 1000..10000
    TimelineDrawList out;
    DrawParams p;
    p.clip_ns = 5050;  // mid-way through the packet starting at 5000
    build_draw_list(d, layout, v, p, out);
    EXPECT_EQ(out.spans_drawn, 5u);
    for (const auto& r : out.rects) EXPECT_LE(r.x1, v.to_px(5050) + 1e-3);
}

TEST(DrawList, VerticalCullingSkipsHiddenTracks) {
    auto d = build_timeline(synth_packets({.packets = 600, .flows = 6}));
    std::vector<std::uint32_t> shown{0, 1, 2, 3, 4, 5};
    TimelineLayout layout(d, shown, {});
    TimeView v;
    v.set_width(1000);
    v.set_bounds(d.t0, d.t1);
    v.fit_all();
    TimelineDrawList out;
    DrawParams p;
    p.scroll_y = layout.tracks()[2].y;
    p.view_h = layout.tracks()[2].height;
    build_draw_list(d, layout, v, p, out);
    ASSERT_EQ(out.headers.size(), 1u);
    EXPECT_EQ(out.headers[0].flow, 2u);
    EXPECT_EQ(out.lanes_visited, d.flows[2].lanes.size());
}

TEST(HitTest, FindsThePacketUnderTheCursor) {
    auto d = regular(100, 1000);
    std::vector<std::uint32_t> shown{0};
    TimelineLayout layout(d, shown, {});
    TimeView v;
    v.set_width(1000);
    v.set_bounds(d.t0, d.t1);
    v.set_range(1000, 11000);
    const float y = layout.lane_top(layout.tracks()[0], 0) + 3;
    auto h = hit_test(d, layout, v, v.to_px(3050), y);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->count, 1u);
    EXPECT_EQ(d.packets[static_cast<std::size_t>(h->packet)].id, 3u);
    EXPECT_FALSE(hit_test(d, layout, v, v.to_px(3500), y));
    EXPECT_FALSE(hit_test(d, layout, v, v.to_px(3050), 2));  // header row
}

TEST(Playhead, AdvancesAtSpeedAndStopsAtTheEnd) {
    Playhead p;
    p.set_bounds(0, 1e9);
    p.set_speed(0.001);
    EXPECT_EQ(p.speed(), Playhead::kMinSpeed);
    p.set_speed(1000);
    EXPECT_EQ(p.speed(), Playhead::kMaxSpeed);
    p.set_speed(0.5);
    p.advance(1.0);
    EXPECT_EQ(p.time(), 0);  // paused
    p.play();
    p.advance(1.0);
    EXPECT_DOUBLE_EQ(p.time(), 0.5e9);
    p.advance(2.0);
    EXPECT_DOUBLE_EQ(p.time(), 1e9);
    EXPECT_FALSE(p.playing());
    p.play();  // from the end: restarts
    EXPECT_EQ(p.time(), 0);
}

TEST(Playhead, StepsBetweenPacketsAndCounts) {
    auto d = regular(100, 1000);  // starts 1000..100000, every 10th dropped
    std::vector<std::uint32_t> shown{0};
    EXPECT_EQ(next_packet_start(d, shown, 1000).value(), 2000);
    EXPECT_EQ(next_packet_start(d, shown, 1500).value(), 2000);
    EXPECT_EQ(prev_packet_start(d, shown, 2000).value(), 1000);
    EXPECT_FALSE(prev_packet_start(d, shown, 1000));
    EXPECT_FALSE(next_packet_start(d, shown, 100000));
    auto c = counters_at(d, shown, 10500, 5000);
    EXPECT_EQ(c.packets, 10u);
    EXPECT_EQ(c.drops, 1u);  // packet 10 dropped at its last stage (10100)
    EXPECT_EQ(c.bytes, 1000u);
    // Window (5500, 10500]: packets at 6000..10000 = 5 x 100 bytes in 5 µs.
    EXPECT_NEAR(c.throughput_bps, 500 * 8 / 5e-6, 1);
}

TEST(Histogram, LinearAndLogBinning) {
    std::vector<std::uint64_t> lin{10, 20, 30, 40};
    auto h = make_histogram(lin, 3);
    EXPECT_FALSE(h.log_scale);
    EXPECT_EQ(h.counts, (std::vector<std::uint32_t>{1, 1, 2}));
    EXPECT_EQ(h.bin_of(10), 0);
    EXPECT_EQ(h.bin_of(40), 2);
    EXPECT_EQ(h.bin_of(41), -1);
    std::vector<std::uint64_t> wide{10, 100, 1000, 10000};
    auto g = make_histogram(wide, 3);
    EXPECT_TRUE(g.log_scale);
    EXPECT_EQ(g.counts, (std::vector<std::uint32_t>{1, 1, 2}));
    EXPECT_NEAR(g.edges[1], 100, 1e-6);
    EXPECT_EQ(g.max_count, 2u);
}

TEST(SelectionStats, PercentilesAndBinPackets) {
    auto d = regular(100, 1000);
    std::vector<std::uint32_t> shown{0};
    auto s = compute_selection_stats(d, shown);
    EXPECT_EQ(s.packets, 100u);
    EXPECT_EQ(s.drops, 10u);
    EXPECT_EQ(s.summary[index(Stage::dev_queue_xmit)].p50, 50u);
    EXPECT_EQ(s.summary[index(Stage::free)].count, 100u);
    auto r = compute_selection_stats(d, shown, std::pair{1500.0, 5000.0});
    EXPECT_EQ(r.packets, 4u);  // 2000, 3000, 4000, 5000
    // Bin click: the packets whose value is in that bin.
    d.packets[5].stages[1].ts_ns += 40;  // packet 6: dev_queue_xmit 90 ns after sendmsg
    auto s2 = compute_selection_stats(d, shown);
    const auto m = index(Stage::dev_queue_xmit);
    auto h = make_histogram(s2.values[m], 4);
    auto pk = packets_in_bin(s2, m, h, 3);
    ASSERT_EQ(pk.size(), 1u);
    EXPECT_EQ(d.packets[pk[0]].id, 6u);
    d.set_highlight(pk);
    EXPECT_EQ(d.highlight_count(), 1u);
    EXPECT_EQ(d.flows[0].lanes[0].marked.back(), 1u);
}

TEST(FlowTable, FiltersAndSorts) {
    std::vector<Packet> v;
    v.push_back(make_packet(1, 1111, {{Stage::sendmsg, 100}, {Stage::free, 900}}));
    v.push_back(make_packet(2, 2222, {{Stage::sendmsg, 200}, {Stage::free, 300}}, true));
    v.push_back(make_packet(3, 2222, {{Stage::sendmsg, 400}, {Stage::free, 500}}));
    v[2].comm = "dns-client";
    auto d = build_timeline(std::move(v));
    ASSERT_EQ(d.flows.size(), 2u);
    EXPECT_EQ(d.flows[0].flow.sport, 1111);
    EXPECT_EQ(d.flows[1].packets, 2u);
    EXPECT_EQ(d.flows[1].drops, 1u);
    EXPECT_EQ(d.flows[1].comm, "app, dns-client");
    FlowQuery q;
    EXPECT_EQ(flow_rows(d, q), (std::vector<std::uint32_t>{0, 1}));
    q.sort = FlowColumn::packets;
    q.ascending = false;
    EXPECT_EQ(flow_rows(d, q), (std::vector<std::uint32_t>{1, 0}));
    q.filter = "DNS udp";
    EXPECT_EQ(flow_rows(d, q), (std::vector<std::uint32_t>{1}));
    q.filter = ":1111";
    EXPECT_EQ(flow_rows(d, q), (std::vector<std::uint32_t>{0}));
    q.filter.clear();
    q.only_drops = true;
    EXPECT_EQ(flow_rows(d, q), (std::vector<std::uint32_t>{1}));
    EXPECT_EQ(flow_cell(d.flows[0], FlowColumn::p50), "800 ns");
}

TEST(FlowTable, IcmpAndNonIpCells) {
    std::vector<Packet> v;
    v.push_back(make_packet(1, 0, {{Stage::sendmsg, 100}, {Stage::free, 900}}));
    v[0].flow.proto = 1;
    v[0].flow.has_icmp = true;
    v[0].flow.icmp_type = 8;
    v.push_back(make_packet(2, 0, {{Stage::dev_queue_xmit, 200}, {Stage::free, 300}}));
    v[1].flow = {};
    v[1].flow.ethertype = 0x0806;
    auto d = build_timeline(std::move(v));
    ASSERT_EQ(d.flows.size(), 2u);
    for (const auto& f : d.flows) {
        if (f.flow.has_icmp) {
            EXPECT_EQ(flow_cell(f, FlowColumn::proto), "icmp echo-request 8/0");
            EXPECT_EQ(flow_cell(f, FlowColumn::source).find(':'), std::string::npos);
        } else {
            EXPECT_EQ(flow_cell(f, FlowColumn::proto), "arp");
            EXPECT_EQ(f.label, "arp");
        }
    }
}

TEST(Cli, ParsesScreenshotOptions) {
    const char* argv[] = {"txray-ui", "t.json", "--screenshot", "o.png", "--select-flow", "2", "--zoom", "1ms:1.5ms",
                          "--size", "800x600"};
    std::string err;
    auto o = parse_cli(10, argv, err);
    ASSERT_TRUE(o) << err;
    EXPECT_EQ(o->trace, "t.json");
    EXPECT_EQ(o->screenshot, "o.png");
    EXPECT_EQ(o->select_flows, std::vector<std::uint32_t>{2});
    EXPECT_EQ(o->zoom->first, 1e6);
    EXPECT_EQ(o->zoom->second, 1.5e6);
    EXPECT_EQ(o->width, 800);
    const char* bad[] = {"txray-ui", "--zoom", "2ms:1ms"};
    EXPECT_FALSE(parse_cli(3, bad, err));
    const char* bad2[] = {"txray-ui", "--size", "10x10"};
    EXPECT_FALSE(parse_cli(3, bad2, err));
}

TEST(Palette, StageColoursAreDistinctAndOpaque) {
    std::set<std::uint32_t> seen;
    for (Stage s : all_stages()) {
        EXPECT_EQ(stage_color(s) >> 24, 255u);
        seen.insert(stage_color(s));
    }
    EXPECT_EQ(seen.size(), kStageCount);
    EXPECT_EQ(red_of(stage_color(Stage::sendmsg)), 0x4e);
    EXPECT_EQ(stage_color_hex(Stage::drop), "#e15759");
}

TEST(Palette, DocumentedInDocsUiMd) {
    std::ifstream f(TXRAY_DOCS_DIR "/ui.md");
    ASSERT_TRUE(f) << "docs/ui.md";
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string doc = ss.str();
    for (Stage s : all_stages()) {
        const std::string row = "| `" + std::string(stage_name(s)) + "` | `" + std::string(stage_color_hex(s)) + "` |";
        EXPECT_NE(doc.find(row), std::string::npos) << row;
    }
}

#include <chrono>
#include <filesystem>
#include <thread>

#include "trace_loader.h"
#include "core/trace_writer.h"

namespace {

std::string write_synth(const std::string& name, std::size_t packets) {
    const auto path = (std::filesystem::temp_directory_path() / name).string();
    TraceWriter w(path);
    SynthOptions o;
    o.packets = packets;
    w.header(synth_header(o));
    for (const auto& p : synth_packets(o)) w.packet(p);
    w.footer({});
    w.flush();
    return path;
}

std::unique_ptr<TimelineData> wait_for(TraceLoader& l) {
    for (int i = 0; i < 3000 && l.phase() != TraceLoader::Phase::done; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return l.take();
}

}  // namespace

TEST(TraceLoader, LoadsInTheBackground) {
    const auto path = write_synth("txray_ui_loader_test.json", 5000);
    TraceLoader l;
    l.start(path);
    EXPECT_TRUE(l.busy() || l.phase() == TraceLoader::Phase::done);
    auto d = wait_for(l);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->packets.size(), 5000u);
    EXPECT_TRUE(d->status.error.empty()) << d->status.summary();
    EXPECT_EQ(d->flows.size(), 6u);
    EXPECT_EQ(d->path, path);
    EXPECT_EQ(l.phase(), TraceLoader::Phase::idle);
    std::filesystem::remove(path);
}

TEST(TraceLoader, CancelKeepsWhatWasRead) {
    const auto path = write_synth("txray_ui_loader_cancel.json", 100000);
    TraceLoader l;
    l.start(path);
    l.cancel();
    auto d = wait_for(l);
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->status.cancelled);
    EXPECT_LT(d->packets.size(), 100000u);
    std::filesystem::remove(path);
}

TEST(TraceLoader, MissingFileIsAStatusNotACrash) {
    TraceLoader l;
    l.start("/nonexistent/trace.json");
    auto d = wait_for(l);
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->status.fatal);
    EXPECT_FALSE(d->status.summary().empty());
    EXPECT_TRUE(d->flows.empty());
}
