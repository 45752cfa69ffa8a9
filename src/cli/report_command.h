// `txray report TRACE`: registers the subcommand on the txray CLI.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdio>

#include "filter_options.h"
#include "trace_input.h"

namespace txray {

struct ReportCommandOptions {
    TraceInputOptions input;
    FilterOptions filter;
    bool json = false;
    std::size_t top = 20;
};

// Registers "report" on app; its callback sets exit_code (0 ok, 1 error).
void add_report_command(CLI::App& app, int& exit_code);

// The command itself, for tests: writes the report to out, errors to err.
int run_report(const ReportCommandOptions& opt, std::FILE* out, std::FILE* err);

}  // namespace txray
