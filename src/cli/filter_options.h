// --flow/--pid/--since/--until, shared by `txray report` and `txray export`.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/packet_filter.h"

namespace txray {

struct FilterOptions {
    std::string flow;
    std::vector<std::uint32_t> pids;
    std::string since, until;
};

void add_filter_options(CLI::App& cmd, FilterOptions& opt);
// false with err set ("--since: bad duration ...") when an option is malformed.
bool make_packet_filter(const FilterOptions& opt, PacketFilter& filter, std::string& err);

}  // namespace txray
