#pragma once
#include <CLI/CLI.hpp>

#include <string>

namespace txray {

// Adds each subcommand's examples to its --help, and --version to each.
void add_help_examples(CLI::App& app, const std::string& version);

}  // namespace txray
