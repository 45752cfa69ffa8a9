#include "palette.h"

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
        static constexpr char kDigits[] = "0123456789abcdef";
        for (const StageInfo& s : kStageTable) {
            const std::uint32_t c = s.rgb;
            Entry& e = a[index(s.stage)];
            e.color = rgba((c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff);
            e.hex = "#";
            for (int shift = 20; shift >= 0; shift -= 4) e.hex += kDigits[(c >> shift) & 0xf];
        }
        return a;
    }();
    return p;
}

}  // namespace

std::uint32_t stage_color(Stage s) { return palette()[index(s)].color; }
std::string_view stage_color_hex(Stage s) { return palette()[index(s)].hex; }

}  // namespace txray::ui
