// Nanosecond integers as exact decimal microseconds, for trace viewers that take µs.
#pragma once
#include <cstdint>
#include <string>

namespace txray {

// 1234567 -> "1234.567", 5 -> "0.005", -1500 -> "-1.500". Exact: no floating point.
void append_exact_us(std::string& out, std::int64_t ns);
std::string exact_us(std::int64_t ns);

}  // namespace txray
