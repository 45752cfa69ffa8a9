#include "export_command.h"

#include <fmt/format.h>

#include "export/exporter.h"
#include "export/output_file.h"
#include "core/packet_filter.h"

namespace txray {
namespace {

// Keeps the header and the packets that pass the filter.
struct FilteredTrace : TraceSink {
    explicit FilteredTrace(PacketFilter f) : filter(std::move(f)) {}
    void on_header(const TraceHeader& h) override {
        header = h;
        if (h.start_ns) origin = h.start_ns;
    }
    void on_packet(Packet&& p) override {
        if (!origin) origin = p.first_ts();
        if (filter.matches(p, *origin)) packets.push_back(std::move(p));
    }
    PacketFilter filter;
    TraceHeader header;
    std::vector<Packet> packets;
    std::optional<std::uint64_t> origin;
};

}  // namespace

namespace {
// "perfetto or pcapng", from the registry.
std::string format_names() {
    std::string names;
    for (const Exporter& e : exporters()) names += (names.empty() ? "" : " or ") + std::string(e.name);
    return names;
}
}  // namespace

int run_export(const ExportCommandOptions& opt, std::FILE* err) {
    const Exporter* exporter = find_exporter(opt.format);
    if (!exporter) {
        fmt::print(err, "txray export: unknown format \"{}\" ({})\n", opt.format, format_names());
        return 1;
    }
    auto filter = packet_filter_for("export", opt.filter, err);
    if (!filter) return 1;
    FilteredTrace trace(std::move(*filter));
    ReadStatus status;
    if (!read_trace_input("export", opt.input, trace, status, err)) return 1;
    if (exporter->needs_headers) {
        std::size_t with = 0;
        for (const Packet& p : trace.packets) with += !p.headers.empty();
        if (!with) {
            fmt::print(err, "txray export: no packet in the trace has captured headers: record with "
                            "`txray record --headers`\n");
            return 1;
        }
    }
    OutputFile out(opt.output, exporter->binary);
    if (!out.get()) {
        fmt::print(err, "txray export: {}\n", out.error());
        return 1;
    }
    fmt::print(err, "txray export: {}\n", exporter->write(trace.header, trace.packets, out.get()));
    if (!out.close()) {
        fmt::print(err, "txray export: {}\n", out.error());
        return 1;
    }
    return 0;
}

void add_export_command(CLI::App& app, int& exit_code) {
    auto opt = std::make_shared<ExportCommandOptions>();
    CLI::App* cmd = app.add_subcommand("export", "Convert a trace: Perfetto/Chrome JSON, or pcapng with timelines in comments");
    std::vector<std::string> names;
    for (const Exporter& e : exporters()) names.emplace_back(e.name);
    cmd->add_option("--format", opt->format, format_names())->required()->check(CLI::IsMember(names));
    cmd->add_option("trace", opt->input.path, "Trace file (JSON Lines), or - for standard input")->required();
    cmd->add_option("-o,--output", opt->output, "Output file, or - for standard output")->required();
    add_filter_options(*cmd, opt->filter);
    cmd->add_flag("--strict", opt->input.strict, "Stop at the first bad line instead of skipping it");
    cmd->callback([opt, &exit_code] { exit_code = run_export(*opt, stderr); });
}

}  // namespace txray
