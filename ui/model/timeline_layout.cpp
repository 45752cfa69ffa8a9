#include "timeline_layout.h"

#include <algorithm>

namespace txray::ui {

TimelineLayout::TimelineLayout(const TimelineData& d, std::span<const std::uint32_t> shown, const TrackMetrics& m)
    : m_(m) {
    float y = 0;
    for (auto fi : shown) {
        if (fi >= d.flows.size()) continue;
        const auto lanes = static_cast<float>(std::max<std::size_t>(d.flows[fi].lanes.size(), 1));
        const float h = m.header_h + lanes * (m.lane_h + m.lane_gap);
        tracks_.push_back({fi, y, h});
        y += h + m.track_gap;
    }
    height_ = y;
}

std::size_t TimelineLayout::first_track_below(float y) const {
    return static_cast<std::size_t>(
        std::partition_point(tracks_.begin(), tracks_.end(), [y](const TrackPlace& t) { return t.y + t.height < y; }) -
        tracks_.begin());
}

std::optional<Hit> hit_test(const TimelineData& d, const TimelineLayout& layout, const TimeView& view,
                            float x, float y, std::optional<double> clip_ns, float slop) {
    const std::size_t ti = layout.first_track_below(y);
    if (ti >= layout.tracks().size()) return std::nullopt;
    const TrackPlace& t = layout.tracks()[ti];
    const auto& m = layout.metrics();
    if (y < t.y + m.header_h) return std::nullopt;
    const auto lane = static_cast<std::size_t>((y - t.y - m.header_h) / (m.lane_h + m.lane_gap));
    const FlowTrack& f = d.flows[t.flow];
    if (lane >= f.lanes.size()) return std::nullopt;
    const auto& spans = f.lanes[lane].spans;
    const double a = view.to_ns(x - slop), b = std::min(view.to_ns(x + slop), clip_ns.value_or(1e300));
    auto lo = std::partition_point(spans.begin(), spans.end(), [a](const Span& s) { return static_cast<double>(s.end) < a; });
    auto hi = std::partition_point(lo, spans.end(), [b](const Span& s) { return static_cast<double>(s.start) <= b; });
    if (lo == hi) return std::nullopt;
    Hit h;
    h.flow = t.flow;
    h.lane = static_cast<std::uint32_t>(lane);
    h.count = static_cast<std::uint32_t>(hi - lo);
    h.t0 = lo->start;
    h.t1 = (hi - 1)->end;
    if (h.count == 1) {
        h.packet = lo->packet;
    } else {
        // Several packets within the slop: take the one containing the cursor, else the nearest.
        const double c = view.to_ns(x);
        double best = 1e300;
        for (auto it = lo; it != hi; ++it) {
            const double dist = c < it->start ? it->start - c : c > it->end ? c - it->end : 0;
            if (dist < best) best = dist, h.packet = it->packet;
        }
        // A packet wide enough to see, under the cursor, wins over its neighbours.
        const Packet& p = d.packets[static_cast<std::size_t>(h.packet)];
        const double w = static_cast<double>(p.last_ts() - p.first_ts()) / view.ns_per_px();
        if (best == 0 && w >= m.min_px) {
            h.count = 1;
            h.t0 = p.first_ts();
            h.t1 = p.last_ts();
        }
    }
    return h;
}

}  // namespace txray::ui
