#include "cgroup_labels.h"

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

namespace txray {

CgroupPaths::CgroupPaths(std::string mount) : mount_(std::move(mount)) {}

void CgroupPaths::rescan() {
    paths_.clear();
    if (mount_.empty()) return;
    namespace fs = std::filesystem;
    // A cgroup's id is its directory's inode; its path is relative to the
    // mount, "/" for the root.
    auto remember = [this](const fs::path& dir, const std::string& relative) {
        struct stat st {};
        if (stat(dir.c_str(), &st) == 0) paths_[st.st_ino] = fmt::format("/{}", relative);
    };
    remember(mount_, "");
    std::error_code ec;
    for (fs::recursive_directory_iterator it(mount_, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
        remember(it->path(), it->path().lexically_relative(mount_).string());
    }
}

std::optional<std::string> CgroupPaths::find(std::uint64_t id) const {
    auto it = paths_.find(id);
    if (it == paths_.end()) return std::nullopt;
    return it->second;
}

void add_cgroup_row(txr_cgroup_row& into, const txr_cgroup_row& r) {
    into.packets[0] += r.packets[0];
    into.packets[1] += r.packets[1];
    for (int b = 0; b < TXR_HIST_BUCKETS; ++b) into.e2e.buckets[b] += r.e2e.buckets[b];
    into.e2e.sum_ns += r.e2e.sum_ns;
}

CgroupLabels::CgroupLabels(std::size_t top, Find find, std::function<void()> rescan)
    : top_(top), find_(std::move(find)), rescan_(std::move(rescan)), folded_(TXR_IF_SLOTS) {}

CgroupLabels::Update CgroupLabels::update(const SummaryMaps& m) {
    Update u;
    std::set<std::uint64_t> ids;
    bool unknown = false;
    for (const auto& [key, row] : m.cgroups) {
        ids.insert(key.cgroup_id);
        unknown |= !decided_.count(key.cgroup_id);
    }
    std::map<std::uint64_t, bool> gone;  // id -> it had its own label
    if (unknown || ++since_rescan_ >= kRescanEvery) {
        rescan_();
        since_rescan_ = 0;
        for (auto id : ids) {
            auto path = find_(id);
            auto it = decided_.find(id);
            if (!path) {  // gone before it was named, or gone now
                const bool own = it != decided_.end() && it->second.own_label;
                gone[id] = own;
                labelled_ -= own;
                if (it != decided_.end()) decided_.erase(it);
            } else if (it == decided_.end()) {
                const bool own = labelled_ < top_;
                labelled_ += own;
                decided_.emplace(id, Decision{own, *path});
            }
        }
    }
    // (label, slot) -> row; "other" gathers the rest.
    std::map<std::pair<std::string, std::size_t>, txr_cgroup_row> rows;
    std::vector<txr_cgroup_row> other = folded_;
    for (std::size_t s = 0; s < TXR_IF_SLOTS && s < m.cgroup_other.size(); ++s) add_cgroup_row(other[s], m.cgroup_other[s]);
    for (const auto& [key, row] : m.cgroups) {
        const std::size_t slot = key.ifslot < TXR_IF_SLOTS ? key.ifslot : 0;
        if (auto g = gone.find(key.cgroup_id); g != gone.end()) {
            // Its counts leave the kernel now: an unlabelled one's stay in
            // "other"; a labelled one's series ends with it.
            u.evict.push_back(key);
            ++evictions_;
            if (!g->second) {
                add_cgroup_row(folded_[slot], row);
                add_cgroup_row(other[slot], row);
            }
            continue;
        }
        auto d = decided_.find(key.cgroup_id);
        if (d == decided_.end()) continue;  // not named yet: counted once it is
        if (d->second.own_label) add_cgroup_row(rows[{d->second.path, slot}], row);
        else add_cgroup_row(other[slot], row);
    }
    for (auto& [k, row] : rows) u.series.push_back({k.first, k.second, row});
    for (std::size_t s = 0; s < TXR_IF_SLOTS; ++s)
        if (other[s].packets[0] || other[s].packets[1]) u.series.push_back({"other", s, other[s]});
    return u;
}

}  // namespace txray
