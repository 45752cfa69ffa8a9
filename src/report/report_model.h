// What `txray report` computes, accumulated while the trace streams in.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/log2_histogram.h"
#include "core/packet_filter.h"
#include "core/stats.h"
#include "core/trace_format.h"
#include "core/trace_reader.h"

namespace txray {

struct FlowStats {
    std::uint64_t packets = 0, bytes = 0, drops = 0;
    Samples end_to_end;  // ns, packets that reached an end
};

// Time on one device (trace format 1.3: from a hop's first stage to the
// next hop's first stage, core/hops.h).
struct HopStats {
    std::string device;
    std::uint32_t netns = 0;  // a pod's eth0 is not the host's eth0
    Samples on_hop;           // ns
};

// Packets by the device they first left through and the last one.
struct PathStats {
    std::uint64_t packets = 0, drops = 0;
    Samples end_to_end;  // ns, packets with two stages or more
};

struct Report {
    TraceHeader header;
    std::optional<TraceFooter> footer;
    ReadStatus status;
    std::uint64_t packets_read = 0;     // in the trace
    std::uint64_t packets_matched = 0;  // after the filter
    std::array<std::uint64_t, 5> outcomes{};  // by OutcomeKind
    std::uint64_t first_ns = 0, last_ns = 0;  // matched packets' time span
    std::vector<Samples> per_stage;           // kStageCount; time from the previous stage
    Samples end_to_end;
    Log2Histogram end_to_end_hist;
    std::map<Flow, FlowStats> flows;
    // Per device, in the order first seen; paths by (first device, last device).
    std::vector<HopStats> hops;
    std::map<std::pair<std::string, std::string>, PathStats> paths;
    std::uint64_t multi_hop = 0;  // packets that left through more than one device
    // (drop reason, stage before the drop) -> packets
    std::map<std::pair<std::string, std::string>, std::uint64_t> drops;
    std::map<std::string, std::uint64_t> errors;  // errno name -> sends
    // TCP: segments (skbs with a sequence range), retransmissions among them,
    // segments tied to their write by sequence, software GSO segments.
    std::uint64_t tcp_segments = 0, tcp_retransmits = 0, tcp_by_seq = 0, gso_segments = 0;
    Samples qdisc_backlog;  // bytes ahead at qdisc_enqueue
    // Real NICs: time in the TX ring (xmit_done -> free), the BQL bytes in
    // flight and limit at driver_xmit, packets after whose xmit the queue was
    // stopped (by the driver, by BQL), requeues.
    Samples ring, bql_inflight, bql_limit;
    std::uint64_t stopped_by_driver = 0, stopped_by_bql = 0, requeues = 0;

    std::uint64_t outcome(OutcomeKind k) const { return outcomes[static_cast<std::size_t>(k)]; }
};

// A TraceSink that folds packets into a Report. Memory: 8 bytes per stage per
// matched packet (exact percentiles), not the packets themselves.
class ReportBuilder : public TraceSink {
public:
    explicit ReportBuilder(PacketFilter filter = {});
    void on_header(const TraceHeader& h) override;
    void on_packet(Packet&& p) override;
    void on_footer(const TraceFooter& f) override;
    Report& report() { return r_; }

private:
    PacketFilter filter_;
    Report r_;
    std::optional<std::uint64_t> origin_;  // time origin of --since/--until
    std::map<std::pair<std::string, std::uint32_t>, std::size_t> hop_index_;  // (device, netns) -> index in r_.hops
    void add_hops(const Packet& p, std::uint64_t e2e);
};

// The stage whose mark comes right before the drop mark ("qdisc_enqueue"), or "-".
std::string drop_stage(const Packet& p);

}  // namespace txray
