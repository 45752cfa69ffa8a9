// txray-ui-demo-trace: writes a synthetic trace (txray::synth_packets) for
// demos, screenshots, tests and benchmarks.
//   txray-ui-demo-trace OUT.json [--packets N] [--flows N] [--seed N] [--truncate BYTES] [--garbage]
// --truncate cuts the file after BYTES (a torn last record); --garbage appends
// a line that is not JSON, to exercise the reader's error path.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/synth.h"
#include "core/trace_writer.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s OUT.json [--packets N] [--flows N] [--seed N] [--truncate BYTES] [--garbage]\n", argv[0]);
        return 1;
    }
    txray::SynthOptions opt;
    opt.packets = 5000;
    long long truncate = -1;
    bool garbage = false;
    for (int i = 2; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto num = [&]() { return i + 1 < argc ? std::strtoull(argv[++i], nullptr, 10) : 0ull; };
        if (a == "--packets") opt.packets = num();
        else if (a == "--flows") opt.flows = num();
        else if (a == "--seed") opt.seed = num();
        else if (a == "--truncate") truncate = static_cast<long long>(num());
        else if (a == "--garbage") garbage = true;
        else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return 1;
        }
    }
    const std::string out = argv[1];
    try {
        txray::TraceWriter w(out);
        w.header(txray::synth_header(opt));
        txray::TraceFooter f;
        for (const auto& p : txray::synth_packets(opt)) {
            w.packet(p);
            f.packets++;
            f.dropped += p.outcome == txray::OutcomeKind::dropped;
            f.end_ns = std::max(f.end_ns, p.last_ts());
        }
        if (!garbage && truncate < 0) w.footer(f);
        w.flush();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    if (garbage) {
        std::ofstream(out, std::ios::app) << "{\"type\":\"packet\", this is not json\n";
    }
    if (truncate >= 0) std::filesystem::resize_file(out, static_cast<std::uintmax_t>(truncate));
    return 0;
}
