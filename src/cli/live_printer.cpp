#include "live_printer.h"

#include "core/duration.h"
#include "core/hops.h"

#include <fmt/format.h>

#include <ctime>

namespace txray {

namespace {
const char* c(const LiveStyle& st, const char* code) { return st.color ? code : ""; }
constexpr const char* kReset = "\033[0m";
constexpr const char* kDim = "\033[2m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kBold = "\033[1m";

std::string wall_clock(std::uint64_t mono_ns, std::int64_t offset) {
    const std::int64_t wall = static_cast<std::int64_t>(mono_ns) + offset;
    std::time_t secs = wall / 1'000'000'000;
    std::tm tm{};
    localtime_r(&secs, &tm);
    return fmt::format("{:02}:{:02}:{:02}.{:06}", tm.tm_hour, tm.tm_min, tm.tm_sec, (wall % 1'000'000'000) / 1000);
}
}  // namespace

std::string format_packet_line(const Packet& p, const LiveStyle& st) {
    std::string out = fmt::format("{} {}{}[{}/{}]{} ", wall_clock(p.first_ts(), st.wall_offset_ns), c(st, kBold),
                                  p.comm.empty() ? "[kernel]" : p.comm, p.pid, p.tid, c(st, kReset));
    if (p.outcome == OutcomeKind::error && !p.skb) {
        out += "no packet: the syscall failed first |";
    } else {
        out += flow_to_string(p.flow);
        if (p.fragment) out += fmt::format(" frag@{}{}", p.frag_offset, p.frag_more ? "+" : "");
        const std::string path = hop_path(p);  // "txbp0 → txbbr → txbu0" across devices
        out += fmt::format(" {} {}B", path.empty() ? "-" : path, p.len);
        for (std::size_t h = 1; h < p.hops.size(); ++h)  // NAT, encapsulation
            if (p.hops[h].flow) out += fmt::format(" ({}: {})", p.hops[h].ifname, flow_to_string(*p.hops[h].flow));
        out += " |";
    }
    std::uint64_t prev = 0;
    const bool multi_hop = p.hops.size() > 1;
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        const auto& m = p.stages[i];
        // Multi-device packets: the device's name where the timeline moves to another hop.
        if (multi_hop && m.hop < p.hops.size() && (i ? p.stages[i - 1].hop != m.hop : m.hop != 0))
            out += fmt::format(" {}:", p.hops[m.hop].ifname);
        out += fmt::format(" {}{}{}", c(st, kDim), stage_name(m.stage), c(st, kReset));
        if (i) out += fmt::format(" +{:.1f}", (m.ts_ns - prev) / 1e3);
        prev = m.ts_ns;
    }
    const char* col = p.outcome == OutcomeKind::sent ? kGreen
                      : p.outcome == OutcomeKind::dropped || p.outcome == OutcomeKind::error ? kRed
                                                                                              : kYellow;
    out += fmt::format(" | {} {}{}{}", format_duration_ns(end_to_end_ns(p)), c(st, col), p.outcome_string(),
                       c(st, kReset));
    if (p.outcome == OutcomeKind::dropped && !p.drop_site.empty()) out += " in " + p.drop_site;
    if (!p.send_errno.empty() && p.outcome != OutcomeKind::error) out += " (send: " + p.send_errno + ")";
    if (p.requeues) out += fmt::format(" requeued×{}", p.requeues);
    if (const std::uint64_t ring = p.ring_ns()) out += " ring " + format_duration_ns(ring);
    // A TX completion where the NIC's interrupt was delivered.
    if (p.ended_on_other_cpu())
        out += fmt::format(" ended on cpu{}{}{}", p.end_cpu, p.end_context.empty() ? "" : "/", p.end_context);
    if (p.has_bql) out += fmt::format(" bql {}/{}B", p.bql_inflight, p.bql_limit);
    if (p.stopped_by_driver || p.stopped_by_bql)
        out += fmt::format(" queue stopped by {}", p.stopped_by_driver && p.stopped_by_bql ? "driver+bql"
                                                   : p.stopped_by_driver                   ? "driver"
                                                                                           : "bql");
    if (p.has_tcp && p.tcp_end_seq != p.tcp_seq) out += fmt::format(" seq {}+{}", p.tcp_seq, p.tcp_end_seq - p.tcp_seq);
    if (p.gso_segs > 1) out += fmt::format(" tso {}×{}", p.gso_segs, p.gso_size);
    if (p.retransmit)
        out += fmt::format(" {}RETRANSMIT{}{}", c(st, kRed), c(st, kReset),
                           p.retransmit_of ? fmt::format(" of #{}", p.retransmit_of) : "");
    if (p.gso_segment) out += fmt::format(" gso segment of #{}", p.parent_id);
    if (p.send_by_seq) out += fmt::format(" (send #{} by seq)", p.send_id);
    if (p.has_qdisc && p.qdisc_qlen > 1)
        out += fmt::format(" qdisc backlog {}B/{}pkts", p.qdisc_backlog, p.qdisc_qlen);
    return out;
}

std::string lost_breakdown(const TickStats& t) {
    std::string out;
    std::uint64_t packets = 0;
    for (const auto& [s, n] : t.lost_by_stage) {
        out += fmt::format("{} at {}, ", n, stage_name(s));
        packets += n;
    }
    return out + fmt::format("{} send records", t.lost - packets);
}

std::string format_tick_line(const TickStats& t, const LiveStyle& st) {
    std::string out = fmt::format("{}-- {:.0f}s: {} pkts/s, {} dropped, {} failed sends, {} lost, {} untracked, {} in flight",
                                  c(st, kYellow), t.elapsed_s, t.packets, t.dropped, t.errors, t.lost, t.untracked,
                                  t.inflight);
    if (t.lost) out.append(" (").append(lost_breakdown(t)).append(")");
    bool first = true;
    for (Stage s : all_stages()) {
        const Samples& v = t.stage_delta[index(s)];
        if (v.empty()) continue;
        out += fmt::format("{} {} {}/{}", first ? " | p50/p99 µs:" : ",", stage_name(s), v.percentile(0.5) / 1e3 < 10
                                                                                              ? fmt::format("{:.1f}", v.percentile(0.5) / 1e3)
                                                                                              : fmt::format("{:.0f}", v.percentile(0.5) / 1e3),
                           fmt::format("{:.1f}", v.percentile(0.99) / 1e3));
        first = false;
    }
    return out + c(st, kReset);
}

}  // namespace txray
