// `txray agent`: always-on per-node metrics for Prometheus (docs/agent.md).
#include "agent_loop.h"
#include "commands.h"

namespace txray {

void add_agent_command(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<AgentOptions>();
    CLI::App* cmd = app.add_subcommand(
        "agent", "Serve the in-kernel summary to Prometheus on /metrics (a long-lived per-node exporter)");
    add_trace_options(*cmd, o->trace);
    cmd->add_option("--listen", o->http.listen, "ADDR:PORT to serve /metrics on ([v6]:PORT for IPv6)")
        ->capture_default_str();
    cmd->add_flag("--syscalls", o->trace.session.summary_syscalls,
                  "Also the syscall and route stages, and failed sends per errno (about twice the cost)");
    cmd->add_option("--http-threads", o->http.threads, "HTTP worker threads")->check(CLI::Range(1, 64))->capture_default_str();
    cmd->add_option("--http-queue", o->http.queue, "Accepted connections waiting for a worker, at most")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    cmd->callback([o, &exit_code] {
        finish_trace_options(o->trace);
        exit_code = run_agent(*o);
    });
}

}  // namespace txray
