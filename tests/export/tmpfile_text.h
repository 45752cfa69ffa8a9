// Test helper: the whole text an exporter wrote to a std::tmpfile(), which it closes.
#pragma once
#include <cstdio>
#include <string>

namespace txray::test {

inline std::string read_and_close(std::FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string text;
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
    return text;
}

}  // namespace txray::test
