#include "time_format.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace txray::ui {
namespace {

struct Unit {
    double scale;
    const char* name;
};

Unit unit_for(double ns) {
    const double a = std::fabs(ns);
    if (a < 1e3) return {1, "ns"};
    if (a < 1e6) return {1e3, "µs"};
    if (a < 1e9) return {1e6, "ms"};
    return {1e9, "s"};
}

std::string trim_zeros(std::string s) {
    if (s.find('.') == std::string::npos) return s;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

}  // namespace

std::string format_duration(double ns, int decimals) {
    const Unit u = unit_for(ns);
    const double v = ns / u.scale;
    if (decimals < 0) {
        const double a = std::fabs(v);
        decimals = u.scale == 1 ? 0 : a < 10 ? 2 : a < 100 ? 1 : 0;
    }
    return fmt::format("{:.{}f} {}", v, decimals, u.name);
}

std::string format_tick(double ns, double step_ns) {
    if (std::fabs(ns) < step_ns * 1e-6) ns = 0;  // no "-0"
    const Unit u = unit_for(step_ns);
    const double step = step_ns / u.scale;
    int decimals = 0;
    while (decimals < 6 && std::fabs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6)
        ++decimals;
    // Ticks far from zero need a coarser unit to stay short.
    Unit show = u;
    if (std::fabs(ns) >= 1000 * u.scale && u.scale < 1e9) {
        show = unit_for(ns);
        const double rel = show.scale / u.scale;  // 1e3 or 1e6
        decimals += static_cast<int>(std::lround(std::log10(rel)));
    }
    return trim_zeros(fmt::format("{:.{}f}", ns / show.scale, std::min(decimals, 9))) + " " + show.name;
}

RulerTicks ruler_ticks(double start_ns, double ns_per_px, float width_px, float min_px) {
    RulerTicks r;
    const double min_step = ns_per_px * min_px;
    double step = 1;
    for (double p = 1; step < min_step && p < 1e18; p *= 10) {
        for (double m : {1.0, 2.0, 5.0}) {
            step = m * p;
            if (step >= min_step) break;
        }
    }
    r.step_ns = step;
    r.minor_per_major = std::lround(step / std::pow(10.0, std::floor(std::log10(step)))) == 2 ? 4 : 5;
    const double end = start_ns + ns_per_px * width_px;
    for (double t = std::floor(start_ns / step) * step; t <= end; t += step)
        if (t >= start_ns) r.major.push_back(t);
    return r;
}

}  // namespace txray::ui
