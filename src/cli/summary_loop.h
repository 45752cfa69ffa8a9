// `txray live --summary`: per-stage latency from in-kernel histograms, no
// per-packet records (the cheapest way to watch a busy host).
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "bpfload/session.h"
#include "trace_options.h"

namespace txray {

int run_summary(const TraceOptions& o);

}  // namespace txray
