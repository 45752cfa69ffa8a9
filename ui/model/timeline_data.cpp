#include "timeline_data.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "core/hops.h"
#include "core/lanes.h"
#include "core/stats.h"

namespace txray::ui {
namespace {

void add_unique(std::string& list, const std::string& v) {
    if (v.empty()) return;
    if (list.empty()) { list = v; return; }
    // Short lists only: "a, b, +"
    if (list == v || list.starts_with(v + ",") || list.find(", " + v) != std::string::npos) return;
    if (std::count(list.begin(), list.end(), ',') >= 2) {
        if (!list.ends_with(", …")) list += ", …";
        return;
    }
    list += ", " + v;
}

void build_flow(FlowTrack& f, const std::vector<Packet>& packets) {
    std::sort(f.by_start.begin(), f.by_start.end(), [&](std::uint32_t a, std::uint32_t b) {
        const auto ta = packets[a].first_ts(), tb = packets[b].first_ts();
        return ta != tb ? ta < tb : a < b;
    });
    Samples e2e;
    f.bytes_prefix.assign(1, 0);
    std::vector<Interval> iv;
    std::vector<std::uint32_t> drawn;
    iv.reserve(f.by_start.size());
    for (std::uint32_t pi : f.by_start) {
        const Packet& p = packets[pi];
        f.starts.push_back(p.first_ts());
        f.bytes_prefix.push_back(f.bytes_prefix.back() + p.len);
        f.bytes += p.len;
        ++f.packets;
        if (p.outcome == OutcomeKind::dropped) {
            ++f.drops;
            const StageMark* d = p.find(Stage::drop);
            f.drop_times.push_back(d ? d->ts_ns : p.last_ts());
        }
        if (p.stages.empty()) continue;
        if (const auto e = end_to_end_ns(p)) e2e.add(e);
        iv.push_back({p.first_ts(), std::max(p.last_ts(), p.first_ts() + 1)});
        drawn.push_back(pi);
    }
    std::sort(f.drop_times.begin(), f.drop_times.end());
    f.p50_ns = e2e.percentile(0.5);
    f.p99_ns = e2e.percentile(0.99);
    if (!iv.empty()) {
        f.first_ns = iv.front().begin;
        f.last_ns = 0;
        for (const auto& i : iv) f.last_ns = std::max(f.last_ns, i.end);
    }
    std::uint32_t lane_count = 0;
    const auto lane = assign_lanes(iv, &lane_count);
    f.lanes.assign(lane_count, {});
    for (std::size_t i = 0; i < iv.size(); ++i) {
        Lane& l = f.lanes[lane[i]];
        if (l.drops.empty()) l.drops.push_back(0);
        l.spans.push_back({iv[i].begin, iv[i].end, drawn[i]});
        l.drops.push_back(l.drops.back() + (packets[drawn[i]].outcome == OutcomeKind::dropped));
    }
    for (Lane& l : f.lanes) l.marked.assign(l.spans.size() + 1, 0);
    f.label = flow_to_string(f.flow);
}

}  // namespace

TimelineData build_timeline(Trace&& trace) {
    TimelineData d = build_timeline(std::move(trace.packets));
    d.header = std::move(trace.header);
    d.status = std::move(trace.status);
    return d;
}

TimelineData build_timeline(std::vector<Packet> packets) {
    TimelineData d;
    d.packets = std::move(packets);
    d.flow_of.resize(d.packets.size());
    d.highlighted.assign(d.packets.size(), 0);
    std::map<Flow, std::uint32_t> index;
    d.t0 = UINT64_MAX;
    for (std::uint32_t i = 0; i < d.packets.size(); ++i) {
        Packet& p = d.packets[i];
        if (!std::is_sorted(p.stages.begin(), p.stages.end(),
                            [](const StageMark& a, const StageMark& b) { return a.ts_ns < b.ts_ns; }))
            p.sort_stages();
        auto [it, fresh] = index.try_emplace(p.flow, static_cast<std::uint32_t>(d.flows.size()));
        if (fresh) {
            FlowTrack f;
            f.flow = p.flow;
            f.pid = p.pid;
            d.flows.push_back(std::move(f));
        }
        FlowTrack& f = d.flows[it->second];
        add_unique(f.comm, p.comm);
        add_unique(f.ifname, hop_path(p, " > "));  // ASCII: ImGui's default font has no arrows
        f.by_start.push_back(i);
        d.flow_of[i] = it->second;
        if (!p.stages.empty()) {
            d.t0 = std::min(d.t0, p.first_ts());
            d.t1 = std::max(d.t1, p.last_ts());
        }
        d.total_drops += p.outcome == OutcomeKind::dropped;
    }
    if (d.t0 == UINT64_MAX) d.t0 = d.t1 = 0;
    // Number flows in order of their first packet.
    std::vector<std::uint32_t> order(d.flows.size());
    std::iota(order.begin(), order.end(), 0);
    auto first_of = [&](const FlowTrack& f) {
        std::uint64_t t = UINT64_MAX;
        for (auto pi : f.by_start) t = std::min(t, d.packets[pi].stages.empty() ? UINT64_MAX : d.packets[pi].first_ts());
        return t;
    };
    std::vector<std::uint64_t> firsts;
    for (auto& f : d.flows) firsts.push_back(first_of(f));
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return firsts[a] < firsts[b]; });
    std::vector<FlowTrack> sorted;
    std::vector<std::uint32_t> remap(d.flows.size());
    for (std::uint32_t k = 0; k < order.size(); ++k) {
        remap[order[k]] = k;
        sorted.push_back(std::move(d.flows[order[k]]));
        sorted.back().id = k + 1;
    }
    d.flows = std::move(sorted);
    for (auto& fi : d.flow_of) fi = remap[fi];
    for (auto& f : d.flows) build_flow(f, d.packets);
    return d;
}

void TimelineData::set_highlight(const std::vector<std::uint32_t>& packet_indices) {
    std::fill(highlighted.begin(), highlighted.end(), 0);
    for (auto i : packet_indices)
        if (i < highlighted.size()) highlighted[i] = 1;
    highlight_count_ = static_cast<std::size_t>(std::count(highlighted.begin(), highlighted.end(), 1));
    for (auto& f : flows)
        for (auto& l : f.lanes) {
            l.marked.assign(l.spans.size() + 1, 0);
            for (std::size_t i = 0; i < l.spans.size(); ++i) l.marked[i + 1] = l.marked[i] + highlighted[l.spans[i].packet];
        }
}

std::int64_t TimelineData::find_packet_id(std::uint64_t id) const {
    for (std::size_t i = 0; i < packets.size(); ++i)
        if (packets[i].id == id) return static_cast<std::int64_t>(i);
    return -1;
}

}  // namespace txray::ui
