#include "filter_options.h"

#include <fmt/format.h>

#include "core/duration.h"

namespace txray {

void add_filter_options(CLI::App& cmd, FilterOptions& opt) {
    cmd.add_option("--flow", opt.flow,
                   "Only this flow: [PROTO] [ENDPOINT] or [PROTO] SRC -> DST; ENDPOINT is ADDR, ADDR:PORT, "
                   "[V6ADDR]:PORT or :PORT (e.g. \"udp :53\")");
    cmd.add_option("--pid", opt.pids, "Only packets sent by these process ids");
    cmd.add_option("--iface", opt.ifaces, "Only packets that left through this device on any of their hops");
    cmd.add_option("--since", opt.since, "Only packets from this time after the start (1.5s, 200ms, 300us)");
    cmd.add_option("--until", opt.until, "Only packets before this time after the start");
}

bool make_packet_filter(const FilterOptions& opt, PacketFilter& filter, std::string& err) {
    if (!opt.flow.empty()) {
        filter.flow = parse_flow_match(opt.flow, err);
        if (!filter.flow) return err = "--flow: " + err, false;
    }
    filter.pids = opt.pids;
    filter.ifaces = opt.ifaces;
    for (auto [text, slot, name] : {std::tuple{&opt.since, &filter.since_ns, "--since"},
                                    std::tuple{&opt.until, &filter.until_ns, "--until"}}) {
        if (text->empty()) continue;
        *slot = parse_duration_ns(*text);
        if (!*slot) return err = fmt::format("{}: bad duration \"{}\" (try 1.5s, 200ms, 300us)", name, *text), false;
    }
    if (filter.since_ns && filter.until_ns && *filter.until_ns <= *filter.since_ns)
        return err = "--until must be after --since", false;
    return true;
}

std::optional<PacketFilter> packet_filter_for(const char* cmd, const FilterOptions& opt, std::FILE* err) {
    PacketFilter filter;
    std::string why;
    if (make_packet_filter(opt, filter, why)) return filter;
    fmt::print(err, "txray {}: {}\n", cmd, why);
    return std::nullopt;
}

}  // namespace txray
