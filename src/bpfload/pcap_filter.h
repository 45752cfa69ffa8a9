// tcpdump (pcap-filter) expressions for `txray live|record [EXPRESSION]`:
// compiled with libpcap to classic BPF, checked against what the in-kernel
// interpreter (bpf/pcap_filter.bpf.h) supports, and stored in its map.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "pcap_filter.bpf.h"

namespace txray {

// The expression is not usable: libpcap's message, or why txray cannot
// evaluate it. The CLI exits with code 2.
struct FilterError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct PcapFilter {
    std::string expression;            // as given ("" : no filter)
    std::vector<txr_cbpf_insn> raw;    // DLT_RAW: from the IP header
    std::vector<txr_cbpf_insn> eth;    // DLT_EN10MB: from the Ethernet header
    bool empty() const { return expression.empty(); }
};

// Snap length the programs are compiled for (a match returns it).
constexpr int kPcapSnaplen = 262144;

// Compiles `expression` for both link types. Throws FilterError.
PcapFilter compile_pcap_filter(const std::string& expression);

// Joins command-line words into one expression, as tcpdump does.
std::string join_expression(const std::vector<std::string>& words);

// Writes the programs into the map txr_pcap_progs (fd). Returns 0 or -errno.
int store_pcap_filter(int map_fd, const PcapFilter& f);

// Whether the in-kernel interpreter supports every instruction of `prog`.
bool interpreter_supports(const std::vector<txr_cbpf_insn>& prog, std::string* why = nullptr);

// --cgroup PATH: a cgroup v2 directory (absolute, or relative to the cgroup2
// mount). The kernel matches the cgroup and every descendant of it.
struct CgroupScope {
    std::uint64_t id = 0;     // kernfs id (what bpf_get_current_cgroup_id returns)
    std::uint32_t level = 0;  // depth below the root (root = 0)
    std::string path;         // resolved directory
};
// Throws FilterError.
CgroupScope resolve_cgroup(const std::string& path, const std::string& cgroup2_root);

// --netns PATH|INODE|NAME: /var/run/netns/NAME, /proc/PID/ns/net, a bare
// name from `ip netns`, "net:[N]" or N. Returns the namespace inode; throws FilterError.
std::uint32_t resolve_netns(const std::string& spec);

}  // namespace txray
