// --flow/--pid/--iface/--since/--until, shared by `txray report` and `txray export`.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/packet_filter.h"

namespace txray {

struct FilterOptions {
    std::string flow;
    std::vector<std::uint32_t> pids;
    std::vector<std::string> ifaces;
    std::string since, until;
};

void add_filter_options(CLI::App& cmd, FilterOptions& opt);
// false with err set ("--since: bad duration ...") when an option is malformed.
bool make_packet_filter(const FilterOptions& opt, PacketFilter& filter, std::string& err);
// The same for command `cmd`: on a malformed option prints "txray <cmd>: <why>"
// to err and returns nothing (the command then exits 1).
std::optional<PacketFilter> packet_filter_for(const char* cmd, const FilterOptions& opt, std::FILE* err);

}  // namespace txray
