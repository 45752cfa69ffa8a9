#include "report_command.h"

#include <fmt/format.h>

#include "report/report_json.h"
#include "report/report_model.h"
#include "report/report_text.h"

namespace txray {

int run_report(const ReportCommandOptions& opt, std::FILE* out, std::FILE* err) {
    auto filter = packet_filter_for("report", opt.filter, err);
    if (!filter) return 1;
    ReportBuilder builder(std::move(*filter));
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
    add_filter_options(*cmd, opt->filter);
    cmd->add_option("--top", opt->top, "Flows to list (0: all)")->capture_default_str();
    cmd->add_flag("--json", opt->json, "Machine-readable output (durations in ns)");
    cmd->add_flag("--strict", opt->input.strict, "Stop at the first bad line instead of skipping it");
    cmd->callback([opt, &exit_code] { exit_code = run_report(*opt, stdout, stderr); });
}

}  // namespace txray
