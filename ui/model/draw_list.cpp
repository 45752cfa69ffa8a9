#include "draw_list.h"

#include <algorithm>
#include <cmath>

#include "core/hops.h"
#include "palette.h"

namespace txray::ui {

void TimelineDrawList::clear() {
    headers.clear();
    rects.clear();
    merged.clear();
    outlines.clear();
    drops.clear();
    flow_drops.clear();
    hops.clear();
    lanes_visited = spans_drawn = binary_searches = 0;
}

namespace {

Stage dominant_stage(const Packet& p) {
    Stage best = p.stages.front().stage;
    std::uint64_t longest = 0;
    for (std::size_t k = 0; k + 1 < p.stages.size(); ++k) {
        const std::uint64_t d = p.stages[k + 1].ts_ns - p.stages[k].ts_ns;
        if (d > longest) longest = d, best = p.stages[k].stage;
    }
    return best;
}

struct LaneCtx {
    const TimelineData& d;
    const TimeView& view;
    const DrawParams& p;
    float min_px;
    float gap_px;
    double clip;
    TimelineDrawList& out;
};

// A multi-device packet's hops: a strip at the bottom of its bar per hop.
void draw_hops(const LaneCtx& c, const Packet& pk, std::uint32_t packet, float y0, float y1) {
    const float w = c.view.width();
    const float strip = std::max(2.f, (y1 - y0) / 4);
    for (const HopSpan& h : hop_spans(pk)) {
        if (h.hop >= pk.hops.size() || static_cast<double>(h.start_ns) > c.clip) continue;
        const float x0 = std::max(c.view.to_px(static_cast<double>(h.start_ns)), -1.f);
        const float x1 = std::min(c.view.to_px(std::min<double>(static_cast<double>(h.end_ns), c.clip)), w + 1.f);
        if (x1 < 0 || x0 > w) continue;
        c.out.hops.push_back({x0, y1 - strip, std::max(x1, x0 + 1.f), y1, y0, packet, static_cast<std::uint32_t>(h.hop),
                              hop_color(h.hop), &pk.hops[h.hop].ifname});
    }
}

// Draws one packet's stage segments between y0 and y1.
void draw_packet(const LaneCtx& c, const Span& s, float y0, float y1) {
    const Packet& pk = c.d.packets[s.packet];
    const auto& st = pk.stages;
    const float w = c.view.width();
    const float xs = c.view.to_px(static_cast<double>(s.start));
    const float xe = c.view.to_px(std::min<double>(static_cast<double>(s.end), c.clip));
    float last = std::max(xs, -1.f);  // right edge of what is drawn so far
    for (std::size_t k = 0; k + 1 < st.size(); ++k) {
        const double t1 = std::min<double>(static_cast<double>(st[k + 1].ts_ns), c.clip);
        float x1 = std::min(c.view.to_px(t1), w + 1.f);
        if (k + 2 == st.size()) x1 = std::max(x1, last);
        if (x1 - last < 1.f && k + 2 < st.size()) continue;  // too thin: the next segment covers it
        if (x1 > last) c.out.rects.push_back({last, y0, x1, y1, stage_color(st[k].stage)});
        last = x1;
        if (t1 >= c.clip || x1 >= w) break;
    }
    if (st.size() == 1 || xe - xs < 1.f) {
        // Narrower than a pixel: a 1 px tick in the colour of the stage it spent longest in.
        c.out.rects.push_back({xs, y0, xs + 1.f, y1, stage_color(dominant_stage(pk))});
    }
    if (pk.hops.size() > 1) draw_hops(c, pk, s.packet, y0, y1);
    if (pk.outcome == OutcomeKind::dropped) {
        const StageMark* dm = pk.find(Stage::drop);
        const double td = dm ? static_cast<double>(dm->ts_ns) : static_cast<double>(pk.last_ts());
        if (td <= c.clip) c.out.drops.push_back({c.view.to_px(td), y0, y1});
    }
    if (c.d.highlighted[s.packet])
        c.out.outlines.push_back({xs - 1, y0 - 1, std::max(xe, xs + 1) + 1, y1 + 1, kHighlightColor});
    if (static_cast<std::int64_t>(s.packet) == c.p.selected_packet)
        c.out.outlines.push_back({xs - 2, y0 - 2, std::max(xe, xs + 1) + 2, y1 + 2, kSelectedColor});
    ++c.out.spans_drawn;
}

void draw_lane(const LaneCtx& c, const Lane& lane, float y0, float y1) {
    const auto& spans = lane.spans;
    const double ns_px = c.view.ns_per_px();
    const double min_ns = ns_px * c.min_px;
    const double gap_ns = ns_px * c.gap_px;
    const double t_lo = c.view.start(), t_hi = std::min(c.view.end(), c.clip);
    ++c.out.lanes_visited;
    c.out.binary_searches += 2;
    auto first = std::partition_point(spans.begin(), spans.end(), [t_lo](const Span& s) { return static_cast<double>(s.end) < t_lo; });
    const auto last = std::partition_point(first, spans.end(), [t_hi](const Span& s) { return static_cast<double>(s.start) <= t_hi; });
    auto it = first;
    while (it != last) {
        const double end = std::min<double>(static_cast<double>(it->end), c.clip);
        if (end - static_cast<double>(it->start) >= min_ns) {
            draw_packet(c, *it, y0, y1);
            ++it;
            continue;
        }
        // Merge a run of small spans: absorb every span ending within gap_ns of
        // the run's end, and keep going while the next one ends close by.
        const auto run_begin = it;
        double run_end = end;
        for (;;) {
            const double next_time = run_end + gap_ns;
            auto nx = std::partition_point(it + 1, last, [next_time](const Span& s) { return static_cast<double>(s.end) < next_time; });
            ++c.out.binary_searches;
            if (nx != it + 1) run_end = std::max(run_end, std::min<double>(static_cast<double>((nx - 1)->end), c.clip));
            it = nx;
            if (it == last) break;
            const double nend = std::min<double>(static_cast<double>(it->end), c.clip);
            // The next span is long (drawn on its own) or far away: stop the run.
            if (nend - static_cast<double>(it->start) >= min_ns || static_cast<double>(it->start) > run_end + gap_ns) break;
            run_end = std::max(run_end, nend);
        }
        const auto b = static_cast<std::size_t>(run_begin - spans.begin());
        const auto e = static_cast<std::size_t>(it - spans.begin());
        if (e - b == 1) {
            draw_packet(c, *run_begin, y0, y1);
            continue;
        }
        float x0 = c.view.to_px(static_cast<double>(run_begin->start));
        float x1 = std::max(c.view.to_px(run_end), x0 + 1.f);
        c.out.merged.push_back({std::max(x0, -1.f), std::min(x1, c.view.width() + 1.f), y0, y1,
                                static_cast<std::uint32_t>(e - b), lane.drops[e] - lane.drops[b],
                                lane.marked[e] - lane.marked[b]});
        c.out.spans_drawn += 1;
    }
}

}  // namespace

void build_draw_list(const TimelineData& d, const TimelineLayout& layout, const TimeView& view,
                     const DrawParams& p, TimelineDrawList& out) {
    out.clear();
    const auto& m = layout.metrics();
    const LaneCtx c{d, view, p, m.min_px, m.merge_gap_px, p.clip_ns.value_or(1e300), out};
    const float top = p.scroll_y, bottom = p.scroll_y + p.view_h;
    const auto& tracks = layout.tracks();
    for (std::size_t ti = layout.first_track_below(top); ti < tracks.size() && tracks[ti].y < bottom; ++ti) {
        const TrackPlace& t = tracks[ti];
        out.headers.push_back({t.flow, t.y - top});
        const FlowTrack& f = d.flows[t.flow];
        // Drops in view on the header row, jumping to the next pixel each time.
        if (!f.drop_times.empty() && t.y + m.header_h > top) {
            const double hi = std::min(view.end(), c.clip);
            auto it = std::lower_bound(f.drop_times.begin(), f.drop_times.end(), view.start(),
                                       [](std::uint64_t x, double v) { return static_cast<double>(x) < v; });
            while (it != f.drop_times.end() && static_cast<double>(*it) <= hi) {
                const float x = view.to_px(static_cast<double>(*it));
                out.flow_drops.push_back({x, t.y - top + m.header_h - 7, t.y - top + m.header_h - 1});
                const double next = view.to_ns(std::floor(x) + 2.f);
                it = std::lower_bound(it + 1, f.drop_times.end(), next,
                                      [](std::uint64_t v, double n) { return static_cast<double>(v) < n; });
                ++out.binary_searches;
            }
        }
        // Only the lanes inside the view.
        const float lane_step = m.lane_h + m.lane_gap;
        const float first_y = t.y + m.header_h;
        std::size_t l0 = top > first_y ? static_cast<std::size_t>((top - first_y) / lane_step) : 0;
        for (std::size_t l = l0; l < f.lanes.size(); ++l) {
            const float y0 = first_y + static_cast<float>(l) * lane_step;
            if (y0 >= bottom) break;
            draw_lane(c, f.lanes[l], y0 - top, y0 - top + m.lane_h);
        }
    }
}

}  // namespace txray::ui
