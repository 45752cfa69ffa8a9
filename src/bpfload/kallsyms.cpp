#include "kallsyms.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace txray {

void KernelSymbols::load() {
    loaded_ = true;
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
        // "ffffffff81234560 T neigh_invalidate" (a module's symbols add "\t[mod]")
        std::istringstream f(line);
        std::string addr, type, sym;
        if (!(f >> addr >> type >> sym) || type.size() != 1) continue;
        if (type[0] != 't' && type[0] != 'T') continue;
        std::uint64_t a = std::strtoull(addr.c_str(), nullptr, 16);
        if (a) text_.emplace_back(a, std::move(sym));
    }
    std::sort(text_.begin(), text_.end());
}

KernelSymbols::~KernelSymbols() {
    if (loading_.valid()) loading_.wait();
}

void KernelSymbols::preload() {
    if (loaded_ || loading_.valid()) return;
    loading_ = std::async(std::launch::async, [this] { load(); });
}

std::string KernelSymbols::name(std::uint64_t addr) {
    if (!addr) return {};
    if (loading_.valid()) loading_.get();  // done by now, unless a drop came in the first moments
    if (!loaded_) load();
    auto it = std::upper_bound(text_.begin(), text_.end(), addr,
                               [](std::uint64_t a, const auto& e) { return a < e.first; });
    if (it == text_.begin()) return {};
    --it;
    // Beyond the last symbol by more than any function's size: not kernel text.
    if (addr - it->first > (1u << 20)) return {};
    return fmt::format("{}+{:#x}", it->second, addr - it->first);
}

}  // namespace txray
