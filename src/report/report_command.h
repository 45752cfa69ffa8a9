// `txray report TRACE`: registers the subcommand on the txray CLI.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdio>

#include "packet_filter.h"
#include "trace_input.h"

namespace txray {

struct ReportCommandOptions {
    TraceInputOptions input;
    std::string flow;
    std::vector<std::uint32_t> pids;
    std::string since, until;
    bool json = false;
    std::size_t top = 20;
};

// Registers "report" on app; its callback sets exit_code (0 ok, 1 error).
void add_report_command(CLI::App& app, int& exit_code);

// The command itself, for tests: writes the report to out, errors to err.
int run_report(const ReportCommandOptions& opt, std::FILE* out, std::FILE* err);

// Builds the PacketFilter from --flow/--pid/--since/--until; false with err set when malformed.
bool make_packet_filter(const std::string& flow, const std::vector<std::uint32_t>& pids, const std::string& since,
                        const std::string& until, PacketFilter& filter, std::string& err);

}  // namespace txray
