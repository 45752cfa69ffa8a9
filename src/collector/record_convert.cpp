#include "record_convert.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "syscalls.h"

namespace txray {

// Every stage: txray::Stage and enum txr_stage come from one table
// (bpf/stage_table.h), so these hold by construction; they guard the cast in
// packet_from_record if either is ever declared by hand again.
#define TXR_X_SAME_ID(ID, name, ...) static_assert(static_cast<int>(Stage::name) == TXR_ST_##ID);
TXR_STAGE_TABLE(TXR_X_SAME_ID)
#undef TXR_X_SAME_ID
static_assert(kStageCount == TXR_ST_COUNT);

namespace {
std::string fixed_string(const char* s, std::size_t n) { return std::string(s, strnlen(s, n)); }

// The kernel's flow fields (v4 addresses in the first 4 bytes) into a Flow.
template <typename Rec>
void fill_flow(Flow& f, const Rec& r) {
    f.family = r.family;
    f.proto = r.proto;
    std::memcpy(f.saddr.data(), r.saddr, 16);
    std::memcpy(f.daddr.data(), r.daddr, 16);
    if (r.family == 4) {  // the kernel copies 4 bytes; keep the rest zero
        std::fill(f.saddr.begin() + 4, f.saddr.end(), 0);
        std::fill(f.daddr.begin() + 4, f.daddr.end(), 0);
    }
    f.sport = r.sport;
    f.dport = r.dport;
}
}  // namespace

txr_packet record_from_lean(const txr_lean_record& r) {
    const txr_lean& l = r.l;
    txr_packet p{};
    p.kind = TXR_REC_PACKET;
    p.end = r.end;
    p.flags = TXR_PF_NO_SEND;
    p.id = r.id;
    p.skb = r.skb;
    p.cgroup_id = l.cgroup_id;
    p.sk = l.sk;
    for (int s = 0; s < TXR_ST_COUNT; ++s)
        if (l.seen & (1u << s)) p.ts[s] = l.first + l.ts_off[s];
    p.pid = l.pid;
    p.tid = l.tid;
    p.netns = l.netns;
    p.ifindex = r.ifindex;
    p.len = l.len;
    p.sport = l.sport;
    p.dport = l.dport;
    p.family = l.family;
    p.proto = l.proto;
    p.icmp_type = l.icmp_type;
    p.icmp_code = l.icmp_code;
    p.ethertype = l.ethertype;
    std::memcpy(p.saddr, l.saddr, sizeof p.saddr);
    std::memcpy(p.daddr, l.daddr, sizeof p.daddr);
    std::memcpy(p.comm, l.comm, sizeof p.comm);
    std::memcpy(p.ifname, r.ifname, sizeof p.ifname);
    p.end_cpu = r.end_cpu;
    p.end_ctx = r.end == TXR_END_EXPIRED ? TXR_END_CTX_NONE : r.end_ctx;
    p.drop_reason = r.drop_reason;
    return p;
}

Packet packet_from_record(const txr_packet& r, const DropReasonNamer& reason_name,
                          const KernelSymbolNamer& symbol_name) {
    Packet p;
    p.id = r.id;
    p.skb = r.skb;
    p.send_id = r.send_id;
    p.msg_index = r.msg_index;
    p.parent_id = r.parent_id;
    p.encap_of = r.encap_of;
    p.pid = r.pid;
    p.tid = r.tid;
    p.comm = fixed_string(r.comm, sizeof r.comm);
    p.cgroup_id = r.cgroup_id;
    p.netns = r.netns;
    p.ifname = fixed_string(r.ifname, sizeof r.ifname);
    p.ifindex = r.ifindex;
    p.queue = r.queue;
    p.len = r.len;
    fill_flow(p.flow, r);
    if ((r.proto == 1 || r.proto == 58) && r.family && r.frag_off == 0) {
        p.flow.has_icmp = true;
        p.flow.icmp_type = r.icmp_type;
        p.flow.icmp_code = r.icmp_code;
    }
    if (r.family == 0) p.flow.ethertype = r.ethertype;
    p.fragment = r.flags & TXR_PF_FRAGMENT;
    p.frag_more = r.flags & TXR_PF_FRAG_MORE;
    p.frag_offset = r.frag_off;
    p.requeues = r.requeues;
    p.gso_segment = r.flags & TXR_PF_GSO_SEGMENT;
    p.sock = r.sk;
    if (r.proto == 6 && !p.fragment) {
        p.has_tcp = true;
        p.tcp_seq = r.tcp_seq;
        p.tcp_end_seq = r.tcp_end_seq;
        p.tcp_flags = r.tcp_flags;
    }
    if (r.ts[TXR_ST_QDISC_ENQUEUE]) {
        p.has_qdisc = true;
        p.qdisc_backlog = r.qdisc_backlog;
        p.qdisc_qlen = r.qdisc_qlen;
    }
    p.gso_segs = r.gso_segs;
    if (r.flags & TXR_PF_BQL) {
        p.has_bql = true;
        p.bql_inflight = r.bql_inflight;
        p.bql_limit = r.bql_limit;
    }
    p.stopped_by_driver = r.txq_stopped & TXR_TXQ_DRIVER;
    p.stopped_by_bql = r.txq_stopped & TXR_TXQ_BQL;
    p.gso_size = r.gso_size;
    for (int s = 0; s < TXR_ST_COUNT; ++s)
        if (r.ts[s]) p.stages.push_back({static_cast<Stage>(s), r.ts[s]});
    if (r.ts[TXR_ST_XMIT_DONE]) p.xmit_rc = r.xmit_rc;
    switch (r.end) {
    case TXR_END_FREE:
    case TXR_END_HANDOFF: p.outcome = OutcomeKind::sent; break;
    case TXR_END_DROP:
        p.outcome = OutcomeKind::dropped;
        p.drop_reason = reason_name ? reason_name(r.drop_reason) : std::to_string(r.drop_reason);
        if (symbol_name) p.drop_site = symbol_name(r.drop_site);
        break;
    case TXR_END_CONSUMED_EARLY: p.outcome = OutcomeKind::consumed; break;
    default: p.outcome = OutcomeKind::unfinished; break;
    }
    if (r.end_ctx != TXR_END_CTX_NONE) p.end_cpu = r.end_cpu;
    switch (r.end_ctx) {
    case TXR_END_CTX_TASK: p.end_context = "task"; break;
    case TXR_END_CTX_SOFTIRQ: p.end_context = "softirq"; break;
    case TXR_END_CTX_HARDIRQ: p.end_context = "hardirq"; break;
    default: break;  // not ended in the kernel, or the context was not tracked
    }
    // The first device: hop 0 (the only one, unless a txr_hops record adds more).
    if (r.ifindex || r.ifname[0]) p.hops.push_back(Hop{.ifname = p.ifname, .ifindex = p.ifindex, .netns = p.netns});
    p.sort_stages();
    return p;
}

void add_hops(Packet& p, const txr_hops& h) {
    if (p.hops.empty()) p.hops.push_back(Hop{.ifname = p.ifname, .ifindex = p.ifindex, .netns = p.netns});
    const int count = std::min<int>(h.count, TXR_MAX_HOPS);
    for (int k = 1; k < count; ++k) {
        const txr_hop& k_hop = h.hop[k - 1];
        Hop hop{.ifname = fixed_string(k_hop.ifname, sizeof k_hop.ifname), .ifindex = k_hop.ifindex, .netns = k_hop.netns};
        if (k_hop.has_flow) {
            Flow f;
            fill_flow(f, k_hop);
            hop.flow = f;
        }
        const auto index = static_cast<std::uint8_t>(p.hops.size());
        p.hops.push_back(std::move(hop));
        for (int s = 0; s < TXR_ST_COUNT; ++s)
            if (k_hop.ts[s]) p.stages.push_back({static_cast<Stage>(s), k_hop.ts[s], index});
    }
    p.sort_stages();
}

std::string errno_name_for_ret(std::int64_t ret) {
    if (ret >= 0) return "";
    const char* n = strerrorname_np(static_cast<int>(-ret));
    return n ? n : fmt::format("E{}", -ret);
}

std::string syscall_name(std::uint32_t nr) {
#define TXR_X_SYSCALL_NAME(name, fd_arg) \
    if (nr == TXR_NR_##name) return #name;
    TXR_SEND_SYSCALLS(TXR_X_SYSCALL_NAME)
#undef TXR_X_SYSCALL_NAME
    if (nr == TXR_NR_io_uring_enter) return "io_uring_enter";
    return "syscall " + std::to_string(nr);
}

}  // namespace txray
