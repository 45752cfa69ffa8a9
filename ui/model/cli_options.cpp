#include "cli_options.h"

#include <cstdlib>
#include <string_view>

#include "core/duration.h"
#include "selection_stats.h"
#include "time_format.h"

namespace txray::ui {

std::string usage() {
    return "usage: txray-ui [TRACE.json] [options]\n"
           "  --screenshot OUT.png   render one frame offscreen, write a PNG and exit\n"
           "  --size WxH             window / screenshot size (default 1600x900)\n"
           "  --select-flow N        show flow N (the # column); repeatable\n"
           "  --zoom START:END       visible time range relative to the trace start, e.g. 1ms:1.2ms\n"
           "  --select-packet ID     open the details panel on packet ID\n"
           "  --replay-at T          replay mode with the playhead at T (relative), e.g. 3ms\n"
           "  --stats-stage NAME     histogram metric: a stage name or e2e\n"
           "  --bench-frames N       draw N frames as fast as possible, print CPU times, exit\n"
           "  --version              print the version and exit\n"
           "exit codes in --screenshot mode: 0 PNG written and trace read cleanly,\n"
           "  2 PNG written but the trace had an error (shown in the image), 1 no PNG.\n"
           "examples:\n"
           "  txray-ui trace.json                      open a recording (no root needed)\n"
           "  txray-ui                                 start with the file browser\n"
           "  xvfb-run txray-ui trace.json --screenshot out.png --zoom 0ms:2ms --select-flow 1\n";
}

std::optional<CliOptions> parse_cli(int argc, const char* const* argv, std::string& error) {
    CliOptions o;
    auto need = [&](int& i, std::string_view flag) -> const char* {
        if (i + 1 >= argc) {
            error = std::string(flag) + " needs a value";
            return nullptr;
        }
        return argv[++i];
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (a == "--version") {
            o.version = true;
        } else if (a == "--screenshot") {
            auto v = need(i, a);
            if (!v) return std::nullopt;
            o.screenshot = v;
        } else if (a == "--select-flow") {
            auto v = need(i, a);
            if (!v) return std::nullopt;
            char* end = nullptr;
            const long n = std::strtol(v, &end, 10);
            if (*end || n <= 0) {
                error = "--select-flow: not a flow number: " + std::string(v);
                return std::nullopt;
            }
            o.select_flows.push_back(static_cast<std::uint32_t>(n));
        } else if (a == "--select-packet") {
            auto v = need(i, a);
            if (!v) return std::nullopt;
            char* end = nullptr;
            const auto n = std::strtoull(v, &end, 10);
            if (*end) {
                error = "--select-packet: not a packet id: " + std::string(v);
                return std::nullopt;
            }
            o.select_packet = n;
        } else if (a == "--zoom") {
            auto v = need(i, a);
            if (!v) return std::nullopt;
            const std::string_view s = v;
            const auto colon = s.find(':');
            std::optional<double> b, e;
            if (colon != std::string_view::npos) b = parse_duration(s.substr(0, colon), DurationUnit::ns), e = parse_duration(s.substr(colon + 1), DurationUnit::ns);
            if (!b || !e || *e <= *b) {
                error = "--zoom: expected START:END with END > START, e.g. 1ms:1.5ms";
                return std::nullopt;
            }
            o.zoom = std::pair{*b, *e};
        } else if (a == "--replay-at") {
            auto v = need(i, a);
            if (!v) return std::nullopt;
            o.replay_at = parse_duration(v, DurationUnit::ns);
            if (!o.replay_at) {
                error = "--replay-at: not a time: " + std::string(v);
                return std::nullopt;
            }
        } else if (a == "--stats-stage") {
            auto v = need(i, a);
            if (!v) return std::nullopt;
            if (std::string_view(v) == "e2e") o.stats_metric = kEndToEnd;
            else if (auto s = stage_from_name(v)) o.stats_metric = index(*s);
            else {
                error = "--stats-stage: unknown stage: " + std::string(v);
                return std::nullopt;
            }
        } else if (a == "--size") {
            auto v = need(i, a);
            if (!v) return std::nullopt;
            int w = 0, h = 0;
            char x = 0;
            const std::string s = v;
            if (std::sscanf(s.c_str(), "%d%c%d", &w, &x, &h) != 3 || (x != 'x' && x != 'X') || w < 320 || h < 240 ||
                w > 8192 || h > 8192) {
                error = "--size: expected WxH between 320x240 and 8192x8192";
                return std::nullopt;
            }
            o.width = w, o.height = h;
        } else if (a == "--bench-frames") {
            auto v = need(i, a);
            if (!v) return std::nullopt;
            o.bench_frames = std::atoi(v);
            if (o.bench_frames <= 0) {
                error = "--bench-frames: expected a positive count";
                return std::nullopt;
            }
        } else if (a.starts_with("-") && a != "-") {
            error = "unknown option: " + std::string(a);
            return std::nullopt;
        } else if (o.trace.empty()) {
            o.trace = a;
        } else {
            error = "only one trace file, got a second: " + std::string(a);
            return std::nullopt;
        }
    }
    return o;
}

}  // namespace txray::ui
