// Durations as people type and read them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace txray {

// The unit of a bare number: each option says which (below).
enum class DurationUnit : std::uint64_t { ns = 1, us = 1000, ms = 1000000, s = 1000000000 };

// A duration as people type it: a number, then a unit (ns, us or µs, ms, s),
// spaces allowed around and between them: "1.5s", "200 ms", "3µs". A bare
// number is in `bare`, the unit the option documents: seconds for the CLI's
// options (report/export --since/--until), nanoseconds for txray-ui's
// --zoom/--replay-at. Returns ns; nullopt if malformed, negative or not finite.
std::optional<double> parse_duration(std::string_view s, DurationUnit bare);
// The CLI's rule (a bare number is seconds), in whole ns.
std::optional<std::uint64_t> parse_duration_ns(std::string_view s);
// 812 -> "812ns", 12345 -> "12.3us", 4560000 -> "4.56ms", 1.2e9 -> "1.20s" (3 significant digits).
std::string format_duration_ns(std::uint64_t ns);

}  // namespace txray
