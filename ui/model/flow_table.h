// The flows panel's rows: filtered and sorted views of TimelineData::flows.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "timeline_data.h"

namespace txray::ui {

enum class FlowColumn : int { id, proto, source, destination, process, iface, packets, bytes, p50, p99, drops, count };
std::string_view column_name(FlowColumn c);

struct FlowQuery {
    std::string filter;        // space-separated terms, all must match (case-insensitive substring)
    bool only_drops = false;
    FlowColumn sort = FlowColumn::id;
    bool ascending = true;
};

// Indices into d.flows, filtered and sorted (stable; ties by id).
std::vector<std::uint32_t> flow_rows(const TimelineData& d, const FlowQuery& q);
// The text the filter matches against, and what the table shows.
std::string flow_cell(const FlowTrack& f, FlowColumn c);

}  // namespace txray::ui
