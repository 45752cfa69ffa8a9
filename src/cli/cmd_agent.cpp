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
                  "Also the syscall and route stages, and failed sends per errno (about twice the cost); "
                  "with --capture-*, the captured records' syscall stages");
    cmd->add_option("--http-threads", o->http.threads, "HTTP worker threads")->check(CLI::Range(1, 64))->capture_default_str();
    cmd->add_option("--http-queue", o->http.queue, "Accepted connections waiting for a worker, at most")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    auto by = std::make_shared<std::string>();
    cmd->add_option("--by", *by, "cgroup: also a cgroup label on txray_packets_total and the e2e histogram")
        ->check(CLI::IsMember({"cgroup"}));
    cmd->add_option("--cgroup-top", o->cgroup_top,
                    "With --by cgroup: the first K cgroups seen get their own label, the rest \"other\"")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    auto slower = std::make_shared<std::string>();
    add_selection_options(*cmd, *slower, o->capture_drops, "--capture-slower-than", "--capture-drops");
    cmd->add_option("--capture-dir", o->capture_dir, "Directory of the capture files (rotating .json.zst traces)")
        ->capture_default_str();
    auto file_mb = std::make_shared<std::uint64_t>(o->capture_file_bytes >> 20);
    cmd->add_option("--capture-file-mb", *file_mb, "Start a new capture file once one holds this many MiB")
        ->check(CLI::Range(1, 1 << 20))
        ->capture_default_str();
    cmd->add_option("--capture-files", o->capture_files, "Keep at most this many capture files (the oldest go)")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd->callback([o, slower, file_mb, by, &exit_code] {
        o->by_cgroup = *by == "cgroup";
        finish_trace_options(o->trace);
        try {
            civetweb_listen(o->http.listen);  // a bad --listen: a usage error, before anything loads
        } catch (const TxrayError& e) {
            throw CLI::ValidationError(e.what());
        }
        o->capture_slower_ns = parse_selection_threshold(*slower, "--capture-slower-than");
        o->capture_file_bytes = *file_mb << 20;
        exit_code = run_agent(*o);
    });
}

}  // namespace txray
