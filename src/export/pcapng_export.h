// Trace -> pcapng: the captured headers of each packet (LINKTYPE_RAW, one
// interface per device), stamped with wall-clock time at the driver, with
// txray's stage timeline in the packet comment. A packet that crossed devices
// (trace format 1.3) is one frame per hop, on that device's interface, with
// the headers as it left there.
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
    // Hops after the first whose headers changed (NAT, encapsulation) and were
    // not captured there: no frame (the first hop's bytes would be wrong).
    std::size_t hops_without_headers = 0;
    std::size_t interfaces = 0;
    bool io_error = false;
};

// "txray id=42 send=7 pid=100 tid=101 comm=iperf dev=eth0 q=0 outcome=sent e2e=5.82us |
//  sendmsg | route +610ns | ip_output +695ns | ..."; the frame of hop `hop`
// of a multi-device packet names that device and "hop=2/3 path=a>b>c".
std::string pcapng_comment(const Packet& p, std::size_t hop = 0);
// The time the packet is stamped with on hop `hop`: its driver_xmit there,
// else its drop there, else the hop's last stage (else the packet's last).
std::uint64_t wire_ts(const Packet& p, std::size_t hop = 0);
// The packet's length on the wire from its IP header (v4 total length, v6
// payload length + 40); falls back to max(captured, len).
std::uint32_t original_length(const std::vector<std::uint8_t>& headers, std::uint32_t len);
// The bytes of hop `hop`'s frame: the hop's own capture; else, where the
// headers did not change (no flow of its own), the packet's; else none.
const std::vector<std::uint8_t>* hop_headers(const Packet& p, std::size_t hop);

PcapngStats write_pcapng(const TraceHeader& h, const std::vector<Packet>& packets, std::FILE* out);

}  // namespace txray
