// txray-ui under Xvfb: runs the real binary in --screenshot mode and checks
// the pixels of the PNG it writes. Run by run_gui_tests.sh (xvfb-run -a).
#include <gtest/gtest.h>
#include <stb_image.h>

#include <sys/wait.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "palette.h"
#include "core/stage.h"

using namespace txray;
using namespace txray::ui;
namespace fs = std::filesystem;

namespace {

const std::string kApp = TXRAY_UI_BIN;
const std::string kDemo = TXRAY_UI_DEMO_BIN;
const fs::path kOut = TXRAY_UI_TEST_OUT;

int run(const std::string& cmd) {
    const int rc = std::system((cmd + " 2>>" + (kOut / "stderr.log").string()).c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

struct Image {
    int w = 0, h = 0;
    std::unique_ptr<unsigned char, void (*)(void*)> px{nullptr, stbi_image_free};
    std::array<std::uint8_t, 3> at(int x, int y) const {
        const unsigned char* p = px.get() + (static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x)) * 4;
        return {p[0], p[1], p[2]};
    }
    // Pixels in [x0,x1) x [y0,y1) that are exactly colour c (IM_COL32 layout).
    std::size_t count(std::uint32_t c, int x0, int y0, int x1, int y1) const {
        std::size_t n = 0;
        for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x) {
                const auto p = at(x, y);
                n += p[0] == red_of(c) && p[1] == green_of(c) && p[2] == blue_of(c);
            }
        return n;
    }
    // Stage colours with at least `min` pixels in the region, and their total.
    std::pair<std::size_t, std::size_t> stage_pixels(int x0, int y0, int x1, int y1, std::size_t min = 20) const {
        std::size_t kinds = 0, total = 0;
        for (Stage s : all_stages()) {
            const auto n = count(stage_color(s), x0, y0, x1, y1);
            kinds += n >= min;
            total += n;
        }
        return {kinds, total};
    }
};

Image load_png(const fs::path& p) {
    Image im;
    int ch = 0;
    im.px.reset(stbi_load(p.c_str(), &im.w, &im.h, &ch, 4));
    return im;
}

fs::path demo_trace() {
    const fs::path p = kOut / "demo.json";
    if (!fs::exists(p)) {
        EXPECT_EQ(run(kDemo + " " + p.string() + " --packets 3000"), 0);
    }
    return p;
}

// The timeline occupies the right 66% of the window, between the toolbar and the details panel.
constexpr int W = 1280, H = 800;
constexpr int kTimelineX0 = static_cast<int>(W * 0.36), kTimelineY0 = 110, kTimelineY1 = static_cast<int>(H * 0.6);

std::string shot(const fs::path& trace, const fs::path& png, const std::string& extra = "") {
    fs::remove(png);
    return kApp + " " + trace.string() + " --screenshot " + png.string() + " --size " + std::to_string(W) + "x" +
           std::to_string(H) + " " + extra;
}

}  // namespace

TEST(GuiScreenshot, DrawsPacketsInStageColours) {
    const fs::path png = kOut / "full.png";
    ASSERT_EQ(run(shot(demo_trace(), png)), 0);
    const Image im = load_png(png);
    ASSERT_TRUE(im.px) << stbi_failure_reason();
    EXPECT_EQ(im.w, W);
    EXPECT_EQ(im.h, H);
    const auto [kinds, total] = im.stage_pixels(kTimelineX0, kTimelineY0, W, kTimelineY1);
    EXPECT_GE(kinds, 3u) << "stage colours drawn on the timeline";
    EXPECT_GE(total, 2000u);
    // No error banner on a good trace.
    EXPECT_EQ(im.count(kErrorBgColor, 0, 0, W, H), 0u);
}

TEST(GuiScreenshot, ZoomedOnOneFlowShowsItsStages) {
    const fs::path png = kOut / "zoom.png";
    ASSERT_EQ(run(shot(demo_trace(), png, "--select-flow 1 --zoom 1ms:1.4ms")), 0);
    const Image im = load_png(png);
    ASSERT_TRUE(im.px);
    // Deep zoom: wide packets, so many stage pixels and several stages.
    const auto [kinds, total] = im.stage_pixels(kTimelineX0, kTimelineY0, W, kTimelineY1);
    EXPECT_GE(kinds, 4u);
    EXPECT_GE(total, 3000u);
}

TEST(GuiScreenshot, ReplayHidesPacketsAfterThePlayhead) {
    const fs::path png = kOut / "replay.png";
    ASSERT_EQ(run(shot(demo_trace(), png, "--zoom 0:2ms --replay-at 1ms")), 0);
    const Image im = load_png(png);
    ASSERT_TRUE(im.px);
    const int mid = kTimelineX0 + (W - kTimelineX0) / 2;
    const auto before = im.stage_pixels(kTimelineX0, kTimelineY0, mid - 20, kTimelineY1);
    const auto after = im.stage_pixels(mid + 40, kTimelineY0, W, kTimelineY1);
    EXPECT_GE(before.second, 500u);
    EXPECT_EQ(after.second, 0u) << "nothing after the playhead";
    EXPECT_GE(im.count(kPlayheadColor, kTimelineX0, kTimelineY0 - 40, W, kTimelineY1), 100u);
}

TEST(GuiScreenshot, TruncatedTraceShowsTheErrorAndWhatWasValid) {
    const fs::path trace = kOut / "truncated.json";
    ASSERT_EQ(run(kDemo + " " + trace.string() + " --packets 2000 --truncate 600000"), 0);
    const fs::path png = kOut / "truncated.png";
    EXPECT_EQ(run(shot(trace, png)), 2) << "exit code 2: PNG written, trace had an error";
    const Image im = load_png(png);
    ASSERT_TRUE(im.px);
    EXPECT_GE(im.count(kErrorBgColor, kTimelineX0, 80, W, kTimelineY1), 5000u) << "error banner";
    EXPECT_GE(im.stage_pixels(kTimelineX0, kTimelineY0, W, kTimelineY1).second, 1000u) << "valid packets still drawn";
}

TEST(GuiScreenshot, GarbageFileShowsAnErrorInsteadOfCrashing) {
    const fs::path trace = kOut / "garbage.json";
    {
        std::ofstream f(trace, std::ios::binary);
        f << "\x89PNG this is not a trace at all\n{{{{\n";
    }
    const fs::path png = kOut / "garbage.png";
    EXPECT_EQ(run(shot(trace, png)), 2);
    const Image im = load_png(png);
    ASSERT_TRUE(im.px);
    EXPECT_GE(im.count(kErrorBgColor, kTimelineX0, 80, W, kTimelineY1), 5000u);
    EXPECT_EQ(im.stage_pixels(kTimelineX0, kTimelineY0 + 40, W, kTimelineY1).second, 0u);
}

TEST(GuiScreenshot, MissingFileShowsAnError) {
    const fs::path png = kOut / "missing.png";
    EXPECT_EQ(run(shot(kOut / "does-not-exist.json", png)), 2);
    const Image im = load_png(png);
    ASSERT_TRUE(im.px);
    EXPECT_GE(im.count(kErrorBgColor, kTimelineX0, 80, W, kTimelineY1), 5000u);
}

TEST(GuiScreenshot, BadArgumentsFailWithoutAPng) {
    const fs::path png = kOut / "bad.png";
    EXPECT_EQ(run(shot(demo_trace(), png, "--zoom 5ms:1ms")), 1);
    EXPECT_FALSE(fs::exists(png));
    EXPECT_EQ(run(kApp + " " + demo_trace().string() + " --screenshot /nonexistent-dir/x.png"), 1);
}

// Trace format 1.3 (the hand-made examples/hops-trace.json): a pod's packet
// over veth, bridge and uplink has a strip per device under its bar; the
// host's own one-device packet has none.
TEST(GuiScreenshot, PacketsAcrossDevicesShowTheirHops) {
    const fs::path trace = fs::path(TXRAY_SOURCE_DIR) / "examples" / "hops-trace.json";
    const fs::path png = kOut / "hops.png";
    ASSERT_EQ(run(shot(trace, png, "--select-flow 1 --zoom 0.99ms:1.04ms")), 0);
    const Image im = load_png(png);
    ASSERT_TRUE(im.px);
    // The bridge hop (1.6 us of a 50 us view, ~3 px high) in the odd-hop shade,
    // the veth and uplink hops in the even one.
    EXPECT_GE(im.count(hop_color(1), kTimelineX0, kTimelineY0, W, kTimelineY1), 30u);
    EXPECT_GE(im.count(hop_color(0), kTimelineX0, kTimelineY0, W, kTimelineY1), 300u);
    const fs::path host = kOut / "hops-host.png";
    ASSERT_EQ(run(shot(trace, host, "--select-flow 3 --zoom 2.99ms:3.02ms")), 0);
    const Image one = load_png(host);
    ASSERT_TRUE(one.px);
    EXPECT_GE(one.stage_pixels(kTimelineX0, kTimelineY0, W, kTimelineY1).second, 1000u);  // it is drawn
    EXPECT_EQ(one.count(hop_color(1), kTimelineX0, kTimelineY0, W, kTimelineY1), 0u);
}
