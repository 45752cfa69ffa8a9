#include "report_model.h"

#include "core/hops.h"

namespace txray {

ReportBuilder::ReportBuilder(PacketFilter filter) : filter_(std::move(filter)) { r_.per_stage.resize(kStageCount); }

void ReportBuilder::on_header(const TraceHeader& h) {
    r_.header = h;
    if (h.start_ns) origin_ = h.start_ns;
}

void ReportBuilder::on_footer(const TraceFooter& f) { r_.footer = f; }

std::string drop_stage(const Packet& p) {
    for (std::size_t i = 1; i < p.stages.size(); ++i)
        if (p.stages[i].stage == Stage::drop) return std::string(stage_name(p.stages[i - 1].stage));
    return "-";
}

void ReportBuilder::on_packet(Packet&& p) {
    ++r_.packets_read;
    if (!origin_) origin_ = p.first_ts();  // no start time in the header: the first packet
    if (!filter_.matches(p, *origin_)) return;
    ++r_.packets_matched;
    ++r_.outcomes[static_cast<std::size_t>(p.outcome)];
    if (p.has_tcp) {
        ++r_.tcp_segments;
        r_.tcp_retransmits += p.retransmit;
        r_.tcp_by_seq += p.send_by_seq;
    }
    r_.gso_segments += p.gso_segment;
    if (p.has_qdisc) r_.qdisc_backlog.add(p.qdisc_backlog);
    if (const std::uint64_t ring = p.ring_ns()) r_.ring.add(ring);
    if (p.has_bql) {
        r_.bql_inflight.add(p.bql_inflight);
        r_.bql_limit.add(p.bql_limit);
    }
    r_.stopped_by_driver += p.stopped_by_driver;
    r_.stopped_by_bql += p.stopped_by_bql;
    r_.requeues += p.requeues;
    if (!p.stages.empty()) {
        if (!r_.first_ns || p.first_ts() < r_.first_ns) r_.first_ns = p.first_ts();
        r_.last_ns = std::max(r_.last_ns, p.last_ts());
    }
    add_stage_deltas(p, r_.per_stage);
    FlowStats& fs = r_.flows[p.flow];
    ++fs.packets;
    fs.bytes += p.len;
    if (p.outcome == OutcomeKind::dropped) {
        ++fs.drops;
        ++r_.drops[{p.drop_reason.empty() ? "UNKNOWN" : p.drop_reason, drop_stage(p)}];
    }
    if (p.outcome == OutcomeKind::error) ++r_.errors[p.send_errno.empty() ? "UNKNOWN" : p.send_errno];
    const std::uint64_t e2e = p.stages.size() >= 2 ? end_to_end_ns(p) : 0;
    if (p.stages.size() >= 2) {
        r_.end_to_end.add(e2e);
        r_.end_to_end_hist.add(e2e);
        fs.end_to_end.add(e2e);
    }
    add_hops(p, e2e);
}

void ReportBuilder::add_hops(const Packet& p, std::uint64_t e2e) {
    if (p.hops.empty()) return;  // never reached a device
    r_.multi_hop += p.hops.size() > 1;
    PathStats& path = r_.paths[{p.hops.front().ifname, p.hops.back().ifname}];
    ++path.packets;
    path.drops += p.outcome == OutcomeKind::dropped;
    if (p.stages.size() >= 2) path.end_to_end.add(e2e);
    for (const HopSpan& s : hop_spans(p)) {
        if (s.hop >= p.hops.size()) continue;
        const Hop& hop = p.hops[s.hop];
        auto [it, added] = hop_index_.try_emplace({hop.ifname, hop.netns}, r_.hops.size());
        if (added) r_.hops.push_back({hop.ifname, hop.netns, {}});
        r_.hops[it->second].on_hop.add(s.duration_ns());
    }
}

}  // namespace txray
