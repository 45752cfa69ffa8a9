// Vertical layout of the timeline: one track per shown flow (a header row,
// then its lanes), and hit testing of a point against tracks, lanes and spans.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "time_view.h"
#include "timeline_data.h"

namespace txray::ui {

struct TrackMetrics {
    float header_h = 24.f;  // label on top, drop markers along the bottom
    float lane_h = 12.f;
    float lane_gap = 2.f;
    float track_gap = 8.f;
    float min_px = 3.f;    // spans narrower than this are merged with their neighbours...
    float merge_gap_px = 1.f;  // ...when less than this apart
};

struct TrackPlace {
    std::uint32_t flow;  // index into TimelineData::flows
    float y;             // top of the header, content coordinates
    float height;        // header + lanes
};

class TimelineLayout {
public:
    TimelineLayout() = default;
    TimelineLayout(const TimelineData& d, std::span<const std::uint32_t> shown, const TrackMetrics& m);
    const std::vector<TrackPlace>& tracks() const { return tracks_; }
    float content_height() const { return height_; }
    const TrackMetrics& metrics() const { return m_; }
    float lane_top(const TrackPlace& t, std::size_t lane) const {
        return t.y + m_.header_h + static_cast<float>(lane) * (m_.lane_h + m_.lane_gap);
    }
    // First track whose bottom is below y (binary search).
    std::size_t first_track_below(float y) const;

private:
    std::vector<TrackPlace> tracks_;
    float height_ = 0;
    TrackMetrics m_;
};

struct Hit {
    std::uint32_t flow = 0, lane = 0;
    std::int64_t packet = -1;     // a single packet under the cursor
    std::uint32_t count = 0;      // packets under the cursor's pixel neighbourhood
    std::uint64_t t0 = 0, t1 = 0; // their extent
};

// What is at content point (x px in the view, y content px)? Spans within
// `slop` px count; with a clip (replay), packets starting after it are ignored.
std::optional<Hit> hit_test(const TimelineData& d, const TimelineLayout& layout, const TimeView& view,
                            float x, float y, std::optional<double> clip_ns = std::nullopt, float slop = 2.f);

}  // namespace txray::ui
