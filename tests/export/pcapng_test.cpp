// pcapng export: parse the blocks back and check interfaces, timestamps,
// lengths and comments (tshark reads the same file in tshark_test.sh).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "ip_headers.h"
#include "export/pcapng_export.h"
#include "export/pcapng_writer.h"
#include "core/synth.h"

using namespace txray;

namespace {

struct Block {
    std::uint32_t type;
    std::string body;
};

std::vector<Block> blocks(std::FILE* f) {
    std::rewind(f);
    std::string data;
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
    std::vector<Block> out;
    for (std::size_t at = 0; at + 12 <= data.size();) {
        std::uint32_t type, len, len2;
        std::memcpy(&type, data.data() + at, 4);
        std::memcpy(&len, data.data() + at + 4, 4);
        EXPECT_EQ(len % 4, 0u);
        EXPECT_LE(at + len, data.size());
        std::memcpy(&len2, data.data() + at + len - 4, 4);
        EXPECT_EQ(len, len2);
        out.push_back({type, data.substr(at + 8, len - 12)});
        at += len;
    }
    return out;
}

template <typename T>
T get(const std::string& b, std::size_t at) {
    T v;
    std::memcpy(&v, b.data() + at, sizeof v);
    return v;
}

}  // namespace

TEST(Pcapng, BlocksTimestampsAndComments) {
    auto packets = synth_packets({.packets = 50, .flows = 4});
    for (std::size_t i = 0; i < packets.size(); ++i) {
        packets[i].flow.proto = 17;
        if (i != 7) packets[i].headers = test::udp_headers(packets[i]);
    }
    TraceHeader h;
    h.tool = "txray test";
    h.wall_offset_ns = 1'000'000'000'000;
    std::FILE* f = std::tmpfile();
    const PcapngStats st = write_pcapng(h, packets, f);
    EXPECT_EQ(st.written, 49u);
    EXPECT_EQ(st.without_headers, 1u);
    EXPECT_EQ(st.interfaces, 2u);  // eth0 and veth0
    const auto bl = blocks(f);
    std::fclose(f);
    ASSERT_FALSE(bl.empty());
    EXPECT_EQ(bl[0].type, 0x0A0D0D0Au);
    EXPECT_EQ(get<std::uint32_t>(bl[0].body, 0), 0x1A2B3C4Du);
    std::size_t idbs = 0, epbs = 0;
    std::uint64_t last_ts = 0;
    for (const Block& b : bl) {
        if (b.type == 1) {
            ++idbs;
            EXPECT_EQ(get<std::uint16_t>(b.body, 0), kLinktypeRaw);
        }
        if (b.type != 6) continue;
        ++epbs;
        EXPECT_LT(get<std::uint32_t>(b.body, 0), idbs);  // interface declared before use
        const std::uint64_t ts = (std::uint64_t{get<std::uint32_t>(b.body, 4)} << 32) | get<std::uint32_t>(b.body, 8);
        EXPECT_GE(ts, last_ts);  // sorted by wire time
        last_ts = ts;
        const auto cap = get<std::uint32_t>(b.body, 12), orig = get<std::uint32_t>(b.body, 16);
        EXPECT_EQ(cap, b.body[20] == 0x45 ? 32u : 52u);
        EXPECT_GT(orig, cap);
        const std::string rest = b.body.substr(20 + (cap + 3) / 4 * 4);
        ASSERT_EQ(get<std::uint16_t>(rest, 0), 1);  // opt_comment
        const std::string comment = rest.substr(4, get<std::uint16_t>(rest, 2));
        EXPECT_EQ(comment.rfind("txray id=", 0), 0u) << comment;
        EXPECT_NE(comment.find(" | sendmsg | "), std::string::npos) << comment;
    }
    EXPECT_EQ(idbs, 2u);
    EXPECT_EQ(epbs, 49u);
    // The first packet's wire time: its driver_xmit + the wall offset.
    const Packet* first = &packets[0];
    for (const Packet& p : packets)
        if (!p.headers.empty() && wire_ts(p) < wire_ts(*first)) first = &p;
    EXPECT_EQ(wire_ts(*first), first->find(Stage::driver_xmit) ? first->find(Stage::driver_xmit)->ts_ns
                                                               : first->find(Stage::drop)->ts_ns);
}

TEST(Pcapng, OriginalLengthFromTheIpHeader) {
    Packet p = synth_packets({.packets = 1})[0];
    p.flow.proto = 17;
    p.len = 1000;
    p.headers = test::udp_headers(p);
    EXPECT_EQ(original_length(p.headers, p.len), p.flow.family == 4 ? 1028u : 1048u);
    p.headers = {0x00, 0x01};  // not IP: fall back to len
    EXPECT_EQ(original_length(p.headers, p.len), 1000u);
}
