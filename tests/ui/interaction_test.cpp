// The ImGui panels driven headless (no window, no GL): synthetic mouse and
// keyboard input through ImGuiIO, checking what the state does in response.
#include <GLFW/glfw3.h>
#include <gtest/gtest.h>
#include <imgui.h>

#include <algorithm>
#include <memory>

#include "app_state.h"
#include "panels.h"
#include "core/synth.h"

using namespace txray;
using namespace txray::ui;

namespace {

class Headless : public ::testing::Test {
protected:
    static constexpr float W = 1400, H = 850;
    void SetUp() override {
        ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = {W, H};
        unsigned char* px = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
        io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(1));
        auto d = std::make_unique<TimelineData>(build_timeline(synth_packets({.packets = 3000, .flows = 3})));
        d->path = "synthetic";
        s.on_loaded(std::move(d));
        for (int i = 0; i < 3; ++i) frame();
    }
    void TearDown() override { ImGui::DestroyContext(); }
    void frame() {
        ImGuiIO& io = ImGui::GetIO();
        io.DeltaTime = 1.f / 60;
        ImGui::NewFrame();
        s.playhead.advance(static_cast<double>(io.DeltaTime));
        draw_app(s, W, H);
        ImGui::Render();
        io.MouseWheel = 0;
    }
    void move(float x, float y) {
        ImGui::GetIO().MousePos = {x, y};
        frame();
    }
    void click(float x, float y) {
        move(x, y);
        ImGui::GetIO().MouseDown[0] = true;
        frame();
        ImGui::GetIO().MouseDown[0] = false;
        frame();
    }
    void drag(float x0, float y0, float x1, float y1) {
        move(x0, y0);
        ImGui::GetIO().MouseDown[0] = true;
        frame();
        for (int i = 1; i <= 4; ++i) move(x0 + (x1 - x0) * static_cast<float>(i) / 4, y0 + (y1 - y0) * static_cast<float>(i) / 4);
        ImGui::GetIO().MouseDown[0] = false;
        frame();
    }
    float cx() const { return s.canvas_area.x + s.canvas_area.w / 2; }
    float cy() const { return s.canvas_area.y + s.canvas_area.h / 2; }
    AppState s;
};

TEST_F(Headless, WheelZoomsAroundTheCursor) {
    ASSERT_GT(s.canvas_area.w, 100.f);
    const float x = s.canvas_area.x + s.canvas_area.w * 0.25f;
    move(x, cy());
    const double under = s.view.to_ns(x - s.canvas_area.x), range = s.view.range();
    ImGui::GetIO().MouseWheel = 3;
    frame();
    EXPECT_LT(s.view.range(), range * 0.6);
    EXPECT_NEAR(s.view.to_ns(x - s.canvas_area.x), under, s.view.ns_per_px());
    ImGui::GetIO().MouseWheel = -3;
    frame();
    EXPECT_NEAR(s.view.range(), range, range * 1e-6);
}

TEST_F(Headless, DragPansAndKeysZoomAndPan) {
    const double start = s.view.start(), nspx = s.view.ns_per_px();
    drag(cx(), cy(), cx() + 100, cy());
    EXPECT_NEAR(s.view.start(), start - 100 * nspx, nspx * 2);
    const double range = s.view.range();
    move(cx(), cy());
    ImGui::GetIO().KeysDown[GLFW_KEY_W] = true;
    for (int i = 0; i < 10; ++i) frame();
    ImGui::GetIO().KeysDown[GLFW_KEY_W] = false;
    frame();
    EXPECT_LT(s.view.range(), range * 0.8);
    const double st = s.view.start();
    ImGui::GetIO().KeysDown[GLFW_KEY_D] = true;
    for (int i = 0; i < 5; ++i) frame();
    ImGui::GetIO().KeysDown[GLFW_KEY_D] = false;
    frame();
    EXPECT_GT(s.view.start(), st);
    ImGui::GetIO().KeysDown[GLFW_KEY_F] = true;
    frame();
    ImGui::GetIO().KeysDown[GLFW_KEY_F] = false;
    frame();
    EXPECT_LE(s.view.start(), s.t0());
    EXPECT_GE(s.view.end(), s.t1());
}

TEST_F(Headless, ClickSelectsAndDoubleClickZoomsToAPacket) {
    // Zoom in so that packets are wide, then click the middle of a drawn one.
    s.view.set_range(s.t0() + 1e6, s.t0() + 1.2e6);
    frame();
    frame();
    ASSERT_FALSE(s.draw.rects.empty());
    const auto& r = *std::max_element(s.draw.rects.begin(), s.draw.rects.end(),
                                      [](const DrawRect& a, const DrawRect& b) { return a.x1 - a.x0 < b.x1 - b.x0; });
    const float x = s.canvas_area.x + (r.x0 + r.x1) / 2, y = s.canvas_area.y + (r.y0 + r.y1) / 2;
    click(x, y);
    ASSERT_GE(s.selected_packet, 0);
    const Packet& p = s.data->packets[static_cast<std::size_t>(s.selected_packet)];
    EXPECT_LE(static_cast<double>(p.first_ts()), s.view.to_ns(x - s.canvas_area.x) + s.view.ns_per_px() * 3);
    click(x, y);  // second click within the double-click time
    const double dur = static_cast<double>(p.last_ts() - p.first_ts());
    EXPECT_NEAR(s.view.range(), std::max(dur * 1.2, dur + 20), dur * 0.05);
    EXPECT_LE(s.view.start(), static_cast<double>(p.first_ts()));
    EXPECT_GE(s.view.end(), static_cast<double>(p.last_ts()));
}

TEST_F(Headless, ShiftDragSelectsARangeForTheStatistics) {
    const std::size_t all = s.stats.packets;
    EXPECT_EQ(all, 3000u);
    ImGui::GetIO().KeyShift = true;
    drag(cx() - 100, cy(), cx() + 100, cy());
    ImGui::GetIO().KeyShift = false;
    frame();
    ASSERT_TRUE(s.range);
    EXPECT_NEAR(s.range->second - s.range->first, 200 * s.view.ns_per_px(), 2 * s.view.ns_per_px());
    EXPECT_GT(s.stats.packets, 0u);
    EXPECT_LT(s.stats.packets, all);
    ImGui::GetIO().KeysDown[GLFW_KEY_ESCAPE] = true;
    move(cx(), cy());
    ImGui::GetIO().KeysDown[GLFW_KEY_ESCAPE] = false;
    frame();
    EXPECT_FALSE(s.range);
}

TEST_F(Headless, HistogramBinClickHighlightsPackets) {
    ASSERT_FALSE(s.histogram.empty());
    const auto& c = s.histogram.counts;
    const auto bin = static_cast<std::size_t>(std::max_element(c.begin(), c.end()) - c.begin());
    const float bw = s.histogram_area.w / static_cast<float>(c.size());
    click(s.histogram_area.x + bw * (static_cast<float>(bin) + 0.5f), s.histogram_area.y + s.histogram_area.h / 2);
    EXPECT_EQ(s.highlighted_bin, static_cast<std::int64_t>(bin));
    EXPECT_GT(s.data->highlight_count(), 0u);
    EXPECT_LE(s.data->highlight_count(), c[bin]);
}

TEST_F(Headless, ReplayPlaysStepsAndScrubs) {
    ImGui::GetIO().KeysDown[GLFW_KEY_SPACE] = true;
    move(cx(), cy());
    ImGui::GetIO().KeysDown[GLFW_KEY_SPACE] = false;
    frame();
    EXPECT_TRUE(s.replay);
    EXPECT_TRUE(s.playhead.playing());
    const double t = s.playhead.time();
    s.playhead.set_speed(0.01);
    for (int i = 0; i < 6; ++i) frame();
    EXPECT_NEAR(s.playhead.time() - t, 6.0 / 60 * 1e9 * 0.01, 1e3);  // 6 frames at 0.01x
    s.playhead.pause();
    // Right arrow: the next packet's first stage.
    const double before = s.playhead.time();
    ImGui::GetIO().KeysDown[GLFW_KEY_RIGHT] = true;
    frame();
    ImGui::GetIO().KeysDown[GLFW_KEY_RIGHT] = false;
    frame();
    EXPECT_EQ(s.playhead.time(), next_packet_start(*s.data, s.shown, before).value());
    // Drawing stops at the playhead.
    for (const auto& r : s.draw.rects) EXPECT_LE(r.x0, s.view.to_px(s.playhead.time()) + 1);
    // Scrub: click on the ruler, just above the canvas.
    const float rx = s.canvas_area.x + s.canvas_area.w * 0.75f;
    click(rx, s.canvas_area.y - 10);
    EXPECT_NEAR(s.playhead.time(), s.view.to_ns(rx - s.canvas_area.x), s.view.ns_per_px() * 2);
}

}  // namespace

namespace {

TEST_F(Headless, CtrlWheelScrollsTheTracks) {
    // Tall lanes make the three tracks taller than the canvas.
    s.metrics.lane_h = 60.f;
    s.layout = TimelineLayout(*s.data, s.shown, s.metrics);
    frame();
    ASSERT_GT(s.layout.content_height(), s.canvas_area.h);
    const double range = s.view.range();
    move(cx(), cy());
    ImGui::GetIO().KeyCtrl = true;
    ImGui::GetIO().MouseWheel = -2;
    frame();
    ImGui::GetIO().KeyCtrl = false;
    frame();
    EXPECT_GT(s.scroll_y, 0.f);
    EXPECT_DOUBLE_EQ(s.view.range(), range);  // no zoom
}

}  // namespace
