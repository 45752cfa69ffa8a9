// The loop behind `live` and `record`: attach, drain the ring buffer,
// assemble packets, stop on Ctrl-C/SIGTERM, --duration or --count, then
// detach everything and flush.
#pragma once
#include <cstdint>
#include <vector>

#include "packet.h"
#include "session.h"
#include "stats.h"
#include "trace_format.h"
#include "cli/trace_options.h"

namespace txray {

struct TickStats {
    double elapsed_s = 0;
    std::uint64_t packets = 0, dropped = 0, errors = 0;  // this interval
    std::uint64_t total_packets = 0;
    std::uint64_t lost = 0;           // cumulative, from the kernel
    std::vector<std::pair<Stage, std::uint64_t>> lost_by_stage;  // cumulative, packet records only
    std::uint64_t untracked = 0;      // cumulative: in-flight table full
    std::size_t inflight = 0;
    std::vector<Samples> stage_delta = std::vector<Samples>(kStageCount);  // this interval, per stage
};

class TraceConsumer {
public:
    virtual ~TraceConsumer() = default;
    virtual void on_start(const TraceHeader&) {}
    // After attach: the session, for consumers that read its maps (the agent).
    virtual void on_attached(const Session&) {}
    // SIGHUP: true to go on (the agent reopens its files), false to stop.
    virtual bool on_hangup() { return false; }
    virtual void on_packet(Packet&& p) = 0;
    virtual void on_tick(const TickStats&) {}
    virtual void on_poll(std::uint64_t /*now_ns*/) {}  // after each drain of the ring buffer (~100 ms)
    virtual void on_end(const TraceFooter&) {}
};

TraceHeader make_header(const Session& s, const TraceOptions& o);
// Returns the process exit code.
int run_trace(const TraceOptions& o, TraceConsumer& consumer);

// --verbose, at the end: how many packets left their thread's slot for the
// in-flight hash (bpf/lib/thread_slot.bpf.h), on stderr.
void print_slot_use(const Counters& c);

}  // namespace txray
