// txray_headers_trace OUT [PACKETS]: a synthetic trace of UDP packets over IPv4
// and IPv6 with captured headers (every 10th packet without), for the pcapng/tshark test.
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
            w.packet(p);
        }
        w.footer({});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
