// draw_app: the fixed layout of the panels, and the application-wide keys.
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>

#include "panels.h"

namespace txray::ui {

void draw_app(AppState& s, float w, float h) {
    if (s.loader.phase() == TraceLoader::Phase::done) {
        auto d = s.loader.take();
        if (d && d->status.fatal && d->packets.empty() && s.data) {
            // Keep the trace on screen; say why the new one could not be opened.
            s.load_error = d->path + ": " + d->status.summary();
        } else if (d) {
            s.on_loaded(std::move(d));
        }
    }
    s.refresh();

    ImGuiIO& io = ImGui::GetIO();
    if (!io.WantTextInput && io.KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_O, false)) s.browser_open = true;

    float menu_h = 0;
    if (ImGui::BeginMainMenuBar()) {
        if (ImGui::BeginMenu("File")) {
            if (ImGui::MenuItem("Open...", "Ctrl+O")) s.browser_open = true;
            ImGui::EndMenu();
        }
        if (ImGui::BeginMenu("View")) {
            if (ImGui::MenuItem("Fit all", "F", false, s.data != nullptr)) s.fit_all();
            if (ImGui::MenuItem("Clear time range", "Esc", false, s.range.has_value())) s.range.reset();
            if (ImGui::MenuItem("Clear highlight", nullptr, false, s.data && s.data->highlight_count())) s.clear_highlight();
            ImGui::EndMenu();
        }
        if (ImGui::BeginMenu("Help")) {
            ImGui::TextUnformatted(
                "Timeline: wheel zooms at the cursor, drag pans, W/S zoom, A/D pan, F fits all.\n"
                "Double-click a packet to zoom to it, click it for details.\n"
                "Shift+drag selects a time range for the statistics; Esc clears it.\n"
                "Replay: Space plays/pauses, Left/Right step between packets, drag the ruler to scrub.\n"
                "Open a trace with Ctrl+O or by dropping a file on the window.");
            ImGui::EndMenu();
        }
        const char* name = s.data ? s.data->path.c_str() : "no trace";
        ImGui::SameLine(ImGui::GetWindowWidth() - ImGui::CalcTextSize(name).x - 16);
        ImGui::TextDisabled("%s", name);
        menu_h = ImGui::GetWindowHeight();
        ImGui::EndMainMenuBar();
    }

    // Toolbar: controls on one line, the legend on one or two.
    const float legend_lines = stage_legend_width() + 20 > w ? 2.f : 1.f;
    const float tool_h = 44 + 17 * legend_lines;
    const float left_w = std::max(360.f, w * 0.34f);
    const float body_y = menu_h + tool_h;
    const float body_h = h - body_y;
    const float flows_h = body_h * 0.50f;
    const float timeline_h = body_h * 0.66f;
    draw_toolbar(s, {0, menu_h, w, tool_h});
    draw_flows_panel(s, {0, body_y, left_w, flows_h});
    draw_stats_panel(s, {0, body_y + flows_h, left_w, body_h - flows_h});
    draw_timeline_panel(s, {left_w, body_y, w - left_w, timeline_h});
    draw_details_panel(s, {left_w, body_y + timeline_h, w - left_w, body_h - timeline_h});
    draw_file_browser(s);
    draw_loading_overlay(s);
}

}  // namespace txray::ui
