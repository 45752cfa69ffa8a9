// The clicked packet: its facts and a waterfall of its stages.
#include <imgui.h>

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "core/hops.h"
#include "packet_tooltip.h"
#include "palette.h"
#include "panels.h"
#include "time_format.h"

namespace txray::ui {
namespace {

void fact(const char* k, const std::string& v) {
    ImGui::TableNextColumn();
    ImGui::TextDisabled("%s", k);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(v.c_str());
}

void waterfall(const Packet& p) {
    if (p.stages.size() < 2) return;
    const float name_w = 120.f, w = std::max(ImGui::GetContentRegionAvail().x - name_w - 90.f, 100.f);
    const double t0 = static_cast<double>(p.first_ts());
    const double span = std::max(1.0, static_cast<double>(p.last_ts()) - t0);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float row = ImGui::GetTextLineHeightWithSpacing();
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        const StageMark& m = p.stages[i];
        const ImVec2 c = ImGui::GetCursorScreenPos();
        ImGui::TextUnformatted(std::string(stage_name(m.stage)).c_str());
        const float x0 = c.x + name_w + static_cast<float>((static_cast<double>(m.ts_ns) - t0) / span) * w;
        const double next = i + 1 < p.stages.size() ? static_cast<double>(p.stages[i + 1].ts_ns) : static_cast<double>(m.ts_ns);
        const float x1 = std::max(x0 + 2.f, c.x + name_w + static_cast<float>((next - t0) / span) * w);
        dl->AddRectFilled({x0, c.y + 2}, {x1, c.y + row - 3}, stage_color(m.stage));
        const std::string label = i + 1 < p.stages.size() ? format_duration(next - static_cast<double>(m.ts_ns)) : "";
        dl->AddText({x1 + 4, c.y}, IM_COL32(200, 200, 205, 255), label.c_str());
    }
}

}  // namespace

void draw_details_panel(AppState& s, const PanelRects& r) {
    ImGui::SetNextWindowPos({r.x, r.y});
    ImGui::SetNextWindowSize({r.w, r.h});
    ImGui::Begin("Packet", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                        ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
    if (!s.data || s.selected_packet < 0 || static_cast<std::size_t>(s.selected_packet) >= s.data->packets.size()) {
        ImGui::TextDisabled("Click a packet on the timeline to see its details and the waterfall of its stages.");
        ImGui::End();
        return;
    }
    const Packet& p = s.data->packets[static_cast<std::size_t>(s.selected_packet)];
    const FlowTrack& f = s.data->flows[s.data->flow_of[static_cast<std::size_t>(s.selected_packet)]];
    if (ImGui::BeginTable("facts", 2, ImGuiTableFlags_SizingFixedFit, {360, 0})) {
        const char* child = p.gso_segment ? " (GSO segment of " : " (fragment of ";
        fact("packet", std::to_string(p.id) + (p.parent_id ? child + std::to_string(p.parent_id) + ")" : ""));
        fact("flow", fmt::format("#{} {}", f.id, f.label));
        fact("outcome", p.outcome_string() +
                            (p.end_cpu >= 0 ? ", ended on CPU " + std::to_string(p.end_cpu) +
                                                  (p.end_context.empty() ? "" : " in " + p.end_context)
                                            : ""));
        fact("length", std::to_string(p.len) + " bytes" + (p.gso_segs > 1 ? ", GSO " + std::to_string(p.gso_segs) + " x " + std::to_string(p.gso_size) : ""));
        fact("process", p.comm + " pid " + std::to_string(p.pid) + " tid " + std::to_string(p.tid));
        fact("interface", p.ifname + " (ifindex " + std::to_string(p.ifindex) + ", queue " + std::to_string(p.queue) + ")");
        if (p.hops.size() > 1) {  // trace format 1.3: the devices it crossed, the time on each
            fact("path", hop_path(p, " > "));
            for (const HopSpan& h : hop_spans(p))
                if (h.hop < p.hops.size())
                    fact(("  on " + p.hops[h.hop].ifname).c_str(),
                         format_duration(static_cast<double>(h.duration_ns()), 3) +
                             (p.hops[h.hop].flow ? "  as " + flow_to_string(*p.hops[h.hop].flow) : ""));
        }
        fact("send", "id " + std::to_string(p.send_id) + (p.send_ret ? ", returned " + std::to_string(*p.send_ret) : "") +
                         (p.send_errno.empty() ? "" : ", " + p.send_errno));
        if (p.requeues) fact("requeues", std::to_string(p.requeues));
        if (p.has_tcp)
            fact("tcp", "seq " + std::to_string(p.tcp_seq) + " + " + std::to_string(p.tcp_end_seq - p.tcp_seq) +
                            (p.send_by_seq ? ", tied to its send by sequence" : ""));
        if (p.retransmit)
            fact("retransmit", p.retransmit_of ? "of packet " + std::to_string(p.retransmit_of) : "yes (original not in trace)");
        if (p.has_qdisc)
            fact("qdisc backlog", std::to_string(p.qdisc_backlog) + " bytes, " + std::to_string(p.qdisc_qlen) + " packets");
        if (!p.stages.empty()) {
            fact("start", fmt::format("+{}", format_duration(static_cast<double>(p.first_ts()) - s.t0(), 3)));
            fact("duration", format_duration(static_cast<double>(p.last_ts() - p.first_ts())));
        }
        ImGui::EndTable();
    }
    ImGui::SameLine(0, 20);
    ImGui::BeginGroup();
    if (ImGui::SmallButton("Zoom to packet")) s.zoom_to_packet(s.selected_packet);
    ImGui::SameLine();
    if (ImGui::SmallButton("Close")) s.selected_packet = -1;
    if (s.selected_packet >= 0) waterfall(p);
    ImGui::EndGroup();
    if (s.selected_packet >= 0 && ImGui::CollapsingHeader("Stage timestamps")) stage_table(p, "details");
    ImGui::End();
}

}  // namespace txray::ui
