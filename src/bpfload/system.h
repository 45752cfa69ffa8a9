// Facts about the machine txray runs on, and the mounts it needs.
#pragma once
#include <optional>
#include <string>

namespace txray {

struct Privileges {
    bool root = false;
    bool cap_bpf = false, cap_perfmon = false, cap_net_admin = false, cap_sys_admin = false;
    bool enough() const { return cap_sys_admin || (cap_bpf && cap_perfmon && cap_net_admin); }
    std::string describe() const;
};

Privileges current_privileges();
std::string kernel_release();
std::string host_name();
bool have_vmlinux_btf();

// The tracefs libbpf attaches tracepoints through (/sys/kernel/debug/tracing
// if that exists, else /sys/kernel/tracing, mounted there if need be).
// Returns its root, or nullopt with `err` set.
std::optional<std::string> ensure_tracefs(std::string& err);
// The cgroup v2 mount point (e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified).
std::optional<std::string> cgroup2_mount();
// "# CONFIG_KPROBES is not set" -> false; nullopt when the config is not readable.
std::optional<bool> kernel_config_enabled(const std::string& option);
// CLOCK_REALTIME - CLOCK_MONOTONIC, now.
long long wall_offset_ns();
unsigned long long monotonic_ns();

}  // namespace txray
