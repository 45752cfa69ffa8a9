// Everything the panels share: the loaded trace, the view, the selection.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "draw_list.h"
#include "flow_table.h"
#include "histogram.h"
#include "playhead.h"
#include "selection_stats.h"
#include "time_view.h"
#include "timeline_data.h"
#include "timeline_layout.h"
#include "trace_loader.h"

namespace txray::ui {

struct AppState {
    std::unique_ptr<TimelineData> data;
    TraceLoader loader;
    std::string load_error;  // why the last open failed entirely ("" if it did not)

    // Flows panel
    FlowQuery query;
    std::vector<std::uint32_t> rows;      // filtered + sorted flows
    std::vector<std::uint8_t> selected;   // per flow
    bool rows_dirty = true;

    // Timeline
    std::vector<std::uint32_t> shown;     // flows on the timeline: the selection, or all rows
    TimelineLayout layout;
    TrackMetrics metrics;
    TimeView view;
    bool view_initialised = false;
    float scroll_y = 0;
    TimelineDrawList draw;
    std::int64_t selected_packet = -1;
    std::optional<std::pair<double, double>> range;  // Shift-drag selection (absolute ns)

    // Replay
    bool replay = false;  // when on, nothing after the playhead is drawn
    bool follow = true;   // keep the playhead in view while playing
    Playhead playhead;

    // Statistics
    std::size_t metric = kEndToEnd;
    SelectionStats stats;
    Histogram histogram;
    std::vector<std::uint32_t> stats_key_flows;
    std::optional<std::pair<double, double>> stats_key_range;
    bool stats_valid = false;
    std::int64_t highlighted_bin = -1;

    // File browser
    bool browser_open = false;
    std::string browser_dir = ".";
    char browser_path[1024] = {};

    // Where the panels put their interactive areas last frame (screen px; for tests).
    struct Area { float x = 0, y = 0, w = 0, h = 0; };
    Area canvas_area, histogram_area;

    // Startup requests (command line), applied once the trace is loaded.
    std::vector<std::uint32_t> want_flows;  // flow ids
    std::optional<std::pair<double, double>> want_zoom;  // relative to t0
    std::optional<std::uint64_t> want_packet;
    std::optional<double> want_replay_at;

    // Called after a new trace replaces the old one.
    void on_loaded(std::unique_ptr<TimelineData> d);
    // Recomputes rows/shown/layout when the query or selection changed.
    void refresh();
    void select_only(std::uint32_t flow);
    double t0() const { return data ? static_cast<double>(data->t0) : 0; }
    double t1() const { return data ? static_cast<double>(data->t1) : 0; }
    void fit_all() { view.fit_all(); }
    void zoom_to_packet(std::int64_t packet);
    void clear_highlight();
};

}  // namespace txray::ui
