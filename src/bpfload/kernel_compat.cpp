#include "kernel_compat.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "session.h"  // TxrayError

namespace txray {

std::optional<std::string> task_storage_unsupported() {
    static const std::optional<std::string> why = []() -> std::optional<std::string> {
        // 1: supported, 0: not, <0: the probe itself failed (say so, and do not use it).
        int r = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, nullptr);
        if (r == 1) return std::nullopt;
        if (r == 0) return "no task storage maps on this kernel (Linux 5.11+)";
        return "task storage maps could not be probed: " + std::string(std::strerror(-r));
    }();
    return why;
}

StandInMaps::~StandInMaps() {
    for (int fd : fds_) close(fd);
}

void StandInMaps::replace(bpf_map* map) {
    // A task storage map is keyed by a 4-byte fd: an array's key is 4 bytes too.
    LIBBPF_OPTS(bpf_map_create_opts, opts);
    std::string name = std::string("si_") + bpf_map__name(map);
    name.resize(std::min<std::size_t>(name.size(), BPF_OBJ_NAME_LEN - 1));
    int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name.c_str(), sizeof(int), bpf_map__value_size(map), 1, &opts);
    if (fd < 0)
        throw TxrayError(std::string("cannot create a stand-in for map ") + bpf_map__name(map) + ": " +
                         std::strerror(errno));
    fds_.push_back(fd);
    if (int err = bpf_map__reuse_fd(map, fd))
        throw TxrayError(std::string("cannot use a stand-in for map ") + bpf_map__name(map) + ": " +
                         std::strerror(-err));
}

}  // namespace txray
