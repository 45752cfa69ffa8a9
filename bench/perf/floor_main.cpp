// txray-floor: loads bench/perf/floor.bpf.c (empty programs on txray's hooks),
// attaches them all, prints "attached N" and waits for SIGINT/SIGTERM or
// --seconds S. The "floor" of bench/overhead.sh. --skip TEXT (repeatable):
// leave out the programs whose name holds TEXT, to see what each hook costs
// (overhead.sh's floor-no-* modes). --clock: the stamping programs also read
// the clock, once per stage and packet as txray does (floor-clock mode).
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "floor.skel.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// False only for a classic tracepoint ("tp/CAT/NAME") that a mounted tracefs
// does not list: one the kernel lacks (io_uring_submit_sqe from 6.3 on).
bool tracepoint_exists(const std::string& section) {
    if (section.rfind("tp/", 0) != 0) return true;
    for (const char* events : {"/sys/kernel/tracing/events/", "/sys/kernel/debug/tracing/events/"})
        if (access(events, F_OK) == 0) return access((events + section.substr(3)).c_str(), F_OK) == 0;
    return true;  // no tracefs to ask: try to attach
}

std::string cgroup2_mount() {
    std::ifstream m("/proc/self/mounts");
    std::string line;
    while (std::getline(m, line)) {
        std::istringstream in(line);
        std::string dev, dir, type;
        in >> dev >> dir >> type;
        if (type == "cgroup2") return dir;
    }
    return "";
}
}  // namespace

int main(int argc, char** argv) {
    double seconds = 0;
    bool clock = false;
    std::vector<std::string> skip;
    for (int i = 1; i < argc; i++) {
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (!std::strcmp(argv[i], "--clock")) clock = true;
        else if (value && !std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[++i]);
        else if (value && !std::strcmp(argv[i], "--skip")) skip.emplace_back(argv[++i]);
        else {
            std::fprintf(stderr, "usage: txray-floor [--seconds S] [--clock] [--skip TEXT]...\n");
            return 2;
        }
    }
    libbpf_set_print([](libbpf_print_level lvl, const char* f, va_list ap) {
        return lvl == LIBBPF_WARN ? std::vfprintf(stderr, f, ap) : 0;
    });
    floor_bpf* skel = floor_bpf::open();
    if (skel) skel->rodata->stamp = clock;
    // Skipped programs are not even loaded: what bpftool lists is what runs.
    bpf_program* p;
    if (skel)
        bpf_object__for_each_program(p, skel->obj) {
            const std::string name = bpf_program__name(p);
            for (const std::string& s : skip)
                if (name.find(s) != std::string::npos) bpf_program__set_autoload(p, false);
            if (!tracepoint_exists(bpf_program__section_name(p))) bpf_program__set_autoload(p, false);
        }
    if (skel && floor_bpf::load(skel)) {
        floor_bpf::destroy(skel);
        skel = nullptr;
    }
    if (!skel) {
        std::fprintf(stderr, "txray-floor: load failed: %s\n", std::strerror(errno));
        return 1;
    }
    std::vector<bpf_link*> links;
    int cg_fd = -1;
    bpf_object__for_each_program(p, skel->obj) {
        if (!bpf_program__autoload(p)) continue;  // skipped
        bpf_link* l = nullptr;
        if (bpf_program__type(p) == BPF_PROG_TYPE_CGROUP_SKB) {
            if (cg_fd < 0) cg_fd = open(cgroup2_mount().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (cg_fd >= 0) l = bpf_program__attach_cgroup(p, cg_fd);
        } else {
            l = bpf_program__attach(p);
        }
        if (!l) {
            std::fprintf(stderr, "txray-floor: attach %s failed: %s\n", bpf_program__name(p), std::strerror(errno));
            continue;
        }
        links.push_back(l);
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("attached %zu\n", links.size());
    std::fflush(stdout);
    for (double t = 0; !g_stop && (seconds <= 0 || t < seconds); t += 0.05) usleep(50000);
    for (bpf_link* l : links) bpf_link__destroy(l);
    if (cg_fd >= 0) close(cg_fd);
    floor_bpf::destroy(skel);
    return 0;
}
