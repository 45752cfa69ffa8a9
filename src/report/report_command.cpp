#include "report_command.h"

#include <fmt/format.h>

#include "duration.h"
#include "report_json.h"
#include "report_model.h"
#include "report_text.h"

namespace txray {

bool make_packet_filter(const std::string& flow, const std::vector<std::uint32_t>& pids, const std::string& since,
                        const std::string& until, PacketFilter& filter, std::string& err) {
    if (!flow.empty()) {
        filter.flow = parse_flow_match(flow, err);
        if (!filter.flow) return err = "--flow: " + err, false;
    }
    filter.pids = pids;
    for (auto [text, slot, name] : {std::tuple{&since, &filter.since_ns, "--since"},
                                    std::tuple{&until, &filter.until_ns, "--until"}}) {
        if (text->empty()) continue;
        *slot = parse_duration_ns(*text);
        if (!*slot) return err = fmt::format("{}: bad duration \"{}\" (try 1.5s, 200ms, 300us)", name, *text), false;
    }
    if (filter.since_ns && filter.until_ns && *filter.until_ns <= *filter.since_ns)
        return err = "--until must be after --since", false;
    return true;
}

int run_report(const ReportCommandOptions& opt, std::FILE* out, std::FILE* err) {
    PacketFilter filter;
    std::string why;
    if (!make_packet_filter(opt.flow, opt.pids, opt.since, opt.until, filter, why)) {
        fmt::print(err, "txray report: {}\n", why);
        return 1;
    }
    ReportBuilder builder(std::move(filter));
    ReadStatus status;
    if (!read_trace_input("report", opt.input, builder, status, err)) return 1;
    Report& r = builder.report();
    r.status = status;
    if (opt.json) fmt::print(out, "{}\n", report_to_json(r).dump(2));
    else fmt::print(out, "{}", render_report_text(r, {.top_flows = opt.top}));
    return 0;
}

void add_report_command(CLI::App& app, int& exit_code) {
    auto opt = std::make_shared<ReportCommandOptions>();
    CLI::App* cmd = app.add_subcommand("report", "Summarise a trace: per-stage latency, flows, drops, lost events");
    cmd->add_option("trace", opt->input.path, "Trace file (JSON Lines), or - for standard input")->required();
    cmd->add_option("--flow", opt->flow,
                    "Only this flow: [PROTO] [ENDPOINT] or [PROTO] SRC -> DST; ENDPOINT is ADDR, ADDR:PORT, "
                    "[V6ADDR]:PORT or :PORT (e.g. \"udp :53\")");
    cmd->add_option("--pid", opt->pids, "Only packets sent by these process ids");
    cmd->add_option("--since", opt->since, "Only packets from this time after the start (1.5s, 200ms, 300us)");
    cmd->add_option("--until", opt->until, "Only packets before this time after the start");
    cmd->add_option("--top", opt->top, "Flows to list (0: all)")->capture_default_str();
    cmd->add_flag("--json", opt->json, "Machine-readable output (durations in ns)");
    cmd->add_flag("--strict", opt->input.strict, "Stop at the first bad line instead of skipping it");
    cmd->callback([opt, &exit_code] { exit_code = run_report(*opt, stdout, stderr); });
}

}  // namespace txray
