#include "pcap_filter.h"

#include <pcap/pcap.h>  // not with <bpf/bpf.h>: both define struct bpf_insn

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

extern "C" int bpf_map_update_elem(int fd, const void* key, const void* value, unsigned long long flags);

namespace txray {

namespace {

struct Compiled {
    bool ok = false;
    std::string error;
    std::vector<txr_cbpf_insn> prog;
};

Compiled compile_for(int dlt, const std::string& expr) {
    Compiled c;
    std::unique_ptr<pcap_t, void (*)(pcap_t*)> p(pcap_open_dead(dlt, kPcapSnaplen), pcap_close);
    if (!p) {
        c.error = "libpcap: pcap_open_dead failed";
        return c;
    }
    bpf_program bp{};
    if (pcap_compile(p.get(), &bp, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        c.error = pcap_geterr(p.get());
        return c;
    }
    static_assert(sizeof(txr_cbpf_insn) == sizeof(bpf_insn), "cBPF instruction layout");
    c.prog.resize(bp.bf_len);
    if (bp.bf_len) std::memcpy(c.prog.data(), bp.bf_insns, bp.bf_len * sizeof(bpf_insn));
    pcap_freecode(&bp);
    c.ok = true;
    return c;
}

void check_program(const std::string& expr, const char* what, const std::vector<txr_cbpf_insn>& prog) {
    if (prog.size() > TXR_PCAP_MAX_INSNS)
        throw FilterError("filter expression '" + expr + "' compiles to " + std::to_string(prog.size()) + " " +
                          what + " instructions; the in-kernel interpreter takes at most " +
                          std::to_string(TXR_PCAP_MAX_INSNS));
    std::string why;
    if (!interpreter_supports(prog, &why))
        throw FilterError("filter expression '" + expr + "': " + why);
}

}  // namespace

bool interpreter_supports(const std::vector<txr_cbpf_insn>& prog, std::string* why) {
    for (std::size_t i = 0; i < prog.size(); ++i) {
        const std::uint16_t c = prog[i].code;
        bool ok = false;
        switch (c & 0x07) {
        case 0x00:  // LD
            ok = ((c & 0xe0) <= 0x80) && (c & 0x18) != 0x18 && !((c & 0xe0) == 0x20 && prog[i].k >= 0x80000000u);
            break;
        case 0x01:  // LDX: IMM, MEM, LEN (W), MSH (B)
            ok = c == 0x01 || c == 0x61 || c == 0x81 || c == 0xb1;
            break;
        case 0x02:
        case 0x03:
            ok = true;
            break;
        case 0x04: {
            const unsigned op = c & 0xf0;
            ok = op <= 0xa0;
            break;
        }
        case 0x05: {
            const unsigned op = c & 0xf0;
            ok = op <= 0x40;
            break;
        }
        case 0x06:
            ok = (c & 0x18) != 0x18;
            break;
        case 0x07:
            ok = (c & 0xf8) == 0x00 || (c & 0xf8) == 0x80;
            break;
        }
        if (!ok) {
            if (why) {
                char buf[96];
                std::snprintf(buf, sizeof buf, "instruction %zu (code 0x%04x, k %u) is not supported in the kernel", i,
                              c, prog[i].k);
                *why = buf;
            }
            return false;
        }
    }
    return true;
}

std::string join_expression(const std::vector<std::string>& words) {
    std::string e;
    for (const auto& w : words) {
        if (!e.empty()) e += ' ';
        e += w;
    }
    return e;
}

PcapFilter compile_pcap_filter(const std::string& expression) {
    PcapFilter f;
    f.expression = expression;
    if (expression.find_first_not_of(" \t\n") == std::string::npos) {
        f.expression.clear();
        return f;
    }
    Compiled raw = compile_for(DLT_RAW, expression);
    Compiled eth = compile_for(DLT_EN10MB, expression);
    if (!raw.ok) {
        if (eth.ok)
            throw FilterError("filter expression '" + expression +
                              "' uses link-layer (Ethernet) fields: txray evaluates expressions where a packet is "
                              "first seen, at IP level for locally sent packets (no MAC header exists yet at "
                              "ip_output); use IP-level terms only (libpcap for raw IP: " +
                              raw.error + ")");
        throw FilterError("filter expression '" + expression + "': " + raw.error);
    }
    if (!eth.ok) throw FilterError("filter expression '" + expression + "' (Ethernet): " + eth.error);
    check_program(expression, "raw-IP", raw.prog);
    check_program(expression, "Ethernet", eth.prog);
    f.raw = std::move(raw.prog);
    f.eth = std::move(eth.prog);
    return f;
}

int store_pcap_filter(int map_fd, const PcapFilter& f) {
    auto value = std::make_unique<txr_pcap_prog>();
    for (std::uint32_t key : {TXR_PCAP_RAW, TXR_PCAP_ETH}) {
        const auto& prog = key == TXR_PCAP_RAW ? f.raw : f.eth;
        std::memset(value.get(), 0, sizeof(*value));
        if (prog.size() > TXR_PCAP_MAX_INSNS) return -E2BIG;
        value->len = static_cast<std::uint32_t>(prog.size());
        if (!prog.empty()) std::memcpy(value->insns, prog.data(), prog.size() * sizeof(txr_cbpf_insn));
        if (bpf_map_update_elem(map_fd, &key, value.get(), 0 /* BPF_ANY */)) return -errno;
    }
    return 0;
}

CgroupScope resolve_cgroup(const std::string& path, const std::string& cgroup2_root) {
    if (cgroup2_root.empty()) throw FilterError("--cgroup: no cgroup v2 hierarchy is mounted");
    char root_buf[PATH_MAX], buf[PATH_MAX];
    if (!realpath(cgroup2_root.c_str(), root_buf))
        throw FilterError("--cgroup: cannot resolve the cgroup2 mount " + cgroup2_root);
    const std::string root = root_buf;
    std::string dir;
    auto inside = [&](const std::string& p) {
        return p == root || (p.size() > root.size() && p.compare(0, root.size(), root) == 0 && p[root.size()] == '/');
    };
    if (realpath(path.c_str(), buf) && inside(buf))
        dir = buf;
    else if (realpath((root + "/" + path).c_str(), buf) && inside(buf))
        dir = buf;
    else
        throw FilterError("--cgroup: " + path + " is not a cgroup v2 directory (under " + root + ")");
    struct stat st {};
    if (stat(dir.c_str(), &st) || !S_ISDIR(st.st_mode)) throw FilterError("--cgroup: " + dir + " is not a directory");

    CgroupScope c;
    c.path = dir;
    // The cgroup id is the kernfs node id, which name_to_handle_at returns.
    union {
        file_handle fh;
        char space[sizeof(file_handle) + 16];
    } h{};
    h.fh.handle_bytes = 8;
    int mount_id = 0;
    if (name_to_handle_at(AT_FDCWD, dir.c_str(), &h.fh, &mount_id, 0) == 0 && h.fh.handle_bytes == 8)
        std::memcpy(&c.id, h.fh.f_handle, 8);
    else
        c.id = st.st_ino;
    for (std::size_t i = root.size(); i < dir.size(); ++i)
        if (dir[i] == '/' && i + 1 < dir.size()) ++c.level;
    return c;
}

std::uint32_t resolve_netns(const std::string& spec) {
    auto number = [](const std::string& s) -> std::optional<std::uint32_t> {
        if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) return {};
        unsigned long long v = std::stoull(s);
        if (v == 0 || v > 0xffffffffull) return {};
        return static_cast<std::uint32_t>(v);
    };
    if (auto n = number(spec)) return *n;
    if (spec.size() > 6 && spec.compare(0, 5, "net:[") == 0 && spec.back() == ']')
        if (auto n = number(spec.substr(5, spec.size() - 6))) return *n;
    std::string path = spec;
    if (spec.find('/') == std::string::npos) path = "/var/run/netns/" + spec;
    struct stat st {};
    if (stat(path.c_str(), &st))
        throw FilterError("--netns: " + spec + ": " + std::strerror(errno) +
                          " (give /var/run/netns/NAME, a name from `ip netns`, /proc/PID/ns/net or an inode)");
    if (st.st_ino > 0xffffffffull) throw FilterError("--netns: " + spec + ": inode out of range");
    return static_cast<std::uint32_t>(st.st_ino);
}

}  // namespace txray
