// Trace -> pcapng: the captured headers of each packet (LINKTYPE_RAW, one
// interface per device), stamped with wall-clock time at the driver, with
// txray's stage timeline in the packet comment.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "core/packet.h"
#include "core/trace_format.h"

namespace txray {

struct PcapngStats {
    std::size_t written = 0;
    std::size_t without_headers = 0;  // packets recorded without --headers: not written
    std::size_t interfaces = 0;
    bool io_error = false;
};

// "txray id=42 send=7 pid=100 tid=101 comm=iperf dev=eth0 q=0 outcome=sent e2e=5.82us |
//  sendmsg | route +610ns | ip_output +695ns | ..."
std::string pcapng_comment(const Packet& p);
// The time the packet is stamped with: driver_xmit, else drop, else its last stage.
std::uint64_t wire_ts(const Packet& p);
// The packet's length on the wire from its IP header (v4 total length, v6
// payload length + 40); falls back to max(captured, p.len).
std::uint32_t original_length(const Packet& p);

PcapngStats write_pcapng(const TraceHeader& h, const std::vector<Packet>& packets, std::FILE* out);

}  // namespace txray
