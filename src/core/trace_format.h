// The trace file's header and footer objects (JSON Lines; docs/trace-format.md).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stage.h"

namespace txray {

inline constexpr const char* kTraceFormatName = "txray-trace";
inline constexpr int kTraceVersionMajor = 1;
inline constexpr int kTraceVersionMinor = 7;

// Which hook a stage used during the recording.
struct StageHook {
    Stage stage{};
    bool available = false;
    std::string hook;                   // "tracepoint:net/net_dev_queue", "fentry:udp_sendmsg", ...
    std::vector<std::string> rejected;  // "fentry: EPERM on load", ...
};

struct TraceHeader {
    int version_major = kTraceVersionMajor;
    int version_minor = kTraceVersionMinor;
    std::string host;
    std::string kernel;
    std::string clock = "CLOCK_MONOTONIC";
    std::int64_t wall_offset_ns = 0;  // CLOCK_REALTIME - CLOCK_MONOTONIC at start
    std::uint64_t start_ns = 0;       // CLOCK_MONOTONIC
    std::string tool;                 // "txray 0.1.0"
    std::vector<StageHook> stages;
    std::vector<std::pair<std::string, std::string>> filters;  // name -> value, as given
};

struct TraceFooter {
    std::uint64_t end_ns = 0;
    std::uint64_t packets = 0;   // packet objects written
    std::uint64_t sends = 0;     // syscalls seen
    std::uint64_t dropped = 0;
    std::uint64_t lost = 0;      // records the kernel could not emit (ring buffer full)
    std::map<std::string, std::uint64_t> lost_by_stage;
    std::uint64_t lost_sends = 0;
    std::uint64_t untracked = 0;  // packets not followed: in-flight table full
    std::uint64_t unfinished = 0; // packets with no end seen
    // --slower-than/--drops-only: packets whose record the kernel did not
    // emit (counted in the kernel); absent without a selection.
    std::optional<std::uint64_t> unselected;
    // Program runs the kernel skipped (already running on that CPU), per BPF
    // program: stage events lost without a ring record; only nonzero ones.
    std::map<std::string, std::uint64_t> missed_runs;
    // Packets handed off while the receive hooks were detached (after
    // seconds without a hand-off): followed without their netif_receive
    // stage (format 1.7); absent when none.
    std::uint64_t receive_unseen = 0;
};

}  // namespace txray
