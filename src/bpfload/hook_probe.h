// Can a given hook be used on this kernel? Each answer comes with a reason a
// person can act on ("fentry: EPERM on load", "kprobe: kernel built without
// CONFIG_KPROBES").
#pragma once
#include <linux/bpf.h>

#include <optional>
#include <string>
#include <unordered_map>

#include "btf_info.h"

namespace txray {

struct ProbeResult {
    bool ok = false;
    std::string why;  // when !ok
};

class HookProber {
public:
    HookProber(const KernelBtf& btf, std::optional<std::string> tracefs, std::optional<std::string> cgroup2);

    // Loads and attaches a two-instruction fentry program on `func`, then detaches it.
    ProbeResult fentry(const std::string& func);
    ProbeResult kprobe(const std::string& func);
    ProbeResult raw_tracepoint(const std::string& name);  // tp_btf/<name>
    ProbeResult tracefs_event(const std::string& category, const std::string& name);  // tp/<cat>/<name>
    ProbeResult cgroup_egress() const;
    // May a program of `type` call helper `id`? `name` is the helper's, for the reason.
    static ProbeResult helper(bpf_prog_type type, bpf_func_id id, const std::string& name);

private:
    bool kallsyms_has(const std::string& func);
    const KernelBtf& btf_;
    std::optional<std::string> tracefs_, cgroup2_;
    std::optional<std::string> kprobe_unavailable_;  // computed once
    bool kprobe_checked_ = false;
    std::unordered_map<std::string, bool> kallsyms_;
    bool kallsyms_loaded_ = false;
};

}  // namespace txray
