// Trace reader throughput: a 1,000,000-packet synthetic trace loaded from a
// file (page cache) with load_trace, the fast parser alone, and the DOM parser.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/synth.h"
#include "core/trace_reader.h"
#include "core/trace_writer.h"

namespace {

using namespace txray;

// Writes the trace once per process; returns its path.
const std::string& trace_file(std::size_t packets) {
    static std::string path;
    static std::size_t made = 0;
    if (made == packets) return path;
    path = (std::filesystem::temp_directory_path() / ("txray_bench_" + std::to_string(packets) + ".json")).string();
    SynthOptions opt{.packets = packets};
    {
        TraceWriter w(path);
        w.header(synth_header(opt));
        for (const Packet& p : synth_packets(opt)) w.packet(p);
        TraceFooter f;
        f.packets = packets;
        w.footer(f);
    }
    made = packets;
    return path;
}

void BM_LoadTrace(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::string& path = trace_file(n);
    const auto bytes = std::filesystem::file_size(path);
    ReadOptions opt;
    opt.threads = static_cast<unsigned>(state.range(1));
    for (auto _ : state) {
        Trace t = load_trace(path, opt);
        if (t.packets.size() != n || !t.status.error.empty()) state.SkipWithError("trace did not load");
        benchmark::DoNotOptimize(t.packets.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
    state.counters["packets/s"] = benchmark::Counter(static_cast<double>(n) * state.iterations(),
                                                     benchmark::Counter::kIsRate);
}
// Args: packets, parser threads (0: one per core).
BENCHMARK(BM_LoadTrace)
    ->Args({1'000'000, 0})
    ->Args({1'000'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

std::string one_line() {
    std::string line;
    append_packet_json(line, synth_packets({.packets = 1})[0]);
    return line;
}

void BM_ParsePacketFast(benchmark::State& state) {
    const std::string line = one_line();
    for (auto _ : state) {
        Packet p;
        benchmark::DoNotOptimize(packet_from_json_fast(line, p));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(line.size()) * state.iterations());
}
BENCHMARK(BM_ParsePacketFast);

void BM_ParsePacketDom(benchmark::State& state) {
    const std::string line = one_line();
    std::string err;
    for (auto _ : state) {
        Packet p;
        benchmark::DoNotOptimize(packet_from_json_text(line, p, err));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(line.size()) * state.iterations());
}
BENCHMARK(BM_ParsePacketDom);

}  // namespace

BENCHMARK_MAIN();
