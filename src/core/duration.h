// Durations as people type and read them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace txray {

// "1.5s", "200ms", "300us", "250ns", "2" (seconds) -> ns. nullopt if malformed or negative.
std::optional<std::uint64_t> parse_duration_ns(std::string_view s);
// 812 -> "812ns", 12345 -> "12.3us", 4560000 -> "4.56ms", 1.2e9 -> "1.20s" (3 significant digits).
std::string format_duration_ns(std::uint64_t ns);

}  // namespace txray
