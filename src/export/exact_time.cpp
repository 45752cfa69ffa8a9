#include "exact_time.h"

#include <fmt/format.h>

namespace txray {

void append_exact_us(std::string& out, std::int64_t ns) {
    const bool neg = ns < 0;
    // Magnitude as unsigned: also right for INT64_MIN.
    const std::uint64_t m = neg ? ~static_cast<std::uint64_t>(ns) + 1 : static_cast<std::uint64_t>(ns);
    fmt::format_to(std::back_inserter(out), "{}{}.{:03}", neg ? "-" : "", m / 1000, m % 1000);
}

std::string exact_us(std::int64_t ns) {
    std::string s;
    append_exact_us(s, ns);
    return s;
}

}  // namespace txray
