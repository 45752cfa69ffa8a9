#include "system.h"

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

namespace txray {

namespace fs = std::filesystem;

std::string Privileges::describe() const {
    if (root && enough()) return "root";
    std::string s = root ? "root (restricted)" : "not root";
    s += std::string(": CAP_BPF ") + (cap_bpf ? "yes" : "no") + ", CAP_PERFMON " + (cap_perfmon ? "yes" : "no") +
         ", CAP_NET_ADMIN " + (cap_net_admin ? "yes" : "no") + ", CAP_SYS_ADMIN " + (cap_sys_admin ? "yes" : "no");
    return s;
}

Privileges current_privileges() {
    Privileges p;
    p.root = geteuid() == 0;
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &hdr, data) == 0) {
        auto has = [&](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
        p.cap_bpf = has(39);      // CAP_BPF
        p.cap_perfmon = has(38);  // CAP_PERFMON
        p.cap_net_admin = has(12);
        p.cap_sys_admin = has(21);
    }
    return p;
}

std::string kernel_release() {
    utsname u{};
    return uname(&u) == 0 ? u.release : "unknown";
}

std::string host_name() {
    char buf[256] = {};
    return gethostname(buf, sizeof buf - 1) == 0 ? buf : "unknown";
}

bool have_vmlinux_btf() { return fs::exists("/sys/kernel/btf/vmlinux"); }

namespace {
// The first mount of `fstype` in /proc/self/mounts (at `dir` if one is given).
std::optional<std::string> find_mount(std::string_view fstype, std::string_view dir = {}) {
    std::ifstream in("/proc/self/mounts");
    std::string dev, at, type, rest;
    while (in >> dev >> at >> type && std::getline(in, rest))
        if (type == fstype && (dir.empty() || at == dir)) return at;
    return std::nullopt;
}
}  // namespace

// Where libbpf reads a tracepoint's id (tracefs_path() in libbpf.c; bpftrace
// does the same): /sys/kernel/debug/tracing when that exists (debugfs
// mounted: tracefs automounts there), else /sys/kernel/tracing. A tracefs
// mounted anywhere else is no use to it (seen: a chroot's bind of /sys,
// listed first in the view of an `ip netns exec`, whose fresh /sys has none).
std::optional<std::string> ensure_tracefs(std::string& err) {
    const char* debugfs_dir = "/sys/kernel/debug/tracing";
    const char* target = "/sys/kernel/tracing";
    if (access(debugfs_dir, F_OK) == 0) return std::string(debugfs_dir);
    if (find_mount("tracefs", target)) return std::string(target);
    if (mount("nodev", target, "tracefs", 0, nullptr) != 0) {
        err = std::string("cannot mount tracefs on ") + target + ": " + std::strerror(errno);
        return std::nullopt;
    }
    return std::string(target);
}

std::optional<std::string> cgroup2_mount() { return find_mount("cgroup2"); }

std::optional<bool> kernel_config_enabled(const std::string& option) {
    std::string text;
    if (gzFile gz = gzopen("/proc/config.gz", "rb")) {
        char buf[65536];
        int n;
        while ((n = gzread(gz, buf, sizeof buf)) > 0) text.append(buf, n);
        gzclose(gz);
    } else {
        std::ifstream in("/boot/config-" + kernel_release());
        if (!in) return std::nullopt;
        std::stringstream ss;
        ss << in.rdbuf();
        text = ss.str();
    }
    if (text.empty()) return std::nullopt;
    if (text.find("\n" + option + "=y") != std::string::npos || text.find("\n" + option + "=m") != std::string::npos)
        return true;
    return false;
}

unsigned long long monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<unsigned long long>(ts.tv_sec) * 1'000'000'000ull + ts.tv_nsec;
}

long long wall_offset_ns() {
    timespec rt{}, mono{};
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    return (rt.tv_sec - mono.tv_sec) * 1'000'000'000ll + (rt.tv_nsec - mono.tv_nsec);
}

}  // namespace txray
