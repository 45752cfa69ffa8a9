// txray-ui's command line.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace txray::ui {

struct CliOptions {
    std::string trace;                         // "" = start with the file browser
    std::string screenshot;                    // --screenshot out.png
    std::vector<std::uint32_t> select_flows;   // --select-flow N (repeatable; "#" column, 1-based)
    std::optional<std::pair<double, double>> zoom;  // --zoom START:END, ns relative to the trace start
    int width = 1600, height = 900;            // --size WxH
    std::optional<std::uint64_t> select_packet;     // --select-packet ID (details panel)
    std::optional<double> replay_at;           // --replay-at T: replay mode, playhead at T (relative)
    std::optional<std::size_t> stats_metric;   // --stats-stage NAME|e2e
    int bench_frames = 0;                      // --bench-frames N: time N frames and exit
    bool help = false;
    bool version = false;                      // --version
};

// Parses argv; on error returns nullopt and sets `error`.
std::optional<CliOptions> parse_cli(int argc, const char* const* argv, std::string& error);
std::string usage();

}  // namespace txray::ui
