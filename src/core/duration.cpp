#include "duration.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace txray {

std::optional<double> parse_duration(std::string_view s, DurationUnit bare) {
    const auto trim = [](std::string_view& t) {
        while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
        while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    };
    trim(s);
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr == s.data() || !std::isfinite(v) || v < 0) return std::nullopt;
    std::string_view unit(ptr, static_cast<std::size_t>(s.data() + s.size() - ptr));
    trim(unit);
    DurationUnit u = bare;
    if (unit == "s") u = DurationUnit::s;
    else if (unit == "ms") u = DurationUnit::ms;
    else if (unit == "us" || unit == "µs") u = DurationUnit::us;
    else if (unit == "ns") u = DurationUnit::ns;
    else if (!unit.empty()) return std::nullopt;
    return v * static_cast<double>(static_cast<std::uint64_t>(u));
}

std::optional<std::uint64_t> parse_duration_ns(std::string_view s) {
    const auto v = parse_duration(s, DurationUnit::s);
    if (!v) return std::nullopt;
    const double ns = std::round(*v);
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
