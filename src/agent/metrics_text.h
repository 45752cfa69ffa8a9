// `txray agent`: the Prometheus text exposition (format 0.0.4) of the
// in-kernel summary. Names, labels and caps: docs/agent.md.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/cgroup_labels.h"
#include "bpfload/session.h"

namespace txray {

// One reading of everything the agent exports.
struct AgentSnapshot {
    SummaryMaps maps;
    Counters counters{};
    std::uint64_t unfinished = 0;  // in flight now (the in-flight table)
    std::uint64_t expired = 0;     // forgotten after --expire, since start
    std::map<std::string, std::uint64_t> missed_runs;  // Session::missed_runs()
    std::vector<std::pair<std::string, std::string>> hooks;  // (stage, hook) of the stages attached
    std::string version, kernel;
    std::function<std::string(std::uint32_t)> reason_name;   // enum skb_drop_reason -> "QDISC_DROP"
    // --by cgroup: txray_packets_total and the e2e histogram per (ifname,
    // cgroup) from these rows instead of per ifname.
    bool by_cgroup = false;
    std::vector<CgroupSeries> cgroups;
    std::uint64_t cgroup_evictions = 0;
    // --capture-*: records kept (written), and files rotated.
    bool capturing = false;
    std::uint64_t captured = 0, capture_files = 0, capture_write_errors = 0;
};

// Histogram buckets exported: le = 2^k ns for k in [kFirstLe, kLastLe], then
// +Inf. The kernel's bucket b holds [2^b, 2^(b+1)) ns, so it is counted in
// every le >= 2^(b+1).
inline constexpr int kFirstLe = 8;   // 256 ns
inline constexpr int kLastLe = 36;   // ~68.7 s

std::string render_metrics(const AgentSnapshot& s);

// Label value escaping of the text format: backslash, double quote, newline.
std::string escape_label(std::string_view v);

}  // namespace txray
