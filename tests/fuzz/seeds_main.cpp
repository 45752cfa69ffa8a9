// txray_fuzz_seeds DIR: writes the seed corpus for fuzz_trace_reader: a small
// valid trace, packets with every optional field, and damaged variants.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/synth.h"
#include "core/trace_writer.h"

using namespace txray;

namespace {

void put(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    SynthOptions opt{.packets = 6, .drop_ratio = 0.3};
    auto packets = synth_packets(opt);
    packets[1].fragment = true, packets[1].frag_more = true, packets[1].parent_id = 1;
    packets[2].gso_segs = 4, packets[2].gso_size = 1448, packets[2].requeues = 2;
    packets[3].outcome = OutcomeKind::error, packets[3].send_errno = "EPERM";
    packets[4].headers = {0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 17};
    packets[5].comm = "a\"b\\c\td\x01";
    // Format 1.3: a pod's packet over veth, bridge and a NATed uplink.
    packets[0].hops = {{packets[0].ifname, packets[0].ifindex, packets[0].netns, std::nullopt, {}},
                       {"br0", 3, 1, std::nullopt, {}},
                       {"uplink", 7, 1, packets[0].flow, {0x45, 0}}};
    packets[0].hops[2].flow->sport = 40001;
    packets[0].encap_of = 2;
    for (std::size_t i = 0; i < packets[0].stages.size(); ++i)
        packets[0].stages[i].hop = static_cast<std::uint8_t>(i * 3 / packets[0].stages.size());
    std::string trace = header_json(synth_header(opt)) + "\n";
    for (const Packet& p : packets) {
        append_packet_json(trace, p);
        trace += "\n";
        std::string one;
        append_packet_json(one, p);
        put(dir, "packet" + std::to_string(p.id), one);
    }
    const std::string full = trace + footer_json({}) + "\n";
    put(dir, "trace", full);
    put(dir, "truncated", full.substr(0, full.size() * 2 / 3));
    std::string corrupt = full;
    corrupt.insert(trace.find('\n') + 1, "{\"type\":\"packet\",\"id\":[}\n");
    put(dir, "corrupt", corrupt);
    put(dir, "header_only", header_json(synth_header(opt)) + "\n");
    put(dir, "not_a_trace", "{\"name\":\"x\",\"version\":\"1.0.0\"}\n");
    // The same trace zstd-compressed (record -o X.zst), whole and cut short.
    {
        TraceWriter w((dir / "trace.zst").string());
        w.header(synth_header(opt));
        for (const Packet& p : packets) w.packet(p);
        w.footer({});
    }
    std::ifstream in(dir / "trace.zst", std::ios::binary);
    const std::string zst((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    put(dir, "truncated.zst", zst.substr(0, zst.size() * 2 / 3));
    return 0;
}
