// txray report: numbers computed by hand on small traces, text and JSON output,
// filters, damaged input and exit codes.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/log2_histogram.h"
#include "cli/report_command.h"
#include "report/report_json.h"
#include "report/report_model.h"
#include "report/report_text.h"
#include "core/synth.h"
#include "core/trace_writer.h"

using namespace txray;

namespace {

Packet packet(std::uint64_t id, std::uint16_t dport, std::vector<StageMark> stages, OutcomeKind out = OutcomeKind::sent) {
    Packet p;
    p.id = id;
    p.pid = 100 + static_cast<std::uint32_t>(dport % 2);
    p.len = 1000;
    p.flow.family = 4;
    p.flow.proto = 17;
    p.flow.saddr = *addr_from_string(4, "10.0.0.1");
    p.flow.daddr = *addr_from_string(4, "10.0.0.2");
    p.flow.sport = 5000;
    p.flow.dport = dport;
    p.stages = std::move(stages);
    p.outcome = out;
    if (out == OutcomeKind::dropped) p.drop_reason = "QDISC_DROP";
    return p;
}

// Ten packets to :9 with end-to-end 1..10 us, one dropped packet to :53.
std::vector<Packet> small_trace() {
    std::vector<Packet> v;
    for (std::uint64_t i = 1; i <= 10; ++i)
        v.push_back(packet(i, 9, {{Stage::sendmsg, 1000 * i}, {Stage::ip_output, 1000 * i + 100}, {Stage::driver_xmit, 1000 * i + 1000 * i}}));
    v.push_back(packet(11, 53, {{Stage::sendmsg, 50'000}, {Stage::qdisc_enqueue, 50'300}, {Stage::drop, 50'700}},
                       OutcomeKind::dropped));
    return v;
}

Report build(const std::vector<Packet>& packets, PacketFilter f = {}) {
    ReportBuilder b(std::move(f));
    TraceHeader h;
    h.start_ns = 0;
    h.stages = {{Stage::sendmsg, true, "fentry:__sys_sendmsg", {}}, {Stage::qdisc_enqueue, false, "", {"tp: ENOENT"}}};
    b.on_header(h);
    for (Packet p : packets) b.on_packet(std::move(p));
    TraceFooter foot;
    foot.lost = 4;
    foot.lost_by_stage = {{"free", 4}};
    b.on_footer(foot);
    return b.report();
}

std::string write_file(const std::string& name, const std::string& text) {
    auto path = (std::filesystem::temp_directory_path() / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::string trace_text(const std::vector<Packet>& packets, bool footer = true) {
    std::string t = header_json(synth_header({})) + "\n";
    for (const auto& p : packets) {
        append_packet_json(t, p);
        t += "\n";
    }
    if (footer) t += footer_json({}) + "\n";
    return t;
}

struct CmdResult {
    int code;
    std::string out, err;
};

CmdResult run(ReportCommandOptions opt) {
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    CmdResult r{run_report(opt, out, err), "", ""};
    for (auto [f, s] : {std::pair{out, &r.out}, std::pair{err, &r.err}}) {
        std::rewind(f);
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s->append(buf, n);
        std::fclose(f);
    }
    return r;
}

}  // namespace

TEST(Report, ComputesStagesFlowsDropsByHand) {
    Report r = build(small_trace());
    EXPECT_EQ(r.packets_matched, 11u);
    EXPECT_EQ(r.outcome(OutcomeKind::dropped), 1u);
    // ip_output: 100 ns after sendmsg in all ten packets.
    EXPECT_EQ(r.per_stage[index(Stage::ip_output)].count(), 10u);
    EXPECT_EQ(r.per_stage[index(Stage::ip_output)].max(), 100u);
    // driver_xmit: 1000*i - 100 ns.
    EXPECT_EQ(r.per_stage[index(Stage::driver_xmit)].min(), 900u);
    EXPECT_EQ(r.per_stage[index(Stage::driver_xmit)].percentile(0.5), 4900u);
    ASSERT_EQ(r.flows.size(), 2u);
    const FlowStats& f9 = r.flows.begin()->second;  // dport 9 sorts first
    EXPECT_EQ(f9.packets, 10u);
    EXPECT_EQ(f9.bytes, 10'000u);
    EXPECT_EQ(f9.end_to_end.percentile(0.5), 5000u);
    EXPECT_EQ(f9.end_to_end.percentile(0.99), 10'000u);
    ASSERT_EQ(r.drops.size(), 1u);
    EXPECT_EQ(r.drops.begin()->first, (std::pair<std::string, std::string>{"QDISC_DROP", "qdisc_enqueue"}));
    EXPECT_EQ(r.end_to_end_hist.total(), 11u);
    EXPECT_EQ(r.end_to_end_hist.count(Log2Histogram::bucket(700)), 2u);  // the drop (700 ns) and packet 1 (1000 ns)
}

TEST(Report, CountsTcpRetransmitsGsoAndQdiscBacklog) {
    std::vector<Packet> v = small_trace();
    for (std::uint64_t i = 0; i < 3; ++i) {
        Packet p = packet(20 + i, 80, {{Stage::ip_output, 100'000 + i}, {Stage::driver_xmit, 100'500 + i}});
        p.flow.proto = 6;
        p.has_tcp = true;
        p.retransmit = i == 2;
        p.send_by_seq = i == 1;
        p.gso_segment = i == 0;
        v.push_back(p);
    }
    v[10].has_qdisc = true;  // the dropped one was enqueued behind 3000 bytes
    v[10].qdisc_backlog = 3000;
    Report r = build(v);
    EXPECT_EQ(r.tcp_segments, 3u);
    EXPECT_EQ(r.tcp_retransmits, 1u);
    EXPECT_EQ(r.tcp_by_seq, 1u);
    EXPECT_EQ(r.gso_segments, 1u);
    const std::string text = render_report_text(r);
    EXPECT_NE(text.find("tcp       3 segments, 1 retransmitted, 1 tied to their write by sequence"), std::string::npos)
        << text;
    EXPECT_NE(text.find("qdisc     backlog at enqueue p50 3000 B"), std::string::npos) << text;
    EXPECT_EQ(report_to_json(r)["tcp"]["retransmits"], 1);
}

// A real NIC: the ring time is xmit_done -> free; BQL and queue stops are
// counted where the packet has them; veth/lo packets (no free) have no ring.
TEST(Report, RingTimeBqlAndQueueStopsFromRealNicPackets) {
    std::vector<Packet> v = small_trace();  // no free stage: no ring time
    for (std::uint64_t i = 1; i <= 4; ++i) {
        Packet p = packet(30 + i, 7, {{Stage::driver_xmit, 200'000 * i}, {Stage::xmit_done, 200'000 * i + 100},
                                      {Stage::free, 200'000 * i + 100 + 10'000 * i}});
        p.has_bql = i != 4;
        p.bql_inflight = 1000 * static_cast<std::uint32_t>(i);
        p.bql_limit = 9000;
        p.stopped_by_driver = i == 3;
        p.requeues = i == 4 ? 2 : 0;
        v.push_back(p);
    }
    EXPECT_EQ(v.back().ring_ns(), 40'000u);
    EXPECT_EQ(v.front().ring_ns(), 0u);
    Report r = build(v);
    EXPECT_EQ(r.ring.count(), 4u);
    EXPECT_EQ(r.ring.max(), 40'000u);
    EXPECT_EQ(r.bql_inflight.count(), 3u);
    EXPECT_EQ(r.bql_inflight.max(), 3000u);
    EXPECT_EQ(r.stopped_by_driver, 1u);
    EXPECT_EQ(r.stopped_by_bql, 0u);
    EXPECT_EQ(r.requeues, 2u);
    const std::string text = render_report_text(r);
    EXPECT_NE(text.find("tx ring   4 packets completed, in the ring (xmit_done -> free) p50 20.0us"), std::string::npos)
        << text;
    EXPECT_NE(text.find("bql       in flight at driver_xmit p50 2000 B"), std::string::npos) << text;
    EXPECT_NE(text.find("tx queue  stopped after 1 packets by the driver, 0 by BQL; 2 requeues"), std::string::npos)
        << text;
    const auto j = report_to_json(r);
    EXPECT_EQ(j["ring"]["count"], 4);
    EXPECT_EQ(j["tx_queue"]["requeues"], 2);
    EXPECT_FALSE(report_to_json(build(small_trace())).contains("ring"));
}

TEST(Report, TextHasEveryTable) {
    const std::string text = render_report_text(build(small_trace()));
    for (const char* want :
         {"packets   11 of 11 in the trace", "outcomes  sent 10, dropped 1", "Per-stage latency", "STAGE",
          "driver_xmit", "End-to-end latency, syscall to driver (11 packets)", "udp 10.0.0.1:5000 -> 10.0.0.2:9",
          "QDISC_DROP", "qdisc_enqueue", "lost 4, lost sends 0", "fentry:__sys_sendmsg", "-- not hooked",
          "rejected tp: ENOENT", "|#"})
        EXPECT_NE(text.find(want), std::string::npos) << "missing \"" << want << "\" in\n" << text;
    // The flow row: packets, bytes, p50, p99, drops.
    EXPECT_NE(text.find("udp 10.0.0.1:5000 -> 10.0.0.2:9        10  10000   5.00us   10.0us      0"), std::string::npos)
        << text;
}

TEST(Report, FiltersNarrowTheReport) {
    PacketFilter f;
    std::string err;
    f.flow = parse_flow_match(":53", err);
    EXPECT_EQ(build(small_trace(), f).packets_matched, 1u);
    PacketFilter t;
    t.since_ns = 3000;
    t.until_ns = 6000;  // packets 3, 4, 5
    Report r = build(small_trace(), t);
    EXPECT_EQ(r.packets_matched, 3u);
    EXPECT_EQ(r.packets_read, 11u);
}

TEST(Report, JsonCarriesTheSameNumbers) {
    auto j = report_to_json(build(small_trace()));
    EXPECT_EQ(j["packets"]["matched"], 11);
    EXPECT_EQ(j["end_to_end"]["max_ns"], 10'000);
    EXPECT_EQ(j["drops"][0]["reason"], "QDISC_DROP");
    EXPECT_EQ(j["drops"][0]["after_stage"], "qdisc_enqueue");
    EXPECT_EQ(j["lost"]["lost_by_stage"]["free"], 4);
    EXPECT_EQ(j["flows"].size(), 2u);
    EXPECT_EQ(j["hooks"][1]["available"], false);
}

TEST(ReportCommand, FileToTextAndJson) {
    const auto path = write_file("txray_report_cmd.json", trace_text(synth_packets({.packets = 500})));
    ReportCommandOptions opt;
    opt.input.path = path;
    CmdResult r = run(opt);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find("packets   500 of 500"), std::string::npos) << r.out;
    opt.json = true;
    opt.filter.flow = "udp";
    r = run(opt);
    EXPECT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_GT(j["packets"]["matched"].get<int>(), 0);
    EXPECT_LT(j["packets"]["matched"].get<int>(), 500);
    std::filesystem::remove(path);
}

TEST(ReportCommand, DamagedAndBadInputs) {
    std::string text = trace_text(synth_packets({.packets = 20}), false);
    const auto cut = write_file("txray_report_cut.json", text.substr(0, text.size() - 30));
    ReportCommandOptions opt;
    opt.input.path = cut;
    CmdResult r = run(opt);
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.err.find("stopped at line 21: truncated record (file ends mid-line) (using the 19 packets before it)"),
              std::string::npos) << r.err;
    EXPECT_NE(r.out.find("packets   19 of 19"), std::string::npos);

    text.insert(text.find('\n', text.find('\n') + 1) + 1, "{not json\n");
    const auto corrupt = write_file("txray_report_corrupt.json", text);
    opt.input.path = corrupt;
    r = run(opt);
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.err.find("warning: " + corrupt + ": line 3: not valid JSON, skipped"), std::string::npos) << r.err;
    opt.input.strict = true;
    r = run(opt);
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "txray report: " + corrupt + ": stopped at line 3: not valid JSON\n");
    EXPECT_EQ(r.out, "");

    opt.input.strict = false;
    opt.input.path = "/nonexistent.json";
    r = run(opt);
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "txray report: cannot open /nonexistent.json: No such file or directory\n");

    const auto empty = write_file("txray_report_empty.json", "");
    opt.input.path = empty;
    r = run(opt);
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "txray report: " + empty + ": empty file: no trace header\n");

    opt.input.path = cut;
    opt.filter.since = "soon";
    r = run(opt);
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "txray report: --since: bad duration \"soon\" (try 1.5s, 200ms, 300us)\n");
    for (auto p : {cut, corrupt, empty}) std::filesystem::remove(p);
}
