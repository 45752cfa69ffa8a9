// What an older kernel lacks that the one CO-RE object refers to, and the
// stand-ins that let the object load there anyway (Linux 5.10: no task
// storage). The programs never use a stand-in: the rodata switches that
// select the fallback paths make the verifier drop the branches that would.
#pragma once
#include <optional>
#include <string>
#include <vector>

struct bpf_map;

namespace txray {

// Why BPF_MAP_TYPE_TASK_STORAGE cannot be used here (Linux 5.11+), or nothing.
std::optional<std::string> task_storage_unsupported();

// Owns the stand-in maps' fds.
class StandInMaps {
public:
    StandInMaps() = default;
    ~StandInMaps();
    StandInMaps(StandInMaps&& o) noexcept : fds_(std::move(o.fds_)) {}
    StandInMaps& operator=(StandInMaps&&) = delete;
    StandInMaps(const StandInMaps&) = delete;
    StandInMaps& operator=(const StandInMaps&) = delete;

    // Gives `map` (not yet loaded) a one-entry array of the same value size
    // instead of the map libbpf would create; the object's references to it
    // then resolve on a kernel that lacks the map's type. Throws TxrayError.
    void replace(bpf_map* map);

private:
    std::vector<int> fds_;
};

}  // namespace txray
