// Perfetto export: re-parse the JSON; every stage slice nests in its packet
// slice after rounding to ns, lanes never overlap, counts match the trace.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "export/perfetto_export.h"
#include "tmpfile_text.h"
#include "core/synth.h"

using namespace txray;
using nlohmann::json;

namespace {

json export_json(const TraceHeader& h, const std::vector<Packet>& packets, PerfettoStats& st) {
    std::FILE* f = std::tmpfile();
    st = write_perfetto_json(h, packets, f);
    return json::parse(test::read_and_close(f));
}

std::int64_t ns(const json& us) { return std::llround(us.get<double>() * 1000.0); }

}  // namespace

TEST(Perfetto, SlicesNestAndCountsMatch) {
    SynthOptions opt{.packets = 3000, .flows = 5, .drop_ratio = 0.05};
    auto packets = synth_packets(opt);
    TraceHeader h = synth_header(opt);
    PerfettoStats st;
    json j = export_json(h, packets, st);
    const json& ev = j.at("traceEvents");

    std::size_t stage_count = 0;
    for (const auto& p : packets) stage_count += p.stages.size();
    EXPECT_EQ(st.packets, packets.size());
    EXPECT_EQ(st.stages, stage_count);
    EXPECT_EQ(st.flows, 5u);

    struct Span {
        std::int64_t b, e;
    };
    std::map<std::pair<int, int>, std::vector<Span>> by_thread;  // packet slices per (pid, tid)
    std::size_t packet_slices = 0, stage_slices = 0, processes = 0;
    Span current{0, -1};
    for (const json& e : ev) {
        if (e["ph"] == "M") {
            processes += e["name"] == "process_name";
            continue;
        }
        ASSERT_EQ(e["ph"], "X");
        const Span s{ns(e["ts"]), ns(e["ts"]) + ns(e["dur"])};
        if (e["cat"] == "packet") {
            ++packet_slices;
            current = s;
            by_thread[{e["pid"].get<int>(), e["tid"].get<int>()}].push_back(s);
            // The exact µs text equals the packet's ns relative to the origin.
            const auto id = e["args"]["id"].get<std::uint64_t>();
            EXPECT_EQ(ns(e["ts"]), static_cast<std::int64_t>(packets[id - 1].first_ts() - opt.start_ns));
        } else {
            ++stage_slices;
            EXPECT_GE(s.b, current.b) << e.dump();
            EXPECT_LE(s.e, current.e) << e.dump();
        }
    }
    EXPECT_EQ(processes, 5u);
    EXPECT_EQ(packet_slices, packets.size());
    EXPECT_EQ(stage_slices, stage_count);
    for (auto& [thread, spans] : by_thread) {
        std::sort(spans.begin(), spans.end(), [](auto& a, auto& b) { return a.b < b.b; });
        for (std::size_t i = 1; i < spans.size(); ++i) ASSERT_LT(spans[i - 1].e, spans[i].b);
    }
    EXPECT_EQ(j["otherData"]["origin_ns"], std::to_string(opt.start_ns));
}

TEST(Perfetto, LargeMonotonicTimesStayExact) {
    Packet p;
    p.id = 1;
    p.stages = {{Stage::sendmsg, 9'000'000'000'123'456'789ull}, {Stage::driver_xmit, 9'000'000'000'123'457'790ull}};
    TraceHeader h;  // no start_ns: the origin is the packet
    PerfettoStats st;
    json j = export_json(h, {p}, st);
    const json& ev = j["traceEvents"];
    const auto slice = std::find_if(ev.begin(), ev.end(), [](const json& e) { return e["name"] == "sendmsg"; });
    ASSERT_NE(slice, ev.end());
    EXPECT_EQ(slice->at("dur").dump(), "1.001");
    EXPECT_EQ(j["otherData"]["origin_ns"], "9000000000123456789");
}
