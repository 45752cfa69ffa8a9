// Options shared by `live` and `record`: filters, hooks, limits.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "collector/trace_loop.h"
#include "bpfload/session.h"

namespace txray {

// session, duration_s, count, expire_s: RecordingOptions (collector/trace_loop.h).
struct TraceOptions : RecordingOptions {
    std::string proto;       // as typed; parsed into session.filters.proto
    std::string hooks = "auto";
    bool headers = false;           // capture packet headers (for pcapng export)
    std::uint16_t snaplen = 128;
    std::uint32_t ring_mb = 16;     // ring buffer size in MiB (a power of 2)
    std::vector<std::string> expression; // positional words: a tcpdump expression
};

// --no-syscalls (live, record).
void add_no_syscalls_option(CLI::App& cmd, TraceOptions& o);

void add_trace_options(CLI::App& cmd, TraceOptions& o);
// Records of the outliers only, decided in the kernel (record, agent): a
// duration option (`slower`) and a flag (`drops`), under the given names.
void add_selection_options(CLI::App& cmd, std::string& slower, bool& drops, const std::string& slower_name,
                           const std::string& drops_name);
// "" -> 0; "5ms" -> 5000000; throws CLI::ValidationError if malformed.
std::uint64_t parse_selection_threshold(const std::string& text, const std::string& option);
// Checks and converts what CLI11 could not; throws TxrayError.
void finish_trace_options(TraceOptions& o);

}  // namespace txray
