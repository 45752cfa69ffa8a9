#include "packet_tooltip.h"

#include <imgui.h>

#include <string>

#include "core/hops.h"
#include "panels.h"
#include "palette.h"
#include "time_format.h"

namespace txray::ui {

void stage_table(const Packet& p, const char* id) {
    if (!ImGui::BeginTable(id, 4, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) return;
    ImGui::TableSetupColumn("stage");
    ImGui::TableSetupColumn("at");
    ImGui::TableSetupColumn("delta");
    ImGui::TableSetupColumn("timestamp (ns)");
    ImGui::TableHeadersRow();
    const std::uint64_t t0 = p.first_ts();
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        const StageMark& m = p.stages[i];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        stage_swatch(stage_color(m.stage));
        ImGui::SameLine(0, 4);
        ImGui::TextUnformatted(std::string(stage_name(m.stage)).c_str());
        ImGui::TableNextColumn();
        ImGui::Text("+%s", format_duration(static_cast<double>(m.ts_ns - t0)).c_str());
        ImGui::TableNextColumn();
        if (i) ImGui::Text("%s", format_duration(static_cast<double>(m.ts_ns - p.stages[i - 1].ts_ns)).c_str());
        ImGui::TableNextColumn();
        ImGui::TextDisabled("%llu", static_cast<unsigned long long>(m.ts_ns));
    }
    ImGui::EndTable();
}

void packet_tooltip(const Packet& p, const std::string& flow_label) {
    ImGui::BeginTooltip();
    ImGui::Text("packet %llu  %u bytes  %s", static_cast<unsigned long long>(p.id), p.len, p.outcome_string().c_str());
    ImGui::TextDisabled("%s  %s (%u)  %s", flow_label.c_str(), p.comm.c_str(), p.pid, hop_path(p, " > ").c_str());
    if (!p.stages.empty())
        ImGui::Text("duration %s", format_duration(static_cast<double>(p.last_ts() - p.first_ts())).c_str());
    if (p.hops.size() > 1)  // trace format 1.3: the time on each device
        for (const HopSpan& h : hop_spans(p)) {
            if (h.hop >= p.hops.size()) continue;
            ImGui::Text("  on %s  %s", p.hops[h.hop].ifname.c_str(),
                        format_duration(static_cast<double>(h.duration_ns())).c_str());
            if (p.hops[h.hop].flow) {
                ImGui::SameLine();
                ImGui::TextDisabled("  as %s", flow_to_string(*p.hops[h.hop].flow).c_str());
            }
        }
    stage_table(p, "tip");
    ImGui::TextDisabled("click: details   double-click: zoom to it");
    ImGui::EndTooltip();
}

}  // namespace txray::ui
