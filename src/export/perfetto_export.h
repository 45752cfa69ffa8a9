// Chrome/Perfetto JSON trace ("traceEvents"): one process per flow, packets on
// lanes (threads) that never overlap, each packet a slice with its stages as
// child slices. Open the file in ui.perfetto.dev or chrome://tracing.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "core/packet.h"
#include "core/trace_format.h"

namespace txray {

struct PerfettoStats {
    std::size_t flows = 0, lanes = 0, packets = 0, stages = 0;
};

// Timestamps are microseconds relative to the trace origin (the header's
// start_ns, or the earliest packet if earlier), printed exactly from integer ns.
// The packet slice spans its first to last stage; stage i's child slice spans
// mark i to mark i+1 (the last stage: zero length).
PerfettoStats write_perfetto_json(const TraceHeader& h, const std::vector<Packet>& packets, std::FILE* out);

}  // namespace txray
