// `txray export --format perfetto|pcapng TRACE -o OUT`: registers the subcommand.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "filter_options.h"
#include "trace_input.h"

namespace txray {

struct ExportCommandOptions {
    TraceInputOptions input;
    std::string format;  // "perfetto" or "pcapng"
    std::string output;  // path or "-"
    FilterOptions filter;
};

// Registers "export" on app; its callback sets exit_code (0 ok, 1 error).
void add_export_command(CLI::App& app, int& exit_code);

// The command itself, for tests: messages go to err.
int run_export(const ExportCommandOptions& opt, std::FILE* err);

}  // namespace txray
