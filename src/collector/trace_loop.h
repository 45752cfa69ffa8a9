// The loop behind `live` and `record`: attach, drain the ring buffer,
// assemble packets, stop on Ctrl-C/SIGTERM, --duration or --count, then
// detach everything and flush.
#pragma once
#include <map>
#include <cstdint>
#include <vector>

#include "core/packet.h"
#include "bpfload/session.h"
#include "core/stats.h"
#include "core/trace_format.h"

namespace txray {

// What the loop needs: the session's options and when to stop. The CLI's
// TraceOptions (src/cli/trace_options.h) extends it with what it parses.
struct RecordingOptions {
    SessionOptions session;
    double duration_s = 0;    // 0: until Ctrl-C
    std::uint64_t count = 0;  // 0: no limit
    double expire_s = 10;     // in-flight packets older than this are reported unfinished
};

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

TraceHeader make_header(const Session& s, const RecordingOptions& o);
// Returns the process exit code.
int run_trace(const RecordingOptions& o, TraceConsumer& consumer);

// --verbose, at the end: how many packets left their thread's slot for the
// in-flight hash (bpf/lib/thread_slot.bpf.h), on stderr.
void print_slot_use(const Counters& c);
// At the end, when any: the program runs the kernel skipped (Session::missed_runs).
void print_missed_runs(const std::map<std::string, std::uint64_t>& missed);

}  // namespace txray
