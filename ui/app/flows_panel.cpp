// The flows panel: a sortable, filterable table; selection picks the timeline's tracks.
#include <imgui.h>

#include <string>

#include "panels.h"

namespace txray::ui {

void draw_flows_panel(AppState& s, const PanelRects& r) {
    ImGui::SetNextWindowPos({r.x, r.y});
    ImGui::SetNextWindowSize({r.w, r.h});
    ImGui::Begin("Flows", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                       ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
    if (!s.data) {
        ImGui::TextDisabled("No trace. Open one (Ctrl+O) or drop a file here.");
        ImGui::End();
        return;
    }
    static char filter[256] = {};
    ImGui::SetNextItemWidth(-170);
    if (ImGui::InputTextWithHint("##filter", "filter: udp 10.0.0.2 iperf eth0 ...", filter, sizeof filter)) {
        s.query.filter = filter;
        s.rows_dirty = true;
    }
    ImGui::SameLine();
    if (ImGui::Checkbox("drops", &s.query.only_drops)) s.rows_dirty = true;
    ImGui::SameLine();
    if (ImGui::SmallButton("all")) std::fill(s.selected.begin(), s.selected.end(), 0);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Clear the selection: the timeline shows every listed flow");

    std::size_t nsel = 0;
    for (auto v : s.selected) nsel += v;
    ImGui::TextDisabled("%zu of %zu flows listed, %s. Click selects, Ctrl+click adds.", s.rows.size(),
                        s.data->flows.size(), nsel ? (std::to_string(nsel) + " selected").c_str() : "timeline shows all");

    constexpr int kCols = static_cast<int>(FlowColumn::count);
    const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                  ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX | ImGuiTableFlags_Resizable |
                                  ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_Hideable | ImGuiTableFlags_Reorderable;
    if (ImGui::BeginTable("flows", kCols, flags)) {
        ImGui::TableSetupScrollFreeze(1, 1);
        for (int c = 0; c < kCols; ++c) {
            ImGuiTableColumnFlags cf = c == 0 ? ImGuiTableColumnFlags_DefaultSort : 0;
            const auto col = static_cast<FlowColumn>(c);
            if (col == FlowColumn::packets || col == FlowColumn::bytes || col == FlowColumn::p50 ||
                col == FlowColumn::p99 || col == FlowColumn::drops)
                cf |= ImGuiTableColumnFlags_PreferSortDescending;
            ImGui::TableSetupColumn(std::string(column_name(col)).c_str(), cf, 0, static_cast<ImGuiID>(c));
        }
        ImGui::TableHeadersRow();
        if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsDirty) {
            if (specs->SpecsCount > 0) {
                s.query.sort = static_cast<FlowColumn>(specs->Specs[0].ColumnUserID);
                s.query.ascending = specs->Specs[0].SortDirection == ImGuiSortDirection_Ascending;
                s.rows_dirty = true;
            }
            specs->SpecsDirty = false;
        }
        ImGuiListClipper clip;
        clip.Begin(static_cast<int>(s.rows.size()));
        while (clip.Step()) {
            for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
                const std::uint32_t fi = s.rows[static_cast<std::size_t>(i)];
                const FlowTrack& f = s.data->flows[fi];
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::PushID(static_cast<int>(fi));
                const std::string id = flow_cell(f, FlowColumn::id);
                if (ImGui::Selectable(id.c_str(), s.selected[fi] != 0,
                                      ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap)) {
                    if (ImGui::GetIO().KeyCtrl) s.selected[fi] = !s.selected[fi];
                    else if (s.selected[fi] && nsel == 1) s.selected[fi] = 0;
                    else s.select_only(fi);
                }
                ImGui::PopID();
                for (int c = 1; c < kCols; ++c) {
                    ImGui::TableNextColumn();
                    const auto col = static_cast<FlowColumn>(c);
                    const std::string cell = flow_cell(f, col);
                    if (col == FlowColumn::drops && f.drops) ImGui::TextColored({1.f, 0.35f, 0.35f, 1.f}, "%s", cell.c_str());
                    else ImGui::TextUnformatted(cell.c_str());
                }
            }
        }
        ImGui::EndTable();
    }
    ImGui::End();
}

}  // namespace txray::ui
