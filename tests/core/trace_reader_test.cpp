// The reader on good and bad input: fast path equals the DOM path, versioning,
// corrupt/truncated/binary/huge/empty input, strict mode, cancellation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/synth.h"
#include "core/trace_reader.h"
#include "core/trace_writer.h"

using namespace txray;

namespace {

std::string packet_line(const Packet& p) {
    std::string s;
    append_packet_json(s, p);
    return s;
}

TraceFooter footer_with(std::size_t packets) {
    TraceFooter f;
    f.packets = packets;
    return f;
}

ReadOptions strict_opt() {
    ReadOptions o;
    o.strict = true;
    return o;
}

std::string trace_text(std::size_t packets, bool footer = true) {
    SynthOptions opt{.packets = packets};
    std::string text = header_json(synth_header(opt)) + "\n";
    for (const Packet& p : synth_packets(opt)) text += packet_line(p) + "\n";
    if (footer) text += footer_json(footer_with(packets)) + "\n";
    return text;
}

struct Collect : TraceSink {
    std::vector<Packet> packets;
    int headers = 0, footers = 0;
    void on_header(const TraceHeader&) override { ++headers; }
    void on_packet(Packet&& p) override { packets.push_back(std::move(p)); }
    void on_footer(const TraceFooter&) override { ++footers; }
};

ReadStatus read_text(const std::string& text, Collect& sink, ReadOptions opt = {}) {
    std::istringstream in(text);
    return read_trace(in, sink, opt);
}

Packet odd_packet() {
    Packet p = synth_packets({.packets = 1})[0];
    p.comm = "we\"ird\\na\tme";
    p.parent_id = 9;
    p.fragment = true;
    p.frag_more = true;
    p.frag_offset = 1480;
    p.requeues = 2;
    p.gso_segs = 4;
    p.gso_size = 1448;
    p.has_bql = true;  // format 1.2
    p.bql_inflight = 4500;
    p.bql_limit = 30280;
    p.stopped_by_driver = true;
    p.stopped_by_bql = true;
    p.cgroup_id = 123456789012345ull;
    p.headers = {0x45, 0x00, 0x00, 0x1c, 0xff};
    p.outcome = OutcomeKind::error;
    p.send_errno = "ENOBUFS";
    return p;
}

}  // namespace

TEST(TraceReader, FastParserMatchesDomOnSynthAndOddPackets) {
    auto packets = synth_packets({.packets = 300, .drop_ratio = 0.2});
    packets.push_back(odd_packet());
    for (const Packet& in : packets) {
        const std::string line = packet_line(in);
        Packet fast, dom;
        std::string err;
        ASSERT_TRUE(packet_from_json_fast(line, fast)) << line;
        ASSERT_TRUE(packet_from_json_text(line, dom, err)) << err;
        EXPECT_EQ(packet_line(fast), packet_line(dom));
        EXPECT_EQ(packet_line(fast), line);
    }
}

TEST(TraceReader, FastParserDeclinesWhatItDoesNotHandle) {
    const std::string line = packet_line(synth_packets({.packets = 1})[0]);
    Packet p;
    EXPECT_FALSE(packet_from_json_fast(line.substr(0, line.size() - 1), p));  // truncated
    EXPECT_FALSE(packet_from_json_fast(line + " x", p));                      // trailing garbage
    std::string floaty = line;
    floaty.replace(floaty.find("\"len\":") + 6, 1, "1.5");
    EXPECT_FALSE(packet_from_json_fast(floaty, p));
    std::string unicode = line;
    unicode.replace(unicode.find("\"comm\":\"") + 8, 0, "\xc3\xa9");
    EXPECT_FALSE(packet_from_json_fast(unicode, p));
    // ...and the DOM still reads the UTF-8 one.
    std::string err;
    ASSERT_TRUE(packet_from_json_text(unicode, p, err)) << err;
    EXPECT_EQ(p.comm.substr(0, 2), "\xc3\xa9");
}

// nlohmann rejects a line with a number no double holds ("number overflow"),
// even in a field nobody reads: the fast parser must not accept that line
// (fuzz_trace_reader's differential check found the mismatch).
TEST(TraceReader, FastParserDeclinesAnUnknownFieldThatOverflowsADouble) {
    const std::string line = packet_line(synth_packets({.packets = 1})[0]);
    std::string err;
    for (const char* v : {"1e400", "-2.5E+999"}) {
        Packet fast, dom;
        std::string bad = line;
        bad.insert(1, std::string(R"("future":)") + v + ",");
        EXPECT_FALSE(packet_from_json_fast(bad, fast)) << v;
        EXPECT_FALSE(packet_from_json_text(bad, dom, err)) << v;
    }
    for (const char* v : {"1e300", "-0.5", "1e-400", "123456789012345678901234567890"}) {
        Packet fast, dom;
        std::string ok = line;
        ok.insert(1, std::string(R"("future":)") + v + ",");
        EXPECT_TRUE(packet_from_json_fast(ok, fast)) << v;
        ASSERT_TRUE(packet_from_json_text(ok, dom, err)) << v << ": " << err;
        EXPECT_EQ(packet_line(fast), packet_line(dom)) << v;
    }
}

TEST(TraceReader, UnknownFieldsAndStagesAreIgnored) {
    std::string line = packet_line(synth_packets({.packets = 1})[0]);
    line.insert(1, R"("future":{"a":[1,2.5e3,null,true,"x"]},)");
    line.insert(line.find("\"stages\":[") + 10, R"({"name":"warp_drive","ts_ns":1,"dt_ns":0},)");
    std::string text = trace_text(0, false);
    text.insert(text.find("\"host\""), R"("new_header_field":[1],)");
    text += line + "\n" + R"({"type":"annotation","text":"from v1.7"})" + "\n";
    Collect sink;
    ReadStatus st = read_text(text, sink);
    EXPECT_TRUE(st.error.empty()) << st.summary();
    ASSERT_EQ(sink.packets.size(), 1u);
    EXPECT_EQ(sink.packets[0].stages.size(), synth_packets({.packets = 1})[0].stages.size());
}

TEST(TraceReader, OlderMinorAcceptedNewerMajorRejected) {
    std::string text = trace_text(2);
    const std::string written = "\"" + std::to_string(kTraceVersionMajor) + "." + std::to_string(kTraceVersionMinor) + "\"";
    std::string minor = text;
    minor.replace(minor.find(written), written.size(), "\"1.9\"");
    Collect a;
    EXPECT_TRUE(read_text(minor, a).error.empty());
    EXPECT_EQ(a.packets.size(), 2u);
    std::string major = text;
    major.replace(major.find(written), written.size(), "\"2.0\"");
    Collect b;
    ReadStatus st = read_text(major, b);
    EXPECT_TRUE(st.fatal);
    EXPECT_NE(st.error.find("newer than this txray reads"), std::string::npos) << st.error;
    EXPECT_TRUE(b.packets.empty());
}

TEST(TraceReader, CorruptLineInTheMiddleOfABatchIsSkippedWithItsLineNumber) {
    std::string text = trace_text(5000);
    // Corrupt line 3001 (header is line 1): inside the second parallel batch.
    std::size_t pos = 0;
    for (int i = 0; i < 3000; ++i) pos = text.find('\n', pos) + 1;
    text.replace(pos, 10, "{garbage!!");
    Collect sink;
    ReadStatus st = read_text(text, sink);
    EXPECT_TRUE(st.error.empty()) << st.summary();
    EXPECT_EQ(sink.packets.size(), 4999u);
    ASSERT_EQ(st.warnings.size(), 1u);
    EXPECT_EQ(st.warnings[0], "line 3001: not valid JSON, skipped");
    EXPECT_EQ(sink.packets[2999].id, 3001u);  // order kept across the skipped line
    EXPECT_EQ(sink.footers, 1);

    Collect strict;
    st = read_text(text, strict, strict_opt());
    EXPECT_EQ(st.summary(), "stopped at line 3001: not valid JSON");
    EXPECT_EQ(strict.packets.size(), 2999u);
}

TEST(TraceReader, BadPacketFieldIsNamed) {
    std::string line = packet_line(synth_packets({.packets = 1})[0]);
    line.replace(line.find("\"outcome\":\"sent\""), 16, "\"outcome\":\"teleported\"");
    Collect sink;
    ReadStatus st = read_text(trace_text(0, false) + line + "\n", sink, strict_opt());
    EXPECT_EQ(st.summary(), "stopped at line 2: bad packet (unknown outcome)");
}

TEST(TraceReader, TruncatedFileLoadsEveryCompleteRecord) {
    std::string text = trace_text(3000, false);
    text.resize(text.size() - 40);  // killed mid-write of the last packet
    Collect sink;
    ReadStatus st = read_text(text, sink);
    EXPECT_FALSE(st.fatal);
    EXPECT_EQ(sink.packets.size(), 2999u);
    EXPECT_EQ(st.summary(), "stopped at line 3001: truncated record (file ends mid-line)");
}

TEST(TraceReader, MissingFooterIsAWarning) {
    Collect sink;
    ReadStatus st = read_text(trace_text(3, false), sink);
    EXPECT_TRUE(st.error.empty());
    ASSERT_EQ(st.warnings.size(), 1u);
    EXPECT_NE(st.warnings[0].find("no footer"), std::string::npos);
}

TEST(TraceReader, InputsThatAreNotTracesGetOneClearFatalError) {
    struct Case {
        std::string text, error;
    };
    std::string binary("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0", 20);
    std::vector<Case> cases = {
        {"", "empty file: no trace header"},
        {"\n\n  \n", "not a txray trace: no header, only blank lines"},
        {R"({"name":"package.json","version":"1.0.0"})" "\n", "not a txray trace: the first record is not a header"},
        {R"({"type":"header","format":"pcap"})" "\n", "not a txray trace (header has no \"format\":\"txray-trace\")"},
        {"[1,2,3]\n", "not a txray trace: line 1 is not a JSON object"},
        {binary + "\n", "not a txray trace: binary data"},
        {std::string(2u << 20, 'a'), "not a txray trace: line too long (2097152 bytes)"},
        {std::string(2u << 20, '\0'), "not a txray trace: binary data"},
    };
    for (const auto& c : cases) {
        Collect sink;
        ReadStatus st = read_text(c.text, sink);
        EXPECT_TRUE(st.fatal) << c.error;
        EXPECT_EQ(st.error, c.error);
        EXPECT_TRUE(sink.packets.empty());
    }
}

TEST(TraceReader, GiganticLineAfterTheHeaderIsSkipped) {
    std::string text = trace_text(2);
    std::size_t second = text.find('\n', text.find('\n') + 1) + 1;
    text.insert(second, "{\"type\":\"packet\",\"pad\":\"" + std::string(10000, 'x') + "\"}\n");
    Collect sink;
    ReadOptions opt;
    opt.max_line = 5000;
    ReadStatus st = read_text(text, sink, opt);
    EXPECT_TRUE(st.error.empty()) << st.summary();
    EXPECT_EQ(sink.packets.size(), 2u);
    ASSERT_FALSE(st.warnings.empty());
    EXPECT_EQ(st.warnings[0], "line 3: line too long (10026 bytes), skipped");
}

TEST(TraceReader, MissingFileIsFatalNotAnException) {
    Trace t = load_trace("/nonexistent/trace.json");
    EXPECT_TRUE(t.status.fatal);
    EXPECT_EQ(t.status.error, "cannot open /nonexistent/trace.json: No such file or directory");
}

TEST(TraceReader, LoadTraceFromFileMatchesTheWrittenPackets) {
    auto path = std::filesystem::temp_directory_path() / "txray_reader_test.json";
    { std::ofstream(path) << trace_text(4500); }
    Trace t = load_trace(path.string());
    std::filesystem::remove(path);
    EXPECT_TRUE(t.status.error.empty()) << t.status.summary();
    ASSERT_TRUE(t.footer);
    const auto want = synth_packets({.packets = 4500});
    ASSERT_EQ(t.packets.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(packet_line(t.packets[i]), packet_line(want[i]));
    EXPECT_EQ(t.header.host, "synthetic");
}

TEST(TraceReader, CancelStopsAndSaysSo) {
    std::atomic<bool> cancel{true};
    Collect sink;
    ReadOptions opt;
    opt.cancel = &cancel;
    ReadStatus st = read_text(trace_text(10), sink, opt);
    EXPECT_TRUE(st.cancelled);
    EXPECT_EQ(st.summary(), "stopped at line 1: cancelled");
}

TEST(TraceReader, ThreadCountDoesNotChangeTheResult) {
    std::string text = trace_text(7000);
    std::size_t pos = 0;
    for (int i = 0; i < 4500; ++i) pos = text.find('\n', pos) + 1;
    text.insert(pos, "{\"type\":\"packet\",\"id\":\"odd\"}\n");  // a bad line for the DOM path
    std::vector<std::string> runs;
    for (unsigned threads : {1u, 3u, 4u}) {
        Collect sink;
        ReadOptions opt;
        opt.threads = threads;
        ReadStatus st = read_text(text, sink, opt);
        std::string all = st.summary() + (st.warnings.empty() ? "" : st.warnings[0]);
        for (const Packet& p : sink.packets) all += packet_line(p);
        runs.push_back(std::move(all));
    }
    EXPECT_EQ(runs[0], runs[1]);
    EXPECT_EQ(runs[0], runs[2]);
    EXPECT_NE(runs[0].find("line 4501: bad packet"), std::string::npos);
}

TEST(TraceReader, IntegerFieldWrittenAsAHugeFloatIsRejectedNotCast) {
    // Found by fuzz_trace_reader under UBSan: nlohmann casts 1.7e25 to uint64.
    const auto base = nlohmann::json::parse(packet_line(synth_packets({.packets = 1})[0]));
    auto with = [&](const char* key, double v) {
        auto j = base;
        j[key] = v;
        return j.dump();
    };
    Packet p;
    std::string err;
    EXPECT_FALSE(packet_from_json_text(with("id", 1.66667e25), p, err));
    EXPECT_NE(err.find("out of range"), std::string::npos) << err;
    EXPECT_FALSE(packet_from_json_text(with("len", -3.5), p, err)) << "a negative length";
    EXPECT_TRUE(packet_from_json_text(with("pid", 42.0), p, err)) << err;
    EXPECT_EQ(p.pid, 42u);
}

TEST(TraceReader, FooterKeepsTheProgramRunsTheKernelSkipped) {
    TraceFooter f = footer_with(0);
    f.missed_runs = {{"tp_net_dev_queue", 3}, {"tp_consume_skb", 1}};
    f.receive_unseen = 7;
    const std::string line = footer_json(f);
    EXPECT_NE(line.find("\"receive_unseen\":7"), std::string::npos) << line;
    EXPECT_EQ(footer_json(footer_with(0)).find("receive_unseen"), std::string::npos) << "absent when none";
    EXPECT_NE(line.find("\"missed_runs\":{\"tp_consume_skb\":1,\"tp_net_dev_queue\":3}"), std::string::npos) << line;
    EXPECT_EQ(footer_json(footer_with(0)).find("missed_runs"), std::string::npos) << "absent when none were skipped";

    struct Footer : Collect {
        TraceFooter got;
        void on_footer(const TraceFooter& f) override { got = f; }
    } sink;
    SynthOptions opt{.packets = 0};
    ReadStatus st = read_text(header_json(synth_header(opt)) + "\n" + line + "\n", sink);
    EXPECT_TRUE(st.error.empty()) << st.summary();
    EXPECT_EQ(sink.got.missed_runs, f.missed_runs);
    EXPECT_EQ(sink.got.receive_unseen, 7u);
}
