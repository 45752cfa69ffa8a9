// Export of packets that crossed devices (trace format 1.3), from the
// hand-made examples/hops-trace.json: Perfetto nests a slice per hop (named
// by its device) inside the packet's and the hop's stages inside it; pcapng
// writes a frame per hop on that device's interface, with the hop's headers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "core/hops.h"
#include "core/trace_reader.h"
#include "export/pcapng_export.h"
#include "export/perfetto_export.h"
#include "tmpfile_text.h"

using namespace txray;
using nlohmann::json;

namespace {

Trace example() { return load_trace(std::string(TXRAY_SOURCE_DIR) + "/examples/hops-trace.json"); }

std::int64_t ns(const json& us) { return std::llround(us.get<double>() * 1000.0); }

}  // namespace

TEST(HopsExport, PerfettoNestsHopsInPacketsAndStagesInHops) {
    const Trace t = example();
    ASSERT_EQ(t.packets.size(), 9u);
    std::FILE* f = std::tmpfile();
    write_perfetto_json(t.header, t.packets, f);
    const json j = json::parse(test::read_and_close(f));
    struct Span {
        std::int64_t b = 0, e = -1;
        bool contains(std::int64_t x, std::int64_t y) const { return b <= x && y <= e; }
    };
    Span packet;
    std::map<std::uint64_t, Span> hop_of;  // this packet's hop slices by index
    std::map<std::string, std::size_t> hop_slices;
    std::size_t nested = 0, outside = 0;
    for (const json& e : j.at("traceEvents")) {
        if (e["ph"] != "X") continue;
        const Span s{ns(e["ts"]), ns(e["ts"]) + ns(e["dur"])};
        if (e["cat"] == "packet") {
            packet = s;
            hop_of.clear();
        } else if (e["cat"] == "hop") {
            EXPECT_TRUE(packet.contains(s.b, s.e)) << e.dump();
            ++hop_slices[e["name"].get<std::string>()];
            EXPECT_EQ(e["args"]["ifname"], e["name"]);
            hop_of[e["args"]["hop"].get<std::uint64_t>()] = s;
        } else if (e["args"].contains("hop")) {
            const Span& h = hop_of.at(e["args"]["hop"].get<std::uint64_t>());
            if (h.contains(s.b, s.e)) ++nested;
            else ++outside;  // the syscall's return, after the last hop: in the packet only
            EXPECT_TRUE(packet.contains(s.b, s.e)) << e.dump();
        }
    }
    // 8 pod packets crossed devices (7 reached the uplink); the host's own has no hop slice.
    EXPECT_EQ(hop_slices["txbp0"], 8u);
    EXPECT_EQ(hop_slices["txbbr"], 8u);
    EXPECT_EQ(hop_slices["txbu0"], 7u);
    EXPECT_EQ(outside, 8u);  // one sendmsg_return each
    std::size_t stages = 0;
    for (const Packet& p : t.packets) stages += p.hops.size() > 1 ? p.stages.size() : 0;
    EXPECT_EQ(nested, stages - 8);
}

TEST(HopsExport, PcapngFramePerHopWithItsHeaders) {
    Packet p = example().packets[0];  // txbp0 -> txbbr -> txbu0, NATed on txbu0
    ASSERT_EQ(p.hops.size(), 3u);
    ASSERT_TRUE(p.hops[2].flow);
    p.headers = {0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 88, 0, 2, 192, 0, 2, 9};
    std::vector<std::uint8_t> natted = p.headers;
    natted[12] = 192, natted[13] = 0, natted[14] = 2, natted[15] = 1;
    p.hops[2].headers = natted;

    std::FILE* f = std::tmpfile();
    TraceHeader h;
    const PcapngStats st = write_pcapng(h, {p}, f);
    EXPECT_EQ(st.written, 3u);  // the bridge hop did not change the headers: the packet's
    EXPECT_EQ(st.interfaces, 3u);
    EXPECT_EQ(st.hops_without_headers, 0u);
    const std::string file = test::read_and_close(f);
    EXPECT_NE(file.find("txbbr"), std::string::npos);
    EXPECT_NE(file.find(std::string(reinterpret_cast<const char*>(natted.data()), natted.size())), std::string::npos);
    EXPECT_NE(file.find("dev=txbu0 q=0 outcome=sent"), std::string::npos);
    EXPECT_NE(file.find("hop=3/3 path=txbp0>txbbr>txbu0"), std::string::npos);
    // Each frame at its own hop's driver_xmit.
    EXPECT_LT(wire_ts(p, 0), wire_ts(p, 2));
    EXPECT_EQ(wire_ts(p, 2), p.stages[14].ts_ns);
    ASSERT_EQ(p.stages[14].stage, Stage::driver_xmit);

    p.hops[2].headers.clear();  // NATed there, not captured: no frame rather than wrong bytes
    f = std::tmpfile();
    const PcapngStats st2 = write_pcapng(h, {p}, f);
    std::fclose(f);
    EXPECT_EQ(st2.written, 2u);
    EXPECT_EQ(st2.hops_without_headers, 1u);
}
