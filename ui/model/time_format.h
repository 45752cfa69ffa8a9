// Durations for people: "850 ns", "12.5 µs", "3.20 ms", "1.500 s"; parsing
// "2.5ms" back; and the tick spacing of the time ruler.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace txray::ui {

// Picks the unit from the magnitude; `digits` significant decimals after the point.
std::string format_duration(double ns, int decimals = -1);
// Like format_duration but every value uses the unit chosen for `step_ns`
// (so ruler labels line up): format_tick(1500000, 500000) == "1.5 ms".
std::string format_tick(double ns, double step_ns);
// Parsing: core/duration.h parse_duration(s, DurationUnit::ns) (plain numbers are ns here).

struct RulerTicks {
    double step_ns = 0;          // major tick spacing
    int minor_per_major = 5;
    std::vector<double> major;   // absolute times of the visible major ticks
};
// Major ticks at 1/2/5 x 10^k ns so that they are at least `min_px` apart.
RulerTicks ruler_ticks(double start_ns, double ns_per_px, float width_px, float min_px = 90.f);

}  // namespace txray::ui
