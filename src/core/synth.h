// Synthetic traces for tests, benchmarks and demos: plausible UDP/TCP send
// timelines over a few flows, with queueing bursts and drops. Deterministic per seed.
#pragma once
#include <cstdint>
#include <vector>

#include "packet.h"
#include "trace_format.h"

namespace txray {

struct SynthOptions {
    std::size_t packets = 1000;
    std::size_t flows = 6;
    std::uint64_t seed = 1;
    std::uint64_t start_ns = 1'000'000'000;
    double drop_ratio = 0.01;
};

std::vector<Packet> synth_packets(const SynthOptions& opt);
TraceHeader synth_header(const SynthOptions& opt);

}  // namespace txray
