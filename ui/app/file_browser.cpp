// File > Open: a small directory browser, and the loading progress window.
#include <imgui.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "dir_listing.h"
#include "panels.h"

namespace txray::ui {

void draw_file_browser(AppState& s) {
    if (!s.browser_open) return;
    static DirListing listing;
    static bool trace_only = true;
    if (listing.dir.empty() || listing.dir != std::filesystem::absolute(s.browser_dir).lexically_normal().string())
        listing = list_dir(s.browser_dir, trace_only), s.browser_dir = listing.dir;
    ImGui::SetNextWindowSize({640, 440}, ImGuiCond_Appearing);
    const ImVec2 c = ImGui::GetMainViewport()->GetCenter();
    ImGui::SetNextWindowPos(c, ImGuiCond_Appearing, {0.5f, 0.5f});
    if (!ImGui::Begin("Open trace", &s.browser_open, ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoCollapse)) {
        ImGui::End();
        return;
    }
    ImGui::TextUnformatted(listing.dir.c_str());
    if (ImGui::Checkbox("trace files only (.json, .jsonl, .txr, .zst)", &trace_only)) listing = list_dir(s.browser_dir, trace_only);
    if (!listing.error.empty()) ImGui::TextColored({1, 0.4f, 0.4f, 1}, "%s", listing.error.c_str());
    std::string open_path;
    ImGui::BeginChild("entries", {0, -ImGui::GetFrameHeightWithSpacing() * 1.2f}, true);
    for (const DirEntry& e : listing.entries) {
        const std::string label = e.is_dir ? "[dir]  " + e.name : "       " + e.name;
        if (ImGui::Selectable(label.c_str(), false, ImGuiSelectableFlags_AllowDoubleClick)) {
            const std::string full = (std::filesystem::path(listing.dir) / e.name).lexically_normal().string();
            if (e.is_dir) {
                s.browser_dir = full;
            } else {
                std::snprintf(s.browser_path, sizeof s.browser_path, "%s", full.c_str());
                if (ImGui::IsMouseDoubleClicked(0)) open_path = full;
            }
        }
        if (!e.is_dir) {
            ImGui::SameLine(ImGui::GetWindowWidth() - 110);
            ImGui::TextDisabled("%.1f MB", static_cast<double>(e.size) / 1e6);
        }
    }
    ImGui::EndChild();
    ImGui::SetNextItemWidth(-120);
    if (ImGui::InputText("##path", s.browser_path, sizeof s.browser_path, ImGuiInputTextFlags_EnterReturnsTrue))
        open_path = s.browser_path;
    ImGui::SameLine();
    if (ImGui::Button("Open", {-1, 0})) open_path = s.browser_path;
    if (!open_path.empty()) {
        if (std::filesystem::is_directory(open_path)) {
            s.browser_dir = open_path;
        } else {
            s.loader.start(open_path);
            s.browser_open = false;
        }
    }
    ImGui::End();
}

void draw_loading_overlay(AppState& s) {
    if (!s.loader.busy()) return;
    const ImVec2 c = ImGui::GetMainViewport()->GetCenter();
    ImGui::SetNextWindowPos(c, ImGuiCond_Always, {0.5f, 0.5f});
    ImGui::SetNextWindowSize({460, 0});
    ImGui::Begin("Loading", nullptr, ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoMove |
                                         ImGuiWindowFlags_NoResize);
    ImGui::TextUnformatted(s.loader.path().c_str());
    const bool indexing = s.loader.phase() == TraceLoader::Phase::indexing;
    const double p = s.loader.progress();
    char label[64];
    if (indexing) std::snprintf(label, sizeof label, "indexing flows and lanes...");
    else std::snprintf(label, sizeof label, "%.1f MB read", static_cast<double>(s.loader.bytes_read()) / 1e6);
    ImGui::ProgressBar(indexing ? 1.f : p < 0 ? 0.f : static_cast<float>(p), {-1, 0}, label);
    if (ImGui::Button("Cancel")) s.loader.cancel();
    ImGui::SameLine();
    ImGui::TextDisabled("(keeps what was read so far)");
    ImGui::End();
}

}  // namespace txray::ui
