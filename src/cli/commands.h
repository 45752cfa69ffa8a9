// The subcommands of `txray`.
#pragma once
#include <CLI/CLI.hpp>

namespace txray {

// Each registers its subcommand; the callback sets exit_code.
void add_live_command(CLI::App& app, int& exit_code);
void add_record_command(CLI::App& app, int& exit_code);
void add_doctor_command(CLI::App& app, int& exit_code);
void add_agent_command(CLI::App& app, int& exit_code);  // cmd_agent.cpp (not in static builds)

}  // namespace txray
