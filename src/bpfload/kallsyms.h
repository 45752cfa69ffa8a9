// Kernel text addresses -> "function+0xoffset", from /proc/kallsyms (read
// once: on the first lookup, or in the background after preload()).
#pragma once
#include <cstdint>
#include <future>
#include <string>
#include <utility>
#include <vector>

namespace txray {

class KernelSymbols {
public:
    explicit KernelSymbols(std::string path = "/proc/kallsyms") : path_(std::move(path)) {}
    // Waits for a preload still reading: its thread fills text_, which the
    // members' own destruction would free under it.
    ~KernelSymbols();
    KernelSymbols(const KernelSymbols&) = delete;
    KernelSymbols& operator=(const KernelSymbols&) = delete;
    // "" when the address is 0, outside the kernel's text, or the table is
    // unreadable (or shows zeros: kptr_restrict without privileges).
    std::string name(std::uint64_t addr);
    // Starts reading the table on another thread, so that the first lookup
    // (a drop, inside the collector's loop) does not stall on ~10 MB of text.
    void preload();

private:
    void load();
    std::string path_;
    bool loaded_ = false;
    std::future<void> loading_;
    std::vector<std::pair<std::uint64_t, std::string>> text_;  // sorted by address
};

}  // namespace txray
