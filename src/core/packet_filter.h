// Which packets a report or export looks at: --flow, --pid, --iface,
// --since/--until.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "packet.h"

namespace txray {

// One side of a flow: any of proto, address, port may be left out.
struct Endpoint {
    std::optional<std::uint8_t> family;  // with addr
    std::optional<std::array<std::uint8_t, 16>> addr;
    std::optional<std::uint16_t> port;
};

// "--flow" grammar: [PROTO] [ENDPOINT] or [PROTO] ENDPOINT -> ENDPOINT, where
// ENDPOINT is ADDR, ADDR:PORT, [V6ADDR]:PORT or :PORT. With one endpoint a
// packet matches if its source or its destination matches; with "A -> B" the
// source must match A and the destination B. Examples: "udp", ":53",
// "10.0.0.2", "tcp 10.0.0.1:40000 -> 10.0.0.2:5201", "[fd00::2]:53".
struct FlowMatch {
    std::optional<std::uint8_t> proto;
    std::optional<Endpoint> src, dst;  // dst only with "->"
    bool directed = false;
    bool matches(const Flow& f) const;
};
// nullopt and err set on a malformed spec.
std::optional<FlowMatch> parse_flow_match(const std::string& spec, std::string& err);

struct PacketFilter {
    // Matches the packet's first flow or any hop's (after NAT, the outer
    // flow of an encapsulation).
    std::optional<FlowMatch> flow;
    std::vector<std::uint32_t> pids;  // empty: any
    std::vector<std::string> ifaces;  // empty: any; else any hop through one of these devices
    std::optional<std::uint64_t> since_ns, until_ns;  // relative to the time origin
    // A packet is in the window if its first stage is in [origin+since, origin+until).
    bool matches(const Packet& p, std::uint64_t origin_ns) const;
    bool flow_matches(const Packet& p) const;
    bool iface_matches(const Packet& p) const;
    bool has_time_window() const { return since_ns || until_ns; }
};

}  // namespace txray
