// Per-stage latency statistics of the shown flows (or the Shift-drag range),
// and a histogram whose bins highlight their packets when clicked.
#include <imgui.h>

#include <algorithm>
#include <string>

#include "palette.h"
#include "panels.h"
#include "time_format.h"

namespace txray::ui {
namespace {

const char* metric_name(std::size_t m) {
    static std::string names[kMetricCount];
    if (names[0].empty()) {
        for (Stage s : all_stages()) names[index(s)] = std::string(stage_name(s));
        names[kEndToEnd] = "end to end";
    }
    return names[m].c_str();
}

void update_stats(AppState& s) {
    if (s.stats_valid && s.stats_key_flows == s.shown && s.stats_key_range == s.range) return;
    s.stats = compute_selection_stats(*s.data, s.shown, s.range);
    s.stats_key_flows = s.shown;
    s.stats_key_range = s.range;
    s.stats_valid = true;
    if (s.stats.values[s.metric].empty()) {
        for (std::size_t m = 0; m < kMetricCount; ++m)
            if (!s.stats.values[m].empty()) {
                s.metric = m == kEndToEnd || s.stats.values[kEndToEnd].empty() ? m : kEndToEnd;
                break;
            }
    }
    s.histogram = make_histogram(s.stats.values[s.metric], 40);
    s.highlighted_bin = -1;
}

void histogram_widget(AppState& s, float height) {
    const Histogram& h = s.histogram;
    const float w = ImGui::GetContentRegionAvail().x;
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("hist", {w, height});
    s.histogram_area = {p0.x, p0.y, w, height};
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(p0, {p0.x + w, p0.y + height}, IM_COL32(22, 23, 27, 255));
    if (h.empty()) return;
    const float plot_h = height - 16;
    const float bw = w / static_cast<float>(h.bins());
    const std::uint32_t color = s.metric == kEndToEnd ? IM_COL32(150, 200, 255, 255) : stage_color(static_cast<Stage>(s.metric));
    const ImGuiIO& io = ImGui::GetIO();
    const bool hovered = ImGui::IsItemHovered();
    const auto hb = hovered ? static_cast<std::int64_t>((io.MousePos.x - p0.x) / bw) : -1;
    for (std::size_t i = 0; i < h.bins(); ++i) {
        if (!h.counts[i]) continue;
        const float bh = std::max(1.f, plot_h * static_cast<float>(h.counts[i]) / static_cast<float>(h.max_count));
        const float x0 = p0.x + bw * static_cast<float>(i), x1 = x0 + std::max(bw - 1, 1.f);
        const bool hl = static_cast<std::int64_t>(i) == s.highlighted_bin || static_cast<std::int64_t>(i) == hb;
        dl->AddRectFilled({x0, p0.y + plot_h - bh}, {x1, p0.y + plot_h}, hl ? kHighlightColor : color);
    }
    const std::string lo = format_duration(h.edges.front()), hi = format_duration(h.edges.back());
    dl->AddText({p0.x + 2, p0.y + plot_h + 1}, IM_COL32(180, 180, 190, 255), lo.c_str());
    dl->AddText({p0.x + w - ImGui::CalcTextSize(hi.c_str()).x - 2, p0.y + plot_h + 1}, IM_COL32(180, 180, 190, 255), hi.c_str());
    if (h.log_scale) dl->AddText({p0.x + w / 2 - 20, p0.y + plot_h + 1}, IM_COL32(120, 120, 130, 255), "log scale");
    if (hb >= 0 && static_cast<std::size_t>(hb) < h.bins()) {
        const auto b = static_cast<std::size_t>(hb);
        ImGui::SetTooltip("%s .. %s: %u samples\nclick to highlight these packets on the timeline",
                          format_duration(h.edges[b]).c_str(), format_duration(h.edges[b + 1]).c_str(), h.counts[b]);
        if (ImGui::IsItemClicked()) {
            if (s.highlighted_bin == hb) {
                s.clear_highlight();
            } else {
                s.data->set_highlight(packets_in_bin(s.stats, s.metric, h, b));
                s.highlighted_bin = hb;
            }
        }
    }
}

}  // namespace

void draw_stats_panel(AppState& s, const PanelRects& r) {
    ImGui::SetNextWindowPos({r.x, r.y});
    ImGui::SetNextWindowSize({r.w, r.h});
    ImGui::Begin("Statistics", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                            ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
    if (!s.data) {
        ImGui::End();
        return;
    }
    update_stats(s);
    if (s.range) {
        ImGui::Text("%zu packets starting in %s .. %s", s.stats.packets, format_duration(s.range->first - s.t0(), 3).c_str(),
                    format_duration(s.range->second - s.t0(), 3).c_str());
        ImGui::SameLine();
        if (ImGui::SmallButton("clear range")) s.range.reset();
    } else {
        ImGui::Text("%zu packets in %zu flow%s (Shift+drag on the timeline for a time range)", s.stats.packets,
                    s.shown.size(), s.shown.size() == 1 ? "" : "s");
    }
    if (s.metric == kEndToEnd) ImGui::TextDisabled("end to end: syscall entry to transmit (click a row for a stage)");
    else ImGui::TextDisabled("%s: time since the packet's previous stage", metric_name(s.metric));
    if (s.data->highlight_count()) {
        ImGui::SameLine();
        ImGui::TextColored({1, 1, 1, 1}, "%zu highlighted", s.data->highlight_count());
        ImGui::SameLine();
        if (ImGui::SmallButton("clear")) s.clear_highlight();
    }
    histogram_widget(s, std::clamp(r.h * 0.32f, 60.f, 160.f));
    if (ImGui::BeginTable("stages", 6, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingFixedFit)) {
        ImGui::TableSetupScrollFreeze(0, 1);
        for (const char* c : {"metric", "count", "p50", "p90", "p99", "max"}) ImGui::TableSetupColumn(c);
        ImGui::TableHeadersRow();
        auto row = [&](std::size_t m) {
            const MetricSummary& ms = s.stats.summary[m];
            if (!ms.count) return;
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            stage_swatch(m == kEndToEnd ? IM_COL32(150, 200, 255, 255) : stage_color(static_cast<Stage>(m)));
            ImGui::SameLine(0, 4);
            if (ImGui::Selectable(metric_name(m), s.metric == m, ImGuiSelectableFlags_SpanAllColumns)) {
                s.metric = m;
                s.histogram = make_histogram(s.stats.values[m], 40);
                s.highlighted_bin = -1;
            }
            ImGui::TableNextColumn();
            ImGui::Text("%zu", ms.count);
            for (std::uint64_t v : {ms.p50, ms.p90, ms.p99, ms.max}) {
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(format_duration(static_cast<double>(v)).c_str());
            }
        };
        row(kEndToEnd);
        for (Stage st : all_stages()) row(index(st));
        ImGui::EndTable();
    }
    ImGui::End();
}

}  // namespace txray::ui
