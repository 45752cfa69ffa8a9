// Per-stage latency statistics for a selection: some flows, optionally only
// packets whose first stage falls in a time range.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "histogram.h"
#include "core/stage.h"
#include "timeline_data.h"

namespace txray::ui {

// Metric m < kStageCount: the time stage m took to arrive after the packet's
// previous stage (as txray::add_stage_deltas); m == kEndToEnd: end_to_end_ns.
inline constexpr std::size_t kEndToEnd = kStageCount;
inline constexpr std::size_t kMetricCount = kStageCount + 1;

struct MetricSummary {
    std::size_t count = 0;
    std::uint64_t p50 = 0, p90 = 0, p99 = 0, max = 0;
};

struct SelectionStats {
    std::size_t packets = 0, drops = 0;
    std::vector<std::vector<std::uint64_t>> values;   // [metric] samples
    std::vector<std::vector<std::uint32_t>> owners;   // [metric] packet index of each sample
    std::vector<MetricSummary> summary;               // [metric]
};

SelectionStats compute_selection_stats(const TimelineData& d, std::span<const std::uint32_t> flows,
                                       std::optional<std::pair<double, double>> range = std::nullopt);

// Packets whose sample of `metric` falls in histogram bin `bin`.
std::vector<std::uint32_t> packets_in_bin(const SelectionStats& s, std::size_t metric, const Histogram& h,
                                          std::size_t bin);

}  // namespace txray::ui
