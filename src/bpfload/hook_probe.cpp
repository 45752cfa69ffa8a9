#include "hook_probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "system.h"

namespace txray {

namespace {

std::string errno_text(int e) {
    const char* n = strerrorname_np(e);
    return std::string(n ? n : "errno " + std::to_string(e));
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

}  // namespace

HookProber::HookProber(const KernelBtf& btf, std::optional<std::string> tracefs, std::optional<std::string> cgroup2)
    : btf_(btf), tracefs_(std::move(tracefs)), cgroup2_(std::move(cgroup2)) {}

ProbeResult HookProber::fentry(const std::string& func) {
    if (!btf_.ok()) return {false, "fentry: no kernel BTF"};
    int id = btf_.func_id(func);
    if (id < 0) return {false, "fentry: " + func + " not in kernel BTF (inlined or renamed)"};
    // r0 = 0; exit
    const bpf_insn insns[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
                .attach_btf_id = static_cast<__u32>(id));
    Fd prog{bpf_prog_load(BPF_PROG_TYPE_TRACING, "txray_probe", "GPL", insns, 2, &opts)};
    if (prog.fd < 0) return {false, "fentry: " + errno_text(errno) + " on load"};
    Fd link{bpf_link_create(prog.fd, 0, BPF_TRACE_FENTRY, nullptr)};
    if (link.fd < 0) return {false, "fentry: " + errno_text(errno) + " on attach"};
    return {true, ""};
}

bool HookProber::kallsyms_has(const std::string& func) {
    if (!kallsyms_loaded_) {
        kallsyms_loaded_ = true;
        std::ifstream in("/proc/kallsyms");
        std::string addr, type, name;
        while (in >> addr >> type >> name) {
            if (in.peek() != '\n') in.ignore(1 << 20, '\n');  // module name
            if (type == "t" || type == "T") kallsyms_[name] = true;
        }
    }
    return kallsyms_.count(func) > 0;
}

ProbeResult HookProber::kprobe(const std::string& func) {
    if (!kprobe_checked_) {
        kprobe_checked_ = true;
        // libbpf attaches kprobes through the perf "kprobe" PMU (or tracefs
        // kprobe_events); neither exists without CONFIG_KPROBES.
        bool pmu = std::filesystem::exists("/sys/bus/event_source/devices/kprobe/type");
        bool events = tracefs_ && std::filesystem::exists(*tracefs_ + "/kprobe_events");
        if (!pmu && !events) {
            auto cfg = kernel_config_enabled("CONFIG_KPROBES");
            kprobe_unavailable_ = cfg && !*cfg ? "kprobe: kernel built without CONFIG_KPROBES"
                                               : "kprobe: no kprobe PMU or kprobe_events (CONFIG_KPROBES off?)";
        }
    }
    if (kprobe_unavailable_) return {false, *kprobe_unavailable_};
    if (!kallsyms_has(func)) return {false, "kprobe: " + func + " not in /proc/kallsyms"};
    return {true, ""};
}

ProbeResult HookProber::raw_tracepoint(const std::string& name) {
    if (!btf_.ok()) return {false, "tracepoint: no kernel BTF for tp_btf"};
    if (!btf_.has_raw_tracepoint(name)) return {false, "tracepoint: " + name + " not in this kernel"};
    return {true, ""};
}

ProbeResult HookProber::tracefs_event(const std::string& category, const std::string& name) {
    if (!tracefs_) return {false, "tracepoint: tracefs not mounted"};
    if (!std::filesystem::exists(*tracefs_ + "/events/" + category + "/" + name + "/id"))
        return {false, "tracepoint: " + category + ":" + name + " not in this kernel"};
    return {true, ""};
}

// Loads "call id; r0 = 0; exit" and reads the verifier's log: an unknown or
// disallowed helper is named as such before any argument is checked.
// (libbpf 1.1's libbpf_probe_bpf_helper misses 6.x's wording, "program of
// this type cannot use helper", and says yes.) No log at all (no privilege): no.
ProbeResult HookProber::helper(bpf_prog_type type, bpf_func_id id, const std::string& name) {
    const bpf_insn insns[] = {
        {.code = BPF_JMP | BPF_CALL, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = id},
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
    };
    char log[4096] = "";
    LIBBPF_OPTS(bpf_prog_load_opts, o, .log_level = 1, .log_size = sizeof log, .log_buf = log);
    Fd prog{bpf_prog_load(type, nullptr, "GPL", insns, 3, &o)};
    if (prog.fd >= 0) return {true, ""};
    const std::string_view l(log);
    if (l.empty()) return {false, name + ": " + errno_text(errno) + " on load, no verifier log"};
    if (l.find("unknown func") != l.npos || l.find("invalid func") != l.npos)
        return {false, name + ": not in this kernel"};
    if (l.find("cannot use helper") != l.npos)
        return {false, name + ": not allowed in " + libbpf_bpf_prog_type_str(type) + " programs"};
    return {true, ""};
}

ProbeResult HookProber::cgroup_egress() const {
    if (!cgroup2_) return {false, "cgroup_skb: no cgroup v2 mount"};
    // txr_cgroup_egress needs the kfunc bpf_cast_to_kern_ctx (Linux 6.2+).
    if (btf_.ok() && btf_.func_id("bpf_cast_to_kern_ctx") < 0)
        return {false, "cgroup_skb: no kfunc bpf_cast_to_kern_ctx (kernel < 6.2)"};
    return {true, ""};
}

}  // namespace txray
