// The fixed stage palette (documented in docs/ui.md). Colours are packed like
// ImGui's IM_COL32 (0xAABBGGRR) so the app can hand them to ImDrawList as is,
// but nothing here depends on ImGui.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/stage.h"

namespace txray::ui {

constexpr std::uint32_t rgba(std::uint8_t r, std::uint8_t g, std::uint8_t b, std::uint8_t a = 255) {
    return (std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{g} << 8) | r;
}
constexpr std::uint8_t red_of(std::uint32_t c) { return c & 0xff; }
constexpr std::uint8_t green_of(std::uint32_t c) { return (c >> 8) & 0xff; }
constexpr std::uint8_t blue_of(std::uint32_t c) { return (c >> 16) & 0xff; }

// Colour of the time a packet spends after reaching `s` until its next stage.
std::uint32_t stage_color(Stage s);
// The strip under a packet's bar on its hop-th device: alternating shades,
// so that adjacent hops stay apart.
constexpr std::uint32_t hop_color(std::size_t hop) { return hop % 2 ? rgba(250, 250, 250) : rgba(40, 40, 40); }
// "#rrggbb" for documentation and tests.
std::string_view stage_color_hex(Stage s);

inline constexpr std::uint32_t kMergedColor = rgba(120, 128, 150);     // many sub-pixel packets
inline constexpr std::uint32_t kDropColor = rgba(255, 40, 40);         // drop marker
inline constexpr std::uint32_t kHighlightColor = rgba(255, 255, 255);  // histogram-bin highlight
inline constexpr std::uint32_t kSelectedColor = rgba(255, 220, 0);     // clicked packet
inline constexpr std::uint32_t kPlayheadColor = rgba(255, 90, 200);
inline constexpr std::uint32_t kRangeColor = rgba(80, 160, 255, 60);   // Shift-drag range
inline constexpr std::uint32_t kErrorBgColor = rgba(110, 20, 20);      // error banner background

}  // namespace txray::ui
