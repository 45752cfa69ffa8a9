// The windows of txray-ui. Each draws one part of the state with ImGui.
#pragma once
#include "app_state.h"

namespace txray::ui {

struct PanelRects {
    float x, y, w, h;
};

void draw_toolbar(AppState& s, const PanelRects& r);
void draw_flows_panel(AppState& s, const PanelRects& r);
void draw_timeline_panel(AppState& s, const PanelRects& r);
void draw_details_panel(AppState& s, const PanelRects& r);
void draw_stats_panel(AppState& s, const PanelRects& r);
void draw_file_browser(AppState& s);
void draw_loading_overlay(AppState& s);
// The whole UI for one frame, laid out in a window of w x h.
void draw_app(AppState& s, float w, float h);

// Shared widgets
void stage_swatch(std::uint32_t color, float size = 10.f);
void draw_stage_legend();
float stage_legend_width();  // on one line

}  // namespace txray::ui
