// The timeline: ruler, one track per flow, packets as stage-coloured spans.
// Input is turned into view changes; drawing copies the model's draw list.
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "packet_tooltip.h"
#include "palette.h"
#include "panels.h"
#include "time_format.h"

namespace txray::ui {
namespace {

constexpr float kRulerH = 26.f;

struct DragState {
    enum Kind { none, pan, range, scrub } kind = none;
    ImVec2 origin{};
    double range_anchor = 0;
    float moved = 0;
};
DragState g_drag;

void draw_ruler(AppState& s, ImDrawList* dl, ImVec2 p0, float w) {
    dl->AddRectFilled(p0, {p0.x + w, p0.y + kRulerH}, IM_COL32(32, 34, 40, 255));
    // Ticks at round times relative to the trace start.
    const double t0 = s.t0();
    const auto ticks = ruler_ticks(s.view.start() - t0, s.view.ns_per_px(), w);
    const double minor = ticks.step_ns / ticks.minor_per_major;
    for (double t = std::floor((s.view.start() - t0) / minor) * minor; t <= s.view.end() - t0; t += minor) {
        const float x = p0.x + s.view.to_px(t + t0);
        dl->AddLine({x, p0.y + kRulerH - 5}, {x, p0.y + kRulerH}, IM_COL32(120, 120, 130, 255));
    }
    for (double t : ticks.major) {
        const float x = p0.x + s.view.to_px(t + t0);
        dl->AddLine({x, p0.y + 8}, {x, p0.y + kRulerH}, IM_COL32(200, 200, 210, 255));
        const std::string label = format_tick(t, ticks.step_ns);
        dl->AddText({x + 3, p0.y + 2}, IM_COL32(220, 220, 225, 255), label.c_str());
    }
    // Visible range on the right.
    const std::string span = "view " + format_duration(s.view.range());
    const ImVec2 ts = ImGui::CalcTextSize(span.c_str());
    dl->AddRectFilled({p0.x + w - ts.x - 10, p0.y}, {p0.x + w, p0.y + 14}, IM_COL32(32, 34, 40, 255));
    dl->AddText({p0.x + w - ts.x - 5, p0.y + 1}, IM_COL32(150, 200, 255, 255), span.c_str());
}

// Merged blocks: brighter where more packets share a pixel.
ImU32 merged_color(const MergedBlock& b) {
    const float density = static_cast<float>(b.count) / std::max(b.x1 - b.x0, 1.f);
    const float t = std::clamp(std::log10(std::max(density, 1.f)) / 2.f, 0.f, 1.f);
    const ImVec4 lo = ImColor(kMergedColor).Value;
    const ImVec4 hi{0.80f, 0.84f, 0.95f, 1.f};
    return ImColor(lo.x + (hi.x - lo.x) * t, lo.y + (hi.y - lo.y) * t, lo.z + (hi.z - lo.z) * t, 1.f);
}

void handle_keys(AppState& s, float w) {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput) return;
    const float dt = std::min(io.DeltaTime, 0.1f);
    if (ImGui::IsKeyDown(GLFW_KEY_W)) s.view.zoom_at(w / 2, std::pow(0.1, dt));
    if (ImGui::IsKeyDown(GLFW_KEY_S)) s.view.zoom_at(w / 2, std::pow(10.0, dt));
    if (ImGui::IsKeyDown(GLFW_KEY_A)) s.view.pan_px(w * dt);
    if (ImGui::IsKeyDown(GLFW_KEY_D)) s.view.pan_px(-w * dt);
    if (ImGui::IsKeyPressed(GLFW_KEY_F, false)) s.fit_all();
    if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) {
        if (s.range) s.range.reset();
        else s.clear_highlight();
    }
}

void draw_error_banner(AppState& s, ImDrawList* dl, ImVec2 p0, float w, float& y) {
    std::string msg;
    if (!s.load_error.empty()) msg = "Could not open " + s.load_error;
    if (s.data && (s.data->status.fatal || !s.data->status.error.empty())) {
        if (!msg.empty()) msg += "\n";
        msg += "Trace error in " + s.data->path + ": " + s.data->status.summary();
        if (!s.data->status.fatal || !s.data->packets.empty())
            msg += "\nShowing the " + std::to_string(s.data->packets.size()) + " packets read before it.";
    }
    ImU32 bg = kErrorBgColor;
    if (msg.empty() && s.data && !s.data->status.warnings.empty()) {
        // Skipped lines only: a milder note.
        const auto& wn = s.data->status.warnings;
        msg = std::to_string(wn.size()) + (wn.size() == 1 ? " warning" : " warnings") + " reading " + s.data->path + ": " +
              wn.front() + (wn.size() > 1 ? " (and more)" : "");
        bg = IM_COL32(90, 70, 10, 255);
    }
    if (msg.empty()) return;
    const ImVec2 ts = ImGui::CalcTextSize(msg.c_str(), nullptr, false, w - 20);
    const float h = ts.y + 12;
    dl->AddRectFilled({p0.x, p0.y + y}, {p0.x + w, p0.y + y + h}, bg);
    dl->AddText(nullptr, 0, {p0.x + 10, p0.y + y + 6}, IM_COL32(255, 230, 230, 255), msg.c_str(), nullptr, w - 20);
    y += h;
}

}  // namespace

void draw_timeline_panel(AppState& s, const PanelRects& r) {
    ImGui::SetNextWindowPos({r.x, r.y});
    ImGui::SetNextWindowSize({r.w, r.h});
    ImGui::Begin("Timeline", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                          ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoScrollbar |
                                          ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoBringToFrontOnFocus);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float w = std::max(avail.x, 50.f);
    float top = 0;
    draw_error_banner(s, dl, origin, w, top);
    if (!s.data || s.data->packets.empty()) {
        const char* msg = s.data ? "The trace has no packets." : "Open a trace: txray-ui TRACE.json, Ctrl+O, or drop a file here.";
        dl->AddText({origin.x + 10, origin.y + top + 10}, IM_COL32(180, 180, 190, 255), msg);
        ImGui::End();
        return;
    }
    s.view.set_width(w);
    const ImVec2 ruler0{origin.x, origin.y + top};
    const ImVec2 canvas0{origin.x, ruler0.y + kRulerH};
    const float canvas_h = std::max(avail.y - top - kRulerH, 20.f);

    // Input: the ruler scrubs the playhead, the canvas zooms/pans/selects.
    ImGui::SetCursorScreenPos(ruler0);
    ImGui::InvisibleButton("ruler", {w, kRulerH});
    if (ImGui::IsItemActivated()) g_drag.kind = DragState::scrub;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Click or drag to move the playhead");
    ImGui::SetCursorScreenPos(canvas0);
    ImGui::InvisibleButton("canvas", {w, canvas_h});
    s.canvas_area = {canvas0.x, canvas0.y, w, canvas_h};
    const bool hovered = ImGui::IsItemHovered();
    const ImGuiIO& io = ImGui::GetIO();
    const float mx = io.MousePos.x - canvas0.x;
    const float my = io.MousePos.y - canvas0.y;
    if (ImGui::IsItemActivated()) {
        g_drag.kind = io.KeyShift ? DragState::range : DragState::pan;
        g_drag.origin = io.MousePos;
        g_drag.moved = 0;
        g_drag.range_anchor = s.view.to_ns(mx);
    }
    if (hovered && io.MouseWheel != 0) {
        if (io.KeyCtrl) s.scroll_y -= io.MouseWheel * 3 * (s.metrics.lane_h + s.metrics.lane_gap);  // scroll tracks
        else s.view.zoom_at(mx, std::pow(0.8, static_cast<double>(io.MouseWheel)));
    }
    if (hovered || ImGui::IsWindowFocused()) handle_keys(s, w);

    const std::optional<double> clip = s.replay ? std::optional<double>(s.playhead.time()) : std::nullopt;
    if (g_drag.kind != DragState::none && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
        g_drag.moved += std::fabs(io.MouseDelta.x) + std::fabs(io.MouseDelta.y);
        if (g_drag.kind == DragState::pan) {
            s.view.pan_px(io.MouseDelta.x);
            s.scroll_y -= io.MouseDelta.y;
        } else if (g_drag.kind == DragState::range) {
            const double b = s.view.to_ns(mx);
            if (g_drag.moved > 2) s.range = std::pair{std::min(g_drag.range_anchor, b), std::max(g_drag.range_anchor, b)};
        } else if (g_drag.kind == DragState::scrub) {
            s.replay = true;
            s.playhead.seek(s.view.to_ns(io.MousePos.x - ruler0.x));
        }
    }
    if (g_drag.kind != DragState::none && ImGui::IsMouseReleased(ImGuiMouseButton_Left)) {
        if (g_drag.kind == DragState::pan && g_drag.moved < 3 && hovered) {
            auto h = hit_test(*s.data, s.layout, s.view, mx, my + s.scroll_y, clip);
            s.selected_packet = h ? h->packet : -1;
        }
        if (g_drag.kind == DragState::range && g_drag.moved <= 2) s.range.reset();
        g_drag.kind = DragState::none;
    }
    if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
        if (auto h = hit_test(*s.data, s.layout, s.view, mx, my + s.scroll_y, clip)) {
            if (h->count == 1) s.zoom_to_packet(h->packet);
            else s.view.set_range(static_cast<double>(h->t0), static_cast<double>(h->t1));
        }
    }
    s.scroll_y = std::clamp(s.scroll_y, 0.f, std::max(0.f, s.layout.content_height() - canvas_h * 0.5f));
    if (s.replay && s.follow && s.playhead.playing()) s.view.ensure_visible(s.playhead.time(), w * 0.1f);

    // Preprocess into plain draw commands, then draw.
    DrawParams params;
    params.scroll_y = s.scroll_y;
    params.view_h = canvas_h;
    params.clip_ns = clip;
    params.selected_packet = s.selected_packet;
    build_draw_list(*s.data, s.layout, s.view, params, s.draw);

    draw_ruler(s, dl, ruler0, w);
    dl->PushClipRect(canvas0, {canvas0.x + w, canvas0.y + canvas_h}, true);
    dl->AddRectFilled(canvas0, {canvas0.x + w, canvas0.y + canvas_h}, IM_COL32(22, 23, 27, 255));
    const auto& m = s.layout.metrics();
    for (const auto& hd : s.draw.headers) {
        const FlowTrack& f = s.data->flows[hd.flow];
        const float y = canvas0.y + hd.y;
        dl->AddRectFilled({canvas0.x, y}, {canvas0.x + w, y + m.header_h - 2}, IM_COL32(40, 44, 54, 255));
        const std::string label =
            fmt::format("#{}  {}   {}  {}   {} packets{}   {} {}", f.id, f.label, f.comm, f.ifname, f.packets,
                        f.drops ? fmt::format(", {} dropped", f.drops) : "", f.lanes.size(),
                        f.lanes.size() == 1 ? "lane" : "lanes");
        dl->AddText({canvas0.x + 6, y + 2}, IM_COL32(230, 230, 235, 255), label.c_str());
    }
    const float ox = canvas0.x, oy = canvas0.y;
    for (const auto& rc : s.draw.rects) dl->AddRectFilled({ox + rc.x0, oy + rc.y0}, {ox + rc.x1, oy + rc.y1}, rc.color);
    for (const auto& b : s.draw.merged) {
        dl->AddRectFilled({ox + b.x0, oy + b.y0}, {ox + b.x1, oy + b.y1}, merged_color(b));
        if (b.marked) dl->AddRect({ox + b.x0 - 1, oy + b.y0 - 1}, {ox + b.x1 + 1, oy + b.y1 + 1}, kHighlightColor);
    }
    for (const auto& h : s.draw.hops) {  // the devices a packet crossed, named where the name fits
        dl->AddRectFilled({ox + h.x0, oy + h.y0}, {ox + h.x1, oy + h.y1}, h.color);
        const ImVec2 text = ImGui::CalcTextSize(h.device->c_str());
        if (h.x1 - h.x0 > text.x + 6)
            dl->AddText({ox + h.x0 + 3, oy + h.bar_y0 - 1}, IM_COL32(255, 255, 255, 230), h.device->c_str());
    }
    for (const auto& o : s.draw.outlines) dl->AddRect({ox + o.x0, oy + o.y0}, {ox + o.x1, oy + o.y1}, o.color, 0, 0, 2.f);
    for (const auto& d : s.draw.flow_drops)
        dl->AddTriangleFilled({ox + d.x - 3, oy + d.y0}, {ox + d.x + 3, oy + d.y0}, {ox + d.x, oy + d.y1}, kDropColor);
    for (const auto& d : s.draw.drops) {
        const float x = ox + d.x, y = oy + d.y0;
        dl->AddLine({x, y}, {x, oy + d.y1}, kDropColor, 2.f);
        dl->AddTriangleFilled({x - 4, y - 4}, {x + 4, y - 4}, {x, y + 2}, kDropColor);
    }
    if (s.range) {
        const float a = ox + s.view.to_px(s.range->first), b = ox + s.view.to_px(s.range->second);
        dl->AddRectFilled({a, oy}, {b, oy + canvas_h}, kRangeColor);
        dl->AddLine({a, oy}, {a, oy + canvas_h}, IM_COL32(80, 160, 255, 255));
        dl->AddLine({b, oy}, {b, oy + canvas_h}, IM_COL32(80, 160, 255, 255));
        const std::string len = format_duration(s.range->second - s.range->first);
        dl->AddText({a + 4, oy + canvas_h - 16}, IM_COL32(150, 200, 255, 255), len.c_str());
    }
    // Vertical position indicator when the tracks do not fit.
    const float content_h = s.layout.content_height();
    if (content_h > canvas_h) {
        const float y0 = oy + canvas_h * (s.scroll_y / content_h);
        const float y1 = oy + canvas_h * std::min(1.f, (s.scroll_y + canvas_h) / content_h);
        dl->AddRectFilled({ox + w - 6, y0}, {ox + w - 1, y1}, IM_COL32(150, 150, 160, 160), 2.f);
    }
    dl->PopClipRect();
    if (s.replay) {
        const float x = ox + s.view.to_px(s.playhead.time());
        if (x >= ox && x <= ox + w) {
            dl->AddLine({x, ruler0.y}, {x, oy + canvas_h}, kPlayheadColor, 2.f);
            dl->AddTriangleFilled({x - 6, ruler0.y}, {x + 6, ruler0.y}, {x, ruler0.y + 8}, kPlayheadColor);
        }
    }

    // Hover tooltip.
    if (hovered && g_drag.kind == DragState::none) {
        if (auto h = hit_test(*s.data, s.layout, s.view, mx, my + s.scroll_y, clip)) {
            if (h->count == 1 && h->packet >= 0) {
                packet_tooltip(s.data->packets[static_cast<std::size_t>(h->packet)], s.data->flows[h->flow].label);
            } else {
                ImGui::SetTooltip("%u packets in %s\ndouble-click or zoom in to see them", h->count,
                                  format_duration(static_cast<double>(h->t1 - h->t0)).c_str());
            }
        }
    }
    if (s.shown.empty()) dl->AddText({ox + 10, oy + 10}, IM_COL32(180, 180, 190, 255), "No flow matches the filter.");
    ImGui::End();
}

}  // namespace txray::ui
