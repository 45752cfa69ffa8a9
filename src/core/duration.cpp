#include "duration.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace txray {

std::optional<std::uint64_t> parse_duration_ns(std::string_view s) {
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr == s.data() || !std::isfinite(v) || v < 0) return std::nullopt;
    std::string_view unit(ptr, static_cast<std::size_t>(s.data() + s.size() - ptr));
    double scale = 0;
    if (unit.empty() || unit == "s") scale = 1e9;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "us") scale = 1e3;
    else if (unit == "ns") scale = 1;
    else return std::nullopt;
    double ns = std::round(v * scale);
    if (ns > 1.8e19) return std::nullopt;
    return static_cast<std::uint64_t>(ns);
}

std::string format_duration_ns(std::uint64_t ns) {
    if (ns < 1000) return fmt::format("{}ns", ns);
    auto three = [](double v, const char* unit) {
        if (v < 10) return fmt::format("{:.2f}{}", v, unit);
        if (v < 100) return fmt::format("{:.1f}{}", v, unit);
        return fmt::format("{:.0f}{}", v, unit);
    };
    const double d = static_cast<double>(ns);
    if (ns < 999'500) return three(d / 1e3, "us");
    if (ns < 999'500'000) return three(d / 1e6, "ms");
    return three(d / 1e9, "s");
}

}  // namespace txray
