// `txray doctor`: what this kernel offers, and which hook each stage uses.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "bpfload/btf_info.h"
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
    // An io-wq worker's issue opens at its io_uring_file_get, which it only
    // reaches where the file was not assigned at submission: kernels with
    // io_req_prep_async (6.1) assign it there for IOSQE_ASYNC and punts, and
    // 6.1 at times punts IORING_OP_WRITE on a socket (the VM guest: 2 runs of 3).
    // Measured, not explained: the 6.12 VM guest tied none of 32 IOSQE_ASYNC
    // datagrams (veth.uring.udp-async) where this host's 6.18 ties all
    // (UringSend.UdpAsyncEachOnItsRequestNotTheWorker); claimed from 6.13 on.
    int major = 0, minor = 0;
    std::sscanf(kernel_release().c_str(), "%d.%d", &major, &minor);
    const bool workers_measured = major > 6 || (major == 6 && minor >= 13);
    const char* workers = !uring_event_names_request(events, "io_uring_file_get")
                              ? " (not by io-wq workers: io_uring_file_get names no request)"
                          : KernelBtf().func_id("io_req_prep_async") >= 0
                              ? " (not by io-wq workers, which issue IOSQE_ASYNC requests and at times "
                                "socket writes: io_req_prep_async assigns the file at submission, so the worker reaches no "
                                "io_uring_file_get)"
                          : !workers_measured
                              ? " (not by io-wq workers before Linux 6.13: measured on 6.12, cause not known)"
                              : ", and by io-wq workers (IOSQE_ASYNC)";
    return fmt::format(
        "tied (at io_uring:{}) when issued inline and on registered files{}; not tied: UDP datagrams of a request "
        "retried from task_work after a poll wake-up, registered-file requests an io-wq worker issues",
        submit_req ? "io_uring_submit_req" : "io_uring_submit_sqe", workers);
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
