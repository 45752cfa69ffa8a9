// Program runs the kernel skipped: a program already running on a CPU is not
// entered again there (__bpf_trace_run's prog->active for raw tracepoints,
// trace_call_bpf's bpf_prog_active for perf tracepoints, the trampoline's
// __bpf_prog_enter_recur for fentry), e.g. when a softirq that sends a
// packet interrupts it. Each skip is a stage event lost without a ring
// record; the kernel counts it in bpf_prog_info.recursion_misses (5.12+).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstring>

#include "session.h"
#include "txray.skel.h"

namespace txray {

std::map<std::string, std::uint64_t> Session::missed_runs() const {
    std::map<std::string, std::uint64_t> out;
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, skel_->obj) {
        const int fd = bpf_program__fd(prog);
        if (fd < 0) continue;  // not loaded
        bpf_prog_info info;
        std::memset(&info, 0, sizeof info);
        __u32 len = sizeof info;
        // A kernel older than the field returns a shorter info: the count stays 0.
        if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.recursion_misses) continue;
        std::string name = bpf_program__name(prog);
        if (name.starts_with("txr_")) name.erase(0, 4);
        out[name] += info.recursion_misses;
    }
    return out;
}

}  // namespace txray
