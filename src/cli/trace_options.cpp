#include "trace_options.h"

#include "core/duration.h"
#include "core/packet.h"
#include "bpfload/pcap_filter.h"
#include "bpfload/system.h"

namespace txray {

void add_trace_options(CLI::App& cmd, TraceOptions& o) {
    auto& f = o.session.filters;
    cmd.add_option("--pid", f.tgid, "Only sends by this process (tgid)");
    cmd.add_option("--comm", f.comm, "Only sends by tasks with this command name");
    cmd.add_option("--iface", f.iface, "Only packets leaving through this interface");
    cmd.add_option("--proto", o.proto, "Only this protocol: udp, tcp, icmp, or a number");
    cmd.add_option("--port", f.port, "Only packets with this source or destination port");
    cmd.add_option("--host", f.host, "Only packets with this source or destination address");
    cmd.add_option("--cgroup", f.cgroup, "Only packets of tasks (sockets) in this cgroup v2 directory or below it");
    cmd.add_option("--netns", f.netns,
                   "Only packets of this network namespace: /var/run/netns/NAME, an `ip netns` name, "
                   "/proc/PID/ns/net or an inode");
    cmd.add_option("expression", o.expression,
                   "tcpdump filter expression (pcap-filter(7)), evaluated in the kernel, e.g. 'udp and dst port 53'");
    cmd.add_option("--sample", f.sample_every, "Follow 1 in N sends (whole timelines), for very high rates");
    cmd.add_option("--duration", o.duration_s, "Stop after this many seconds");
    cmd.add_option("--count", o.count, "Stop after this many packets");
    cmd.add_option("--hooks", o.hooks, "Hook kind to prefer: auto, fentry, kprobe, tracepoint")
        ->check(CLI::IsMember({"auto", "fentry", "kprobe", "tracepoint"}));
    cmd.add_option("--expire", o.expire_s, "Report packets still in flight after this many seconds as unfinished");
    cmd.add_flag("--headers", o.headers,
                 "Capture each packet's headers from the IP header on (for `txray export --format pcapng`)");
    cmd.add_option("--snaplen", o.snaplen, "Bytes captured with --headers (default 128, at most 256; no payload by default)");
    cmd.add_option("--ring-mb", o.ring_mb,
                   "Ring buffer size in MiB, a power of 2 from 1 to 1024 (default 16): a bigger ring rides out "
                   "longer collector stalls without loss");
    cmd.add_flag("-v,--verbose", o.session.verbose, "Show libbpf's log");
}

void add_no_syscalls_option(CLI::App& cmd, TraceOptions& o) {
    cmd.add_flag("--no-syscalls", o.session.no_syscalls,
                 "Skb stages only, no syscall hooks (cheaper: threads stay off the syscall slow path); a packet's "
                 "process is the task that made it (none when a softirq did), no send records or syscall timings");
}

void add_selection_options(CLI::App& cmd, std::string& slower, bool& drops, const std::string& slower_name,
                           const std::string& drops_name) {
    cmd.add_option(slower_name, slower,
                   "Keep only packets slower than this from their first to their last stage in the kernel "
                   "(e.g. 2ms): the kernel emits no record for the others");
    cmd.add_flag(drops_name, drops, "Keep only dropped packets (with " + slower_name + ": dropped or slower)");
}

std::uint64_t parse_selection_threshold(const std::string& text, const std::string& option) {
    if (text.empty()) return 0;
    auto ns = parse_duration_ns(text);
    if (!ns || !*ns) throw CLI::ValidationError(option + ": a positive duration like 500us, 2ms or 1s, not '" + text + "'");
    return *ns;
}

void finish_trace_options(TraceOptions& o) {
    o.session.snaplen = o.headers ? o.snaplen : 0;
    if (o.headers && (o.snaplen == 0 || o.snaplen > TXR_SNAPLEN_MAX))
        throw TxrayError("--snaplen: between 1 and " + std::to_string(TXR_SNAPLEN_MAX) + " bytes");
    // BPF_MAP_TYPE_RINGBUF: a power-of-2 multiple of the page size.
    if (o.ring_mb == 0 || o.ring_mb > 1024 || (o.ring_mb & (o.ring_mb - 1)))
        throw CLI::ValidationError("--ring-mb: a power of 2 from 1 to 1024 (MiB), not " + std::to_string(o.ring_mb));
    o.session.ringbuf_bytes = o.ring_mb << 20;
    if (!o.proto.empty()) {
        auto p = proto_from_name(o.proto);
        if (!p) throw TxrayError("--proto: unknown protocol '" + o.proto + "' (udp, tcp, icmp or a number)");
        o.session.filters.proto = *p;
    }
    if (o.hooks == "fentry") o.session.hooks = HookPreference::fentry;
    else if (o.hooks == "kprobe") o.session.hooks = HookPreference::kprobe;
    else if (o.hooks == "tracepoint") o.session.hooks = HookPreference::tracepoint;
    else o.session.hooks = HookPreference::automatic;
    if (o.duration_s < 0) throw TxrayError("--duration must be positive");
    // Check the filters now, before any privilege check: a bad expression is
    // a usage error (exit code 2) with libpcap's message.
    auto& f = o.session.filters;
    f.expression = join_expression(o.expression);
    try {
        compile_pcap_filter(f.expression);
        if (!f.cgroup.empty()) f.cgroup = resolve_cgroup(f.cgroup, cgroup2_mount().value_or("")).path;
        if (!f.netns.empty()) resolve_netns(f.netns);
    } catch (const FilterError& e) {
        throw CLI::ValidationError(e.what());
    }
}

}  // namespace txray
