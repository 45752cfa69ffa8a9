// `txray agent`: the in-kernel summary served to Prometheus, and optionally
// the outliers' records (decided in the kernel) written to rotating files.
#pragma once
#include <cstdint>
#include <string>

#include "agent/http_server.h"
#include "trace_options.h"

namespace txray {

struct AgentOptions {
    TraceOptions trace;   // filters, --syscalls (trace.session.summary_syscalls), --duration, --expire
    HttpOptions http;
    // Keep the outliers (records mode): slower than this, or dropped.
    std::uint64_t capture_slower_ns = 0;
    bool capture_drops = false;
    std::string capture_dir = "/var/lib/txray";
    std::uint64_t capture_file_bytes = 64ull << 20;  // rotate after this many bytes written
    std::uint32_t capture_files = 8;                 // keep at most this many
    bool capturing() const { return capture_slower_ns || capture_drops; }
    // --by cgroup: a cgroup label on the packets and e2e series, the first
    // cgroup_top cgroups seen each their own, the rest "other".
    bool by_cgroup = false;
    std::size_t cgroup_top = 10;
};

int run_agent(const AgentOptions& o);

struct AgentSnapshot;
class Session;
class CgroupLabels;
// Everything the agent exports, read now (expired: packets forgotten so far;
// cgroups: with --by cgroup, which also removes the entries of cgroups gone).
AgentSnapshot agent_snapshot(const Session& session, std::uint64_t expired, CgroupLabels* cgroups);

}  // namespace txray
