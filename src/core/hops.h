// What every consumer asks of a packet's hops (trace format 1.3): the path's
// text, each hop's flow, and the time spent on each hop. report, export,
// live and the GUI use these, so "time on a hop" means one thing everywhere.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "packet.h"

namespace txray {

// "txbp0 → txbbr → txbu0" (sep between the devices); the top-level ifname
// when the packet has no hops, "" when it reached no device.
std::string hop_path(const Packet& p, std::string_view sep = " → ");

// The flow as the packet left hop i: the hop's own when NAT or encapsulation
// changed it, else the packet's first flow.
const Flow& hop_flow(const Packet& p, std::size_t i);

// The time on one hop: from its first stage to the next hop's first stage
// (the last hop: to its own last stage). Hops without a stage have none.
struct HopSpan {
    std::size_t hop = 0;  // index into Packet::hops
    std::uint64_t start_ns = 0, end_ns = 0;
    std::uint64_t duration_ns() const { return end_ns - start_ns; }
};
// In hop order. Empty for a packet without stages; one span covering the
// device's stages for a one-hop packet (hop 0, also when the packet reached
// no device and has no hops: check hop < hops.size() before indexing).
std::vector<HopSpan> hop_spans(const Packet& p);

}  // namespace txray
