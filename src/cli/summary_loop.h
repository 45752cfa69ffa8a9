// `txray live --summary`: per-stage latency from in-kernel histograms, no
// per-packet records (the cheapest way to watch a busy host).
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "session.h"
#include "trace_options.h"

namespace txray {

// One row of log2 buckets -> approximate percentile (upper bound of the bucket, ns).
std::uint64_t log2_hist_percentile(const std::uint64_t* buckets, std::size_t n, double q);
int run_summary(const TraceOptions& o);

}  // namespace txray
