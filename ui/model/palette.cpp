#include "palette.h"

#include <fmt/format.h>

#include <array>
#include <string>

namespace txray::ui {
namespace {

// The colours are the stage table's (bpf/stage_table.h), in kernel order.
// Socket layer in blues, IP in greens, neighbour in teal, device/qdisc in
// oranges, driver in purples, completion in greys, drop red.
struct Entry {
    std::uint32_t color;
    std::string hex;
};

const std::array<Entry, kStageCount>& palette() {
    static const std::array<Entry, kStageCount> p = [] {
        std::array<Entry, kStageCount> a{};
        for (const StageInfo& s : kStageTable) {
            const std::uint32_t c = s.rgb;
            Entry& e = a[index(s.stage)];
            e.color = rgba((c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff);
            e.hex = fmt::format("#{:06x}", c);
        }
        return a;
    }();
    return p;
}

}  // namespace

std::uint32_t stage_color(Stage s) { return palette()[index(s)].color; }
std::string_view stage_color_hex(Stage s) { return palette()[index(s)].hex; }

}  // namespace txray::ui
