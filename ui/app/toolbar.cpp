// The toolbar: open, replay controls, counters at the playhead, stage legend.
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <cmath>
#include <string>

#include "palette.h"
#include "panels.h"
#include "time_format.h"

namespace txray::ui {

void stage_swatch(std::uint32_t color, float size) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float off = (ImGui::GetTextLineHeight() - size) / 2;
    dl->AddRectFilled({p.x, p.y + off}, {p.x + size, p.y + off + size}, color);
    ImGui::Dummy({size, ImGui::GetTextLineHeight()});
}

namespace {

// Legend items wrap to the window's width.
void legend_item(std::uint32_t color, const char* label, bool first) {
    const float w = 10 + 3 + ImGui::CalcTextSize(label).x;
    if (!first) {
        ImGui::SameLine(0, 10);
        if (ImGui::GetCursorPosX() + w > ImGui::GetWindowContentRegionMax().x) ImGui::NewLine();
    }
    stage_swatch(color);
    ImGui::SameLine(0, 3);
    ImGui::TextUnformatted(label);
}

}  // namespace

float stage_legend_width() {
    float w = 0;
    for (Stage st : all_stages()) w += 23 + ImGui::CalcTextSize(std::string(stage_name(st)).c_str()).x;
    return w + 23 + ImGui::CalcTextSize("many packets").x + 10 + ImGui::CalcTextSize("v drop").x;
}

void draw_stage_legend() {
    bool first = true;
    for (Stage st : all_stages()) {
        legend_item(stage_color(st), std::string(stage_name(st)).c_str(), first);
        first = false;
    }
    legend_item(kMergedColor, "many packets", false);
    legend_item(kDropColor, "drop marker", false);
}

namespace {

std::string rate(double bps) {
    const char* u[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
    int i = 0;
    while (bps >= 1000 && i < 4) bps /= 1000, ++i;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f %s", bps, u[i]);
    return buf;
}

}  // namespace

void draw_toolbar(AppState& s, const PanelRects& r) {
    ImGui::SetNextWindowPos({r.x, r.y});
    ImGui::SetNextWindowSize({r.w, r.h});
    ImGui::Begin("##toolbar", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                     ImGuiWindowFlags_NoBringToFrontOnFocus);
    if (ImGui::Button("Open...")) s.browser_open = true;
    ImGui::SameLine();
    ImGui::BeginDisabled(!s.data);
    if (ImGui::Button("Fit all")) s.fit_all();
    ImGui::SameLine();
    ImGui::TextDisabled("|");
    ImGui::SameLine();
    const ImGuiIO& io = ImGui::GetIO();
    const bool keys = s.data && !io.WantTextInput;
    auto step = [&](bool forward) {
        auto t = forward ? next_packet_start(*s.data, s.shown, s.playhead.time())
                         : prev_packet_start(*s.data, s.shown, s.playhead.time());
        if (t) {
            s.replay = true;
            s.playhead.pause();
            s.playhead.seek(*t);
            s.view.ensure_visible(*t);
        }
    };
    if (ImGui::Button("|<") || (keys && ImGui::IsKeyPressed(GLFW_KEY_LEFT))) step(false);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Previous packet (Left)");
    ImGui::SameLine();
    if (ImGui::Button(s.playhead.playing() ? "Pause" : " Play ") || (keys && ImGui::IsKeyPressed(GLFW_KEY_SPACE, false))) {
        if (!s.replay) {
            s.replay = true;
            if (s.playhead.time() <= s.t0() || s.playhead.at_end()) s.playhead.seek(std::max(s.t0(), s.view.start()));
        }
        s.playhead.toggle();
    }
    ImGui::SameLine();
    if (ImGui::Button(">|") || (keys && ImGui::IsKeyPressed(GLFW_KEY_RIGHT))) step(true);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Next packet (Right)");
    ImGui::SameLine();
    if (ImGui::Checkbox("Replay", &s.replay) && s.replay && s.playhead.time() <= s.t0())
        s.playhead.seek(std::max(s.t0(), s.view.start()));
    ImGui::SameLine();
    ImGui::Checkbox("Follow", &s.follow);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(150);
    float lg = static_cast<float>(std::log10(s.playhead.speed()));
    char speed[32];
    std::snprintf(speed, sizeof speed, "%.3gx real time", s.playhead.speed());
    if (ImGui::SliderFloat("##speed", &lg, -2.f, 2.f, speed)) s.playhead.set_speed(std::pow(10.0, static_cast<double>(lg)));
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Replay speed: 0.01x to 100x real time");
    ImGui::EndDisabled();
    if (s.data) {
        ImGui::SameLine();
        ImGui::TextDisabled("|");
        ImGui::SameLine();
        if (s.replay) {
            const double t = s.playhead.time();
            const double window = std::clamp(s.view.range() / 50, 1e3, 1e9);
            const auto c = counters_at(*s.data, s.shown, t, window);
            ImGui::Text("playhead %s   packets %llu   drops %llu   throughput %s (last %s)",
                        format_duration(t - s.t0(), 3).c_str(), static_cast<unsigned long long>(c.packets),
                        static_cast<unsigned long long>(c.drops), rate(c.throughput_bps).c_str(),
                        format_duration(window).c_str());
        } else {
            // Not replaying: what the view shows.
            const double a = std::max(s.view.start(), s.t0()), b = std::min(s.view.end(), s.t1());
            const auto c = counters_at(*s.data, s.shown, b, std::max(b - a, 1.0));
            const auto before = counters_at(*s.data, s.shown, a - 0.5, 1.0);  // strictly before a
            ImGui::Text("in view: packets %llu   drops %llu   throughput %s   (trace: %zu packets, %llu drops, %s)",
                        static_cast<unsigned long long>(c.packets - before.packets),
                        static_cast<unsigned long long>(c.drops - before.drops), rate(c.throughput_bps).c_str(),
                        s.data->packets.size(), static_cast<unsigned long long>(s.data->total_drops),
                        format_duration(s.t1() - s.t0()).c_str());
        }
    }
    draw_stage_legend();
    ImGui::End();
}

}  // namespace txray::ui
