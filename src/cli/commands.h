// The subcommands of `txray`.
#pragma once
#include <CLI/CLI.hpp>

namespace txray {

// Each registers its subcommand; the callback sets exit_code.
void add_live_command(CLI::App& app, int& exit_code);
void add_record_command(CLI::App& app, int& exit_code);
void add_doctor_command(CLI::App& app, int& exit_code);

}  // namespace txray
