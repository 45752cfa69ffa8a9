// `txray agent --by cgroup`: which cgroups get a label of their own, and what
// they are called. The kernel counts per (cgroup v2 id, interface slot)
// (bpf/agent_metrics.bpf.h); here the first K cgroups seen keep their own
// label for as long as they exist, the rest are summed as "other", so every
// exported counter only grows. Rules and bounds: docs/agent.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bpfload/session.h"

namespace txray {

// One exported (cgroup, interface slot) row.
struct CgroupSeries {
    std::string cgroup;  // path under the cgroup2 mount ("/a/b"), or "other"
    std::size_t slot = 0;
    txr_cgroup_row row{};
};

// cgroup v2 id -> path: on cgroup2 a cgroup's id is its directory's inode
// number (kernfs_node id), so a walk of the mounted tree names every id.
class CgroupPaths {
public:
    explicit CgroupPaths(std::string mount);  // "": no cgroup2 mounted (nothing resolves)
    void rescan();
    std::optional<std::string> find(std::uint64_t id) const;

private:
    std::string mount_;
    std::unordered_map<std::uint64_t, std::string> paths_;
};

class CgroupLabels {
public:
    static constexpr std::size_t kDefaultTop = 10;
    // Rescans the tree at least this often (updates), to see cgroups go.
    static constexpr unsigned kRescanEvery = 10;
    using Find = std::function<std::optional<std::string>(std::uint64_t id)>;
    CgroupLabels(std::size_t top, Find find, std::function<void()> rescan);

    struct Update {
        std::vector<CgroupSeries> series;  // labelled ones, then "other" per slot
        std::vector<txr_cgroup_key> evict;  // entries of cgroups gone: remove from the kernel's table
    };
    // From one reading of the maps (SummaryMaps::cgroups, cgroup_other).
    Update update(const SummaryMaps& m);
    std::uint64_t evictions() const { return evictions_; }

private:
    struct Decision {
        bool own_label = false;
        std::string path;
    };
    std::size_t top_;
    Find find_;
    std::function<void()> rescan_;
    unsigned since_rescan_ = 0;
    std::unordered_map<std::uint64_t, Decision> decided_;
    std::size_t labelled_ = 0;
    std::vector<txr_cgroup_row> folded_;  // per slot: entries evicted while counted as "other"
    std::uint64_t evictions_ = 0;
};

// Adds row r into `into` (packets and the histogram).
void add_cgroup_row(txr_cgroup_row& into, const txr_cgroup_row& r);

}  // namespace txray
