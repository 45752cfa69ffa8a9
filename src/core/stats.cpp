#include "stats.h"

#include <algorithm>
#include <cmath>

namespace txray {

std::uint64_t Samples::percentile(double q) const {
    if (v_.empty()) return 0;
    if (!sorted_) {
        std::sort(v_.begin(), v_.end());
        sorted_ = true;
    }
    q = std::clamp(q, 0.0, 1.0);
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v_.size())));
    return v_[rank == 0 ? 0 : rank - 1];
}

void add_stage_deltas(const Packet& p, std::vector<Samples>& per_stage) {
    if (per_stage.size() < kStageCount) per_stage.resize(kStageCount);
    for (std::size_t i = 1; i < p.stages.size(); ++i)
        per_stage[index(p.stages[i].stage)].add(p.stages[i].ts_ns - p.stages[i - 1].ts_ns);
}

std::uint64_t end_to_end_ns(const Packet& p) {
    if (p.stages.empty()) return 0;
    const StageMark* start = p.find(Stage::sendmsg);
    std::uint64_t t0 = start ? start->ts_ns : p.first_ts();
    std::uint64_t t1 = 0;
    // Across devices (format 1.3) the end is on the last hop a stage reached.
    std::uint8_t last_hop = 0;
    for (const StageMark& m : p.stages) last_hop = std::max(last_hop, m.hop);
    for (Stage s : {Stage::xmit_done, Stage::driver_xmit, Stage::drop, Stage::free}) {
        for (const StageMark& m : p.stages)
            if (m.stage == s && m.hop == last_hop) { t1 = m.ts_ns; break; }
        if (t1) break;
    }
    if (!t1) t1 = p.last_ts();
    return t1 > t0 ? t1 - t0 : 0;
}

}  // namespace txray
