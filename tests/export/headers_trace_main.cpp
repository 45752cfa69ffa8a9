// txray_headers_trace OUT [PACKETS]: a synthetic trace of UDP packets over IPv4
// and IPv6 with captured headers (every 10th packet without), for the
// pcapng/tshark test. Every 7th crosses three devices (trace format 1.3) and
// is masqueraded on the last, whose headers are captured there too.
#include <cstdio>
#include <cstdlib>

#include "ip_headers.h"
#include "core/synth.h"
#include "core/trace_writer.h"

using namespace txray;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: txray_headers_trace OUT [PACKETS]\n");
        return 2;
    }
    SynthOptions opt{.packets = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100};
    TraceHeader h = synth_header(opt);
    h.wall_offset_ns = 1'700'000'000'000'000'000;  // 2023-11-14
    try {
        TraceWriter w(argv[1]);
        w.header(h);
        auto packets = synth_packets(opt);
        for (std::size_t i = 0; i < packets.size(); ++i) {
            Packet& p = packets[i];
            p.flow.proto = 17;
            if (i % 10 != 9) p.headers = test::udp_headers(p);
            if (i % 7 == 3) {
                Packet nat = p;
                nat.flow.saddr[p.flow.family == 4 ? 3 : 15] ^= 0x80;
                nat.flow.sport = static_cast<std::uint16_t>(40000 + i);
                p.hops = {{p.ifname, p.ifindex, p.netns, std::nullopt, {}},
                          {"br0", 3, p.netns, std::nullopt, {}},
                          {"uplink0", 7, p.netns, nat.flow, test::udp_headers(nat)}};
                for (std::size_t k = 0; k < p.stages.size(); ++k)  // a third of the stages on each device
                    p.stages[k].hop = static_cast<std::uint8_t>(k * 3 / p.stages.size());
            }
            w.packet(p);
        }
        w.footer({});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
