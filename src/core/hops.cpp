#include "hops.h"

#include <algorithm>
#include <limits>

namespace txray {

std::string hop_path(const Packet& p, std::string_view sep) {
    if (p.hops.empty()) return p.ifname;
    std::string out;
    for (std::size_t i = 0; i < p.hops.size(); ++i) {
        if (i) out += sep;
        out += p.hops[i].ifname;
    }
    return out;
}

const Flow& hop_flow(const Packet& p, std::size_t i) {
    if (i < p.hops.size() && p.hops[i].flow) return *p.hops[i].flow;
    return p.flow;
}

std::vector<HopSpan> hop_spans(const Packet& p) {
    constexpr auto kNone = std::numeric_limits<std::uint64_t>::max();
    const std::size_t n = std::max<std::size_t>(p.hops.size(), 1);
    std::vector<std::uint64_t> first(n, kNone), last(n, 0);
    for (const StageMark& m : p.stages) {
        const std::size_t h = std::min<std::size_t>(m.hop, n - 1);
        first[h] = std::min(first[h], m.ts_ns);
        last[h] = std::max(last[h], m.ts_ns);
    }
    std::vector<HopSpan> spans;
    for (std::size_t h = 0; h < n; ++h) {
        if (first[h] == kNone) continue;
        if (!spans.empty()) spans.back().end_ns = std::max(spans.back().start_ns, first[h]);
        spans.push_back({h, first[h], last[h]});
    }
    return spans;
}

}  // namespace txray
