// Latency statistics over packets: exact percentiles per stage and end to end.
#pragma once
#include <cstdint>
#include <vector>

#include "packet.h"

namespace txray {

// Collects samples (ns) and answers percentiles exactly (sorts lazily).
class Samples {
public:
    void add(std::uint64_t v) { v_.push_back(v), sorted_ = false; }
    std::size_t count() const { return v_.size(); }
    bool empty() const { return v_.empty(); }
    // q in [0, 1]; nearest-rank. 0 when empty.
    std::uint64_t percentile(double q) const;
    std::uint64_t min() const { return percentile(0.0); }
    std::uint64_t max() const { return percentile(1.0); }
    void clear() { v_.clear(), sorted_ = true; }

private:
    mutable std::vector<std::uint64_t> v_;
    mutable bool sorted_ = true;
};

// The time each stage took to arrive after the previous stage in the packet's
// timeline (stages in time order): out[stage] gets one sample per packet that has it.
void add_stage_deltas(const Packet& p, std::vector<Samples>& per_stage);
// Syscall entry (or first stage) to the driver's return (or last device stage)
// on the last device it crossed (trace format 1.3); 0 if unknown.
std::uint64_t end_to_end_ns(const Packet& p);

}  // namespace txray
