#include "app_state.h"

#include <algorithm>

namespace txray::ui {

void AppState::on_loaded(std::unique_ptr<TimelineData> d) {
    data = std::move(d);
    load_error.clear();
    selected.assign(data->flows.size(), 0);
    rows_dirty = true;
    selected_packet = -1;
    range.reset();
    replay = false;
    stats_valid = false;
    highlighted_bin = -1;
    scroll_y = 0;
    view.set_bounds(t0(), t1());
    view.fit_all();
    view_initialised = true;
    playhead.pause();
    playhead.set_bounds(t0(), t1());
    playhead.seek(t0());
    for (auto id : want_flows)
        if (id >= 1 && id <= selected.size()) selected[id - 1] = 1;
    refresh();
    if (want_zoom) view.set_range(t0() + want_zoom->first, t0() + want_zoom->second);
    if (want_packet) {
        selected_packet = data->find_packet_id(*want_packet);
    }
    if (want_replay_at) {
        replay = true;
        playhead.seek(t0() + *want_replay_at);
    }
    want_flows.clear();
    want_zoom.reset();
    want_packet.reset();
    want_replay_at.reset();
}

void AppState::refresh() {
    if (!data) return;
    if (rows_dirty) {
        rows = flow_rows(*data, query);
        rows_dirty = false;
    }
    std::vector<std::uint32_t> s;
    for (std::uint32_t i = 0; i < selected.size(); ++i)
        if (selected[i]) s.push_back(i);
    if (s.empty()) s = rows;
    if (s != shown || layout.tracks().size() != s.size()) {
        shown = std::move(s);
        layout = TimelineLayout(*data, shown, metrics);
    }
}

void AppState::select_only(std::uint32_t flow) {
    std::fill(selected.begin(), selected.end(), 0);
    if (flow < selected.size()) selected[flow] = 1;
}

void AppState::zoom_to_packet(std::int64_t packet) {
    if (!data || packet < 0) return;
    const Packet& p = data->packets[static_cast<std::size_t>(packet)];
    if (p.stages.empty()) return;
    const double a = static_cast<double>(p.first_ts()), b = static_cast<double>(p.last_ts());
    const double m = std::max((b - a) * 0.1, 10.0);
    view.set_range(a - m, b + m);
}

void AppState::clear_highlight() {
    if (data && data->highlight_count()) data->set_highlight({});
    highlighted_bin = -1;
}

}  // namespace txray::ui
