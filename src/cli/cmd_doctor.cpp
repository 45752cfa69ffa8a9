// `txray doctor`: what this kernel offers, and which hook each stage uses.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "bpfload/btf_info.h"
#include "bpfload/hook_probe.h"
#include "bpfload/session.h"
#include "bpfload/system.h"
#include "bpfload/pcap_jit.h"
#include "trace_options.h"

namespace txray {

namespace {

// Whether tracefs's io_uring event `name` has a `req` field (the request's
// struct io_kiocb address).
bool uring_event_names_request(const std::string& events, const char* name) {
    std::ifstream in(events + name + "/format");
    std::stringstream format;
    format << in.rdbuf();
    return format.str().find("* req;") != std::string::npos;
}

// Which io_uring send requests this kernel lets txray tie to their request
// (bpf/hooks/uring.bpf.h), from the io_uring tracepoints tracefs lists: the
// submission is io_uring_submit_req from 6.3, io_uring_submit_sqe before;
// the completion names its request from 5.18.
std::string uring_sends_note(const std::string& tracefs) {
    const std::string events = tracefs + "/events/io_uring/";
    const bool submit_req = std::filesystem::exists(events + "io_uring_submit_req");
    if (!submit_req && !std::filesystem::exists(events + "io_uring_submit_sqe"))
        return "not tied (no io_uring:io_uring_submit_req or io_uring_submit_sqe tracepoint)";
    if (!uring_event_names_request(events, "io_uring_complete"))
        return "not tied (io_uring:io_uring_complete names no request: Linux 5.18+)";
    // An io-wq worker's packet names the request the worker issues now
    // (bpf/uring_requests.bpf.h: task->worker_private, an io_worker, and its
    // cur_work), read through bpf_get_current_task_btf (5.11+).
    KernelBtf btf;
    const bool workers = HookProber::helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_current_task_btf,
                                            "bpf_get_current_task_btf").ok &&
                         btf.has_member("task_struct", "worker_private") && btf.has_member("io_worker", "cur_work");
    return fmt::format(
        "tied (at io_uring:{}) when issued inline, on registered files{}; not tied: UDP datagrams of a request "
        "retried from task_work after a poll wake-up",
        submit_req ? "io_uring_submit_req" : "io_uring_submit_sqe",
        workers ? " and by io-wq workers (IOSQE_ASYNC, punted)"
                : " (not by io-wq workers: no task_struct.worker_private or io_worker.cur_work in the kernel's BTF)");
}

int doctor(TraceOptions& o) {
    Privileges priv = current_privileges();
    std::string tracefs_err;
    auto tracefs = priv.enough() ? ensure_tracefs(tracefs_err) : std::nullopt;
    auto cg = cgroup2_mount();
    auto kprobes = kernel_config_enabled("CONFIG_KPROBES");

    fmt::print("kernel       {}\n", kernel_release());
    fmt::print("BTF          {}\n", have_vmlinux_btf() ? "/sys/kernel/btf/vmlinux" : "missing (CONFIG_DEBUG_INFO_BTF)");
    fmt::print("privileges   {}\n", priv.describe());
    fmt::print("tracefs      {}\n", tracefs ? *tracefs : tracefs_err.empty() ? "not checked (needs root)" : tracefs_err);
    fmt::print("cgroup v2    {}\n", cg ? *cg : "not mounted (cgroup_skb hooks unavailable)");
    fmt::print("kprobes      {}\n", !kprobes ? "config not readable" : *kprobes ? "CONFIG_KPROBES=y" : "CONFIG_KPROBES not set");
    fmt::print("hooks        --hooks {}\n\n", o.hooks);
    if (!priv.enough()) {
        fmt::print("Run as root to probe and load the hooks.\n");
        return 1;
    }
    finish_trace_options(o);
    Session session(o.session);  // chooses hooks and loads the chosen programs
    fmt::print("{:<16} {:<9} {}\n", "STAGE", "STATUS", "HOOK / WHY NOT");
    int available = 0;
    for (const auto& c : session.plan().stages) {
        available += c.available;
        fmt::print("{:<16} {:<9} {}\n", stage_name(c.stage), c.available ? "ok" : "--",
                   c.available ? c.hook : "unavailable");
        for (const auto& r : c.rejected) fmt::print("{:<16} {:<9}   rejected {}\n", "", "", r);
    }
    fmt::print("\n{} of {} stages available; the chosen programs loaded.\n", available, session.plan().stages.size());
    fmt::print("send contexts in {}\n", session.send_context_storage());
    fmt::print("packets in flight in {}\n", session.packet_store());
    for (const auto& f : session.kernel_fallbacks()) fmt::print("older kernel: {}\n", f);
    fmt::print("tcpdump expressions {}\n", filter_engine_on_this_kernel());
    if (tracefs) fmt::print("io_uring sends {}\n", uring_sends_note(*tracefs));
    return 0;
}

}  // namespace

void add_doctor_command(CLI::App& app, int& exit_code) {
    auto opts = std::make_shared<TraceOptions>();
    CLI::App* cmd = app.add_subcommand("doctor", "Show the kernel's support and the hook chosen for each stage");
    cmd->add_option("--hooks", opts->hooks, "Hook kind to prefer: auto, fentry, kprobe, tracepoint")
        ->check(CLI::IsMember({"auto", "fentry", "kprobe", "tracepoint"}));
    cmd->add_flag("-v,--verbose", opts->session.verbose, "Show libbpf's log");
    cmd->callback([opts, &exit_code] { exit_code = doctor(*opts); });
}

}  // namespace txray
