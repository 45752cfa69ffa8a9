// txray_sample_trace OUT [PACKETS]: writes a synthetic trace whose packets use
// every optional field (fragments, GSO, requeues, errors, captured headers), for
// the schema test and the exporters' tests. OUT "-" is standard output.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/synth.h"
#include "core/trace_writer.h"

using namespace txray;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: txray_sample_trace OUT [PACKETS]\n");
        return 2;
    }
    const std::string out = argv[1];
    SynthOptions opt{.packets = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 200, .drop_ratio = 0.1};
    auto packets = synth_packets(opt);
    for (std::size_t i = 0; i < packets.size(); ++i) {
        Packet& p = packets[i];
        if (i % 7 == 1) p.parent_id = p.id, p.fragment = true, p.frag_more = true, p.frag_offset = 0;
        if (i % 11 == 2) p.gso_segs = 3, p.gso_size = 1448;
        if (i % 13 == 3) p.requeues = 1;
        if (i % 9 == 6) p.has_bql = true, p.bql_inflight = 3000, p.bql_limit = 15000, p.stopped_by_bql = i % 2;
        if (i % 23 == 7) p.stopped_by_driver = true;
        if (i % 17 == 4) p.outcome = OutcomeKind::error, p.send_errno = "ENOBUFS";
        if (i % 5 == 0) p.headers = {0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x40, 0x00, 0x40, 0x11};
        if (i % 19 == 5) p.comm = "we\"ird\\na\tme";
    }
    TraceHeader h = synth_header(opt);
    h.stages[3].available = false;
    h.stages[3].hook.clear();
    h.stages[3].rejected = {"fentry:tcp_transmit_skb: EPERM", "kprobe:tcp_transmit_skb: ENOENT"};
    h.wall_offset_ns = -5;
    TraceFooter f;
    f.packets = packets.size();
    f.sends = packets.size();
    f.lost = 3;
    f.lost_by_stage = {{"qdisc_enqueue", 2}, {"free", 1}};
    std::FILE* file = out == "-" ? stdout : std::fopen(out.c_str(), "w");
    if (!file) {
        std::perror(out.c_str());
        return 1;
    }
    {
        TraceWriter w(file);
        w.header(h);
        for (const Packet& p : packets) w.packet(p);
        w.footer(f);
    }
    if (file != stdout) std::fclose(file);
    return 0;
}
