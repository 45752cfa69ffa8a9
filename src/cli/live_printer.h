// Formats `txray live` output: one line per packet, a summary each second.
#pragma once
#include <cstdint>
#include <string>

#include "core/duration.h"
#include "core/packet.h"
#include "collector/trace_loop.h"

namespace txray {

struct LiveStyle {
    bool color = false;
    std::int64_t wall_offset_ns = 0;
};

// "12:00:01.123456 comm[pid/tid] udp 10.0.0.1:5000 > ... | sendmsg → route +1.2 → ... | 12.3µs sent"
std::string format_packet_line(const Packet& p, const LiveStyle& st);
// "12 at xmit_done, 3 send records": lost records by the stage that emitted them.
std::string lost_breakdown(const TickStats& t);
std::string format_tick_line(const TickStats& t, const LiveStyle& st);

}  // namespace txray
