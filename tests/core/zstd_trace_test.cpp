// Compressed traces (record -o X.zst): written by TraceWriter, read by every
// reader through read_trace; a recording cut short or damaged loads what is
// valid and says where it stopped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <unistd.h>

#include "core/synth.h"
#include "core/trace_reader.h"
#include "core/trace_writer.h"
#include "core/zstd_stream.h"

using namespace txray;

namespace {

struct TempFile {
    std::filesystem::path path;
    explicit TempFile(const std::string& name)
        : path(std::filesystem::temp_directory_path() / ("txray_zstd_" + std::to_string(getpid()) + "_" + name)) {}
    ~TempFile() { std::filesystem::remove(path); }
    std::string bytes() const {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
};

std::string packet_line(const Packet& p) {
    std::string s;
    append_packet_json(s, p);
    return s;
}

// Writes `packets` synthetic packets and the footer; flush_every > 0
// flushes that often, as record's loop does.
void write_trace(const std::string& path, std::size_t packets, std::size_t flush_every) {
    SynthOptions opt{.packets = packets};
    TraceWriter w(path);
    w.header(synth_header(opt));
    std::size_t n = 0;
    for (const Packet& p : synth_packets(opt)) {
        w.packet(p);
        if (flush_every && ++n % flush_every == 0) w.flush();
    }
    TraceFooter f;
    f.packets = packets;
    w.footer(f);
}

ReadStatus read_bytes(const std::string& bytes, std::vector<Packet>& out) {
    struct Collect : TraceSink {
        std::vector<Packet>& p;
        explicit Collect(std::vector<Packet>& v) : p(v) {}
        void on_packet(Packet&& x) override { p.push_back(std::move(x)); }
    } sink(out);
    std::istringstream in(bytes);
    return read_trace(in, sink);
}

}  // namespace

TEST(ZstdTrace, ZstPathIsCompressedAndReadsBackEqual) {
    TempFile zst("a.json.zst"), plain("a.json");
    write_trace(zst.path.string(), 5000, 0);
    write_trace(plain.path.string(), 5000, 0);
    const std::string z = zst.bytes(), text = plain.bytes();
    ASSERT_TRUE(starts_with_zstd_magic(z));
    EXPECT_FALSE(starts_with_zstd_magic(text));
    EXPECT_LT(z.size() * 5, text.size()) << "zstd should make JSON lines several times smaller";

    Trace t = load_trace(zst.path.string());
    EXPECT_TRUE(t.status.error.empty()) << t.status.summary();
    EXPECT_TRUE(t.status.warnings.empty());
    ASSERT_TRUE(t.footer);
    EXPECT_EQ(t.footer->packets, 5000u);
    const auto want = synth_packets({.packets = 5000});
    ASSERT_EQ(t.packets.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(packet_line(t.packets[i]), packet_line(want[i]));
}

TEST(ZstdTrace, ProgressCountsCompressedBytes) {
    TempFile zst("p.json.zst");
    write_trace(zst.path.string(), 20000, 0);
    std::uint64_t last = 0;
    ReadOptions opt;
    opt.progress = [&](std::uint64_t b) { last = b; };
    Trace t = load_trace(zst.path.string(), opt);
    ASSERT_TRUE(t.status.error.empty()) << t.status.summary();
    EXPECT_EQ(last, std::filesystem::file_size(zst.path));  // a bar over the file's size ends at 100%
}

TEST(ZstdTrace, KilledRecordingLoadsUpToItsLastFlushAndSaysWhere) {
    TempFile zst("k.json.zst");
    write_trace(zst.path.string(), 3000, 1000);
    std::string z = zst.bytes();
    // Cut inside the last block (the footer's and the frame end): what the
    // flushes before it wrote still decodes.
    z.resize(z.size() - 12);
    std::vector<Packet> got;
    ReadStatus st = read_bytes(z, got);
    EXPECT_FALSE(st.fatal);
    EXPECT_EQ(got.size(), 3000u);
    EXPECT_FALSE(st.has_footer);
    EXPECT_NE(st.error.find("ends inside a zstd frame"), std::string::npos) << st.summary();
    EXPECT_EQ(st.stopped_line, 3002u);  // header + 3000 packets read; the footer's line is missing
    // Cut in the middle: the complete records before the cut, and the reason.
    z.resize(z.size() / 2);
    got.clear();
    st = read_bytes(z, got);
    EXPECT_FALSE(st.fatal);
    EXPECT_GE(got.size(), 1000u);
    EXPECT_LT(got.size(), 3000u);
    EXPECT_NE(st.summary().find("stopped at line "), std::string::npos) << st.summary();
}

TEST(ZstdTrace, CorruptBytesStopTheReadWithTheOffset) {
    TempFile zst("c.json.zst");
    write_trace(zst.path.string(), 3000, 1000);
    std::string z = zst.bytes();
    for (std::size_t i = z.size() / 2; i < z.size() / 2 + 64; ++i) z[i] = static_cast<char>(z[i] ^ 0x5a);
    std::vector<Packet> got;
    ReadStatus st = read_bytes(z, got);
    EXPECT_FALSE(st.fatal);
    // A damaged block may fail to decode, or decode to other bytes that the
    // frame checksum catches at the end: an error either way.
    EXPECT_FALSE(st.error.empty());
    EXPECT_NE(st.summary().find("stopped at line"), std::string::npos) << st.summary();
    EXPECT_NE(st.error.find("zstd"), std::string::npos) << st.error;
    // The first flush's 1000 packets lie before the damage: loaded as written.
    const auto want = synth_packets({.packets = 3000});
    ASSERT_GE(got.size(), 1000u);
    for (std::size_t i = 0; i < 1000; ++i) ASSERT_EQ(packet_line(got[i]), packet_line(want[i]));
}

TEST(ZstdTrace, NotZstdAfterTheMagicByteIsOneClearError) {
    std::vector<Packet> got;
    ReadStatus st = read_bytes("(not json)\n", got);
    EXPECT_TRUE(st.fatal);
    EXPECT_EQ(st.error, "not a txray trace: neither JSON Lines nor zstd-compressed");
    st = read_bytes(std::string("\x28\xb5\x2f\xfd", 4), got);  // the magic and nothing else
    EXPECT_FALSE(st.error.empty());
    EXPECT_TRUE(got.empty());
}

// A full disk is not hidden: the writer keeps the first error and close()
// returns it, compressed or not (/dev/full fails every write with ENOSPC).
TEST(TraceWriterErrors, AFullDiskIsReportedNotIgnored) {
    if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
    TempFile zst("full.json.zst");
    std::filesystem::create_symlink("/dev/full", zst.path);
    for (const std::string& path : {std::string("/dev/full"), zst.path.string()}) {
        SynthOptions opt{.packets = 100};
        TraceWriter w(path);
        w.header(synth_header(opt));
        for (const Packet& p : synth_packets(opt)) w.packet(p);
        EXPECT_EQ(w.close(), "No space left on device") << path;
        EXPECT_EQ(w.error(), "No space left on device") << path;
    }
    TempFile ok("fine.json");
    TraceWriter w(ok.path.string());
    w.header(synth_header({}));
    EXPECT_EQ(w.close(), "");
}
