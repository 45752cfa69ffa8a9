// txray-ui frame cost with 1,000,000 packets (synthetic, 6 flows):
//  - DrawList/*: the model's culling + merging into plain draw commands only;
//  - Frame/*: a whole headless ImGui frame (all panels, NewFrame..Render, no GL),
//    i.e. the CPU time to build a frame, at full zoom-out, mid and deep zoom.
#include <benchmark/benchmark.h>
#include <imgui.h>

#include <memory>

#include "app_state.h"
#include "draw_list.h"
#include "panels.h"
#include "core/synth.h"
#include "timeline_data.h"

using namespace txray;
using namespace txray::ui;

namespace {

constexpr float kWidth = 1600, kHeight = 900;

const TimelineData& million() {
    static const TimelineData d = build_timeline(synth_packets({.packets = 1'000'000, .flows = 6}));
    return d;
}

enum class Zoom { all, mid, deep };

void set_zoom(TimeView& v, const TimelineData& d, Zoom z) {
    v.set_width(kWidth * 0.66f);
    v.set_bounds(static_cast<double>(d.t0), static_cast<double>(d.t1));
    const double mid = (static_cast<double>(d.t0) + static_cast<double>(d.t1)) / 2;
    if (z == Zoom::all) v.fit_all();
    else if (z == Zoom::mid) v.set_range(mid, mid + 2e6);  // 2 ms
    else {
        // 20 µs around the middle packet (so that there is something to draw).
        const double t = static_cast<double>(d.packets[d.packets.size() / 2].first_ts());
        v.set_range(t - 5e3, t + 15e3);
    }
}

void BM_DrawList(benchmark::State& state, Zoom z) {
    const TimelineData& d = million();
    std::vector<std::uint32_t> shown;
    for (std::uint32_t i = 0; i < d.flows.size(); ++i) shown.push_back(i);
    TimelineLayout layout(d, shown, {});
    TimeView v;
    set_zoom(v, d, z);
    DrawParams p;
    p.view_h = 1000;
    TimelineDrawList out;
    for (auto _ : state) {
        build_draw_list(d, layout, v, p, out);
        benchmark::DoNotOptimize(out.rects.data());
    }
    state.counters["rects"] = static_cast<double>(out.rects.size());
    state.counters["merged"] = static_cast<double>(out.merged.size());
    state.counters["searches"] = static_cast<double>(out.binary_searches);
}

struct ImGuiHeadless {
    ImGuiHeadless() {
        ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = {kWidth, kHeight};
        io.DeltaTime = 1.f / 60;
        unsigned char* px = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
        io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(1));
    }
    ~ImGuiHeadless() { ImGui::DestroyContext(); }
};

void BM_Frame(benchmark::State& state, Zoom z) {
    ImGuiHeadless ctx;
    AppState s;
    {
        auto d = std::make_unique<TimelineData>(million());  // copy: AppState owns its trace
        d->path = "synthetic-1M.json";
        s.on_loaded(std::move(d));
    }
    auto frame = [&] {
        ImGui::NewFrame();
        draw_app(s, kWidth, kHeight);
        ImGui::Render();
    };
    for (int i = 0; i < 3; ++i) frame();  // layout settles, statistics computed once
    set_zoom(s.view, *s.data, z);
    frame();
    for (auto _ : state) frame();
    state.counters["vertices"] = ImGui::GetDrawData()->TotalVtxCount;
}

}  // namespace

BENCHMARK_CAPTURE(BM_DrawList, full_zoom_out, Zoom::all)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DrawList, mid_zoom_2ms, Zoom::mid)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DrawList, deep_zoom_20us, Zoom::deep)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Frame, full_zoom_out, Zoom::all)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Frame, mid_zoom_2ms, Zoom::mid)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Frame, deep_zoom_20us, Zoom::deep)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
