// txray: where every packet a Linux host sends spends its time in the kernel.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "commands.h"
#include "help_examples.h"
#include "bpfload/session.h"
#ifdef TXRAY_HAVE_REPORT
#include "report_command.h"
#endif
#ifdef TXRAY_HAVE_EXPORT
#include "export_command.h"
#endif

int main(int argc, char** argv) {
    CLI::App app{"txray: per-packet send-path timelines from BPF", "txray"};
    app.set_version_flag("--version", "txray " TXRAY_VERSION);
    app.require_subcommand(1);
    int exit_code = 0;
    txray::add_live_command(app, exit_code);
    txray::add_record_command(app, exit_code);
    txray::add_doctor_command(app, exit_code);
#ifdef TXRAY_HAVE_AGENT
    txray::add_agent_command(app, exit_code);
#endif
#ifdef TXRAY_HAVE_REPORT
    txray::add_report_command(app, exit_code);
#endif
#ifdef TXRAY_HAVE_EXPORT
    txray::add_export_command(app, exit_code);
#endif
    txray::add_help_examples(app, "txray " TXRAY_VERSION);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    } catch (const txray::TxrayError& e) {
        std::fprintf(stderr, "txray: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "txray: %s\n", e.what());
        return 1;
    }
    return exit_code;
}
