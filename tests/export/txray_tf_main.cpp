// txray_tf: a stand-in `txray` with only the report and export subcommands,
// registered exactly as src/cli/main.cpp registers the others, for testing them
// end to end without the BPF build.
#include <CLI/CLI.hpp>

#include "cli/export_command.h"
#include "cli/report_command.h"

int main(int argc, char** argv) {
    CLI::App app{"txray (report/export only)"};
    app.require_subcommand(1);
    int exit_code = 0;
    txray::add_report_command(app, exit_code);
    txray::add_export_command(app, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    return exit_code;
}
