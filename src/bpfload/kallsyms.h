// Kernel text addresses -> "function+0xoffset", from /proc/kallsyms (read
// once, on the first lookup: most recordings never need it).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace txray {

class KernelSymbols {
public:
    explicit KernelSymbols(std::string path = "/proc/kallsyms") : path_(std::move(path)) {}
    // "" when the address is 0, outside the kernel's text, or the table is
    // unreadable (or shows zeros: kptr_restrict without privileges).
    std::string name(std::uint64_t addr);

private:
    void load();
    std::string path_;
    bool loaded_ = false;
    std::vector<std::pair<std::uint64_t, std::string>> text_;  // sorted by address
};

}  // namespace txray
