// Turns the visible part of the timeline into plain draw commands (Tracy
// style): the app only copies these into ImDrawList. Per lane, the first
// visible span is found by binary search; spans narrower than min_px are
// merged with their neighbours into one block, jumping over the merged ones
// by binary search, so the work per lane is bounded by the pixels, not by the
// packets.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "time_view.h"
#include "timeline_layout.h"

namespace txray::ui {

struct DrawRect {
    float x0, y0, x1, y1;  // view coordinates (y relative to the view's top)
    std::uint32_t color;
};

struct DropMark {
    float x, y0, y1;
};

struct TrackHeader {
    std::uint32_t flow;
    float y;  // view coordinates
};

// One device of a packet that crossed several (trace format 1.3): a strip
// along the bottom of its bar over the time on that hop (core/hops.h), with
// the device's name for a label where it fits and for the tooltip.
struct HopSegment {
    float x0, y0, x1, y1;
    float bar_y0;          // top of the packet's bar, where a label goes
    std::uint32_t packet;  // index into TimelineData::packets
    std::uint32_t hop;     // index into the packet's hops
    std::uint32_t color;
    const std::string* device;  // the hop's ifname, owned by the packet
};

struct MergedBlock {
    float x0, x1, y0, y1;
    std::uint32_t count, drops, marked;
};

struct TimelineDrawList {
    std::vector<TrackHeader> headers;
    std::vector<DrawRect> rects;      // stage segments, filled
    std::vector<MergedBlock> merged;  // sub-pixel packets drawn as one block
    std::vector<DrawRect> outlines;   // highlighted and selected packets
    std::vector<DropMark> drops;       // dropped packets drawn one by one
    std::vector<DropMark> flow_drops;  // every drop in view, at most one per pixel, on the track's header row
    std::vector<HopSegment> hops;      // packets drawn one by one that crossed devices
    // Work counters, for the benchmark and the debug overlay.
    std::size_t lanes_visited = 0, spans_drawn = 0, binary_searches = 0;
    void clear();
};

struct DrawParams {
    float scroll_y = 0;   // content y at the view's top
    float view_h = 600;   // visible height
    std::optional<double> clip_ns;     // replay: nothing after the playhead
    std::int64_t selected_packet = -1; // outlined
};

void build_draw_list(const TimelineData& d, const TimelineLayout& layout, const TimeView& view,
                     const DrawParams& p, TimelineDrawList& out);

}  // namespace txray::ui
