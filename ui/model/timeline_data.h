// A loaded trace, indexed for drawing: packets grouped into flows, each flow
// packed into lanes of non-overlapping spans sorted by time, with prefix sums
// so that any time range can be counted in O(log n).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/packet.h"
#include "core/trace_reader.h"

namespace txray::ui {

// One packet's extent on the timeline: first stage to last stage.
struct Span {
    std::uint64_t start, end;
    std::uint32_t packet;  // index into TimelineData::packets
};

struct Lane {
    std::vector<Span> spans;            // sorted by start; also by end (no overlap)
    std::vector<std::uint32_t> drops;   // drops[i]: dropped packets among spans[0, i)
    std::vector<std::uint32_t> marked;  // same for highlighted packets (see TimelineData::set_highlight)
};

struct FlowTrack {
    std::uint32_t id = 0;  // 1-based, in order of first packet ("#" column, --select-flow)
    Flow flow;
    std::string comm;      // process of the first packet ("a, b" if several)
    std::uint32_t pid = 0;
    // Devices of the first packet ("eth0, veth0" if several); a packet that
    // crossed devices as its path ("txbp0 > txbbr > txbu0"). Flows are the
    // packets' first (original) flow: NAT or encapsulation on a later hop
    // does not split them.
    std::string ifname;
    std::uint64_t packets = 0, bytes = 0, drops = 0;
    std::uint64_t p50_ns = 0, p99_ns = 0;  // end to end
    std::uint64_t first_ns = 0, last_ns = 0;
    std::string label;     // "udp 10.0.0.1:5000 -> 10.0.0.2:9"

    std::vector<std::uint32_t> by_start;       // packet indices sorted by first stage
    std::vector<std::uint64_t> starts;         // their first-stage times
    std::vector<std::uint64_t> bytes_prefix;   // bytes of by_start[0, i), size n+1
    std::vector<std::uint64_t> drop_times;     // sorted
    std::vector<Lane> lanes;
};

struct TimelineData {
    TraceHeader header;
    std::vector<Packet> packets;
    ReadStatus status;
    std::string path;
    std::vector<FlowTrack> flows;
    std::vector<std::uint32_t> flow_of;      // packet index -> flow index
    std::vector<std::uint8_t> highlighted;   // packet index -> 0/1
    std::uint64_t t0 = 0, t1 = 0;            // extent of all stages
    std::uint64_t total_drops = 0;

    // Marks packets (indices); rebuilds the lanes' prefix counts.
    void set_highlight(const std::vector<std::uint32_t>& packet_indices);
    std::size_t highlight_count() const { return highlight_count_; }
    // The packet with this trace id, or -1.
    std::int64_t find_packet_id(std::uint64_t id) const;

private:
    std::size_t highlight_count_ = 0;
};

// Sorts each packet's stages, groups by flow, packs lanes, computes flow stats.
// Packets without stages are kept (details, counts) but not drawn.
TimelineData build_timeline(Trace&& trace);
TimelineData build_timeline(std::vector<Packet> packets);

}  // namespace txray::ui
