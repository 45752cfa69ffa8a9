// The data model: one record per packet, with its timeline.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stage.h"

namespace txray {

struct Flow {
    std::uint8_t family = 0;  // 4 or 6, 0 when not IP
    std::uint8_t proto = 0;   // IPPROTO_*
    std::array<std::uint8_t, 16> saddr{};  // IPv4 in the first 4 bytes
    std::array<std::uint8_t, 16> daddr{};
    std::uint16_t sport = 0, dport = 0;
    // ICMP/ICMPv6 (not a later fragment): the message's type and code, shown
    // in place of ports.
    bool has_icmp = false;
    std::uint8_t icmp_type = 0, icmp_code = 0;
    std::uint16_t ethertype = 0;  // family 0: skb->protocol (ETH_P_ARP, ...); 0 unknown

    auto operator<=>(const Flow&) const = default;
};

std::string addr_to_string(std::uint8_t family, const std::array<std::uint8_t, 16>& a);
std::optional<std::array<std::uint8_t, 16>> addr_from_string(std::uint8_t family, const std::string& s);
std::string proto_name(std::uint8_t proto);                  // "udp", "tcp", or the number
std::optional<std::uint8_t> proto_from_name(const std::string& s);
// "echo-request 8/0", "neighbor-solicitation 135/0", "type 42/1".
std::string icmp_to_string(std::uint8_t proto, std::uint8_t type, std::uint8_t code);
// "arp", "lldp", "ethertype 0x88b5".
std::string ethertype_to_string(std::uint16_t ethertype);
// "udp 10.0.0.1:5000 -> 10.0.0.2:9" ("[::1]:5000" for IPv6),
// "icmp 10.0.0.1 -> 10.0.0.2 echo-request 8/0", "arp".
std::string flow_to_string(const Flow& f);

struct StageMark {
    Stage stage;
    std::uint64_t ts_ns;  // CLOCK_MONOTONIC
    std::uint8_t hop = 0;  // index into Packet::hops: the device this stage belongs to
};

// One device the packet left through (a veth, the bridge, the uplink, the
// VXLAN device and its underlay...), in order. `flow` is set when the headers
// differ from the packet's first flow there (NAT, encapsulation).
struct Hop {
    std::string ifname;
    std::uint32_t ifindex = 0;
    std::uint32_t netns = 0;  // network namespace inode
    std::optional<Flow> flow{};
    // Captured bytes from the IP header on as it left this device (NAT,
    // encapsulation change them); empty when not captured there. Hop 0's are
    // the packet's `headers`. JSON: the hop object's "headers" (hex).
    std::vector<std::uint8_t> headers{};

    bool operator==(const Hop&) const = default;
};

enum class OutcomeKind : std::uint8_t {
    sent,        // freed after transmission, or handed to a peer (veth/lo)
    dropped,     // kfree_skb with a reason
    error,       // the syscall failed and no skb was followed
    consumed,    // freed before reaching a device (replaced by fragments/segments)
    unfinished,  // no end seen (trace ended, or expired in flight)
};
std::string_view outcome_kind_name(OutcomeKind k);

struct Packet {
    std::uint64_t id = 0;         // unique within the trace
    std::uint64_t skb = 0;        // kernel address of the sk_buff (0: none)
    std::uint64_t send_id = 0;    // syscall that made it (0: none)
    std::uint32_t msg_index = 0;  // message within that syscall (sendmmsg)
    std::uint64_t parent_id = 0;  // first fragment of the same datagram (0: none)
    std::uint32_t pid = 0, tid = 0;
    std::string comm;
    std::uint64_t cgroup_id = 0;
    std::uint32_t netns = 0;
    std::string ifname;
    std::uint32_t ifindex = 0;
    std::uint16_t queue = 0;
    std::uint32_t len = 0;
    Flow flow;
    bool fragment = false, frag_more = false;
    std::uint16_t frag_offset = 0;
    std::uint16_t requeues = 0;
    std::uint64_t sock = 0;          // kernel address of the owning struct sock (0: none)
    // TCP: the sequence range the segment (or TSO skb) carries, SYN/FIN counted.
    bool has_tcp = false;
    std::uint32_t tcp_seq = 0, tcp_end_seq = 0;
    std::uint16_t tcp_flags = 0;
    bool retransmit = false;         // tcp:tcp_retransmit_skb named this range
    std::uint64_t retransmit_of = 0; // the first transmission of the same range
    bool send_by_seq = false;        // tied to its send by socket + sequence range
    bool gso_segment = false;        // made by software GSO from parent_id (validate_xmit_skb)
    // The qdisc's backlog when it enqueued this packet (itself included).
    bool has_qdisc = false;
    std::uint32_t qdisc_backlog = 0, qdisc_qlen = 0;
    std::uint16_t gso_segs = 0, gso_size = 0;
    // The TX queue at driver_xmit, where the driver uses Byte Queue Limits:
    // bytes on its ring not yet completed before this packet, and the limit.
    bool has_bql = false;
    std::uint32_t bql_inflight = 0, bql_limit = 0;
    // The queue was stopped right after this packet's ndo_start_xmit: by the
    // driver (its ring nearly full) and/or by BQL (bytes in flight over the limit).
    bool stopped_by_driver = false, stopped_by_bql = false;

    OutcomeKind outcome = OutcomeKind::unfinished;
    std::string drop_reason;   // with dropped: the enum skb_drop_reason name minus its prefix
    std::string drop_site;     // with dropped: the kernel function that freed it ("neigh_invalidate+0x9a"), if known
    std::string send_errno;    // e.g. "ENOBUFS" when the syscall failed, else empty
    std::string send_syscall;  // the send's syscall ("sendto", "io_uring_enter"...), once its record came
    std::optional<std::int64_t> send_ret;  // what the syscall returned
    std::optional<std::int32_t> xmit_rc;   // ndo_start_xmit's return
    // Where its end ran (trace format 1.6): the CPU (-1: not ended in the
    // kernel) and "task", "softirq" or "hardirq" (empty: not known). A TX
    // completion runs where the NIC's interrupt was delivered.
    std::int32_t end_cpu = -1;
    std::string end_context;
    // The CPU that made the record, modulo 256: the kernel's ids carry it in
    // their low byte (next_id, bpf/lib/cpu_state.bpf.h).
    std::uint32_t made_cpu() const { return static_cast<std::uint32_t>(id & 0xff); }
    // Its end ran on another CPU than the one that made it.
    bool ended_on_other_cpu() const {
        return end_cpu >= 0 && (static_cast<std::uint32_t>(end_cpu) & 0xff) != made_cpu();
    }

    std::vector<StageMark> stages;  // in time order

    // The devices it left through (trace format 1.3). Readers fill hops[0]
    // from the top-level ifname/ifindex/netns/flow when a line has no "hops"
    // (one device), so consumers can always iterate hops. encap_of: the id of
    // the packet this one encapsulates when the tunnel made a new skb; 0
    // otherwise (VXLAN, GRE and WireGuard reuse the skb: a hop of the same packet).
    std::vector<Hop> hops;
    std::uint64_t encap_of = 0;

    // Captured bytes from the IP header on, up to the recording's snaplen
    // (`txray record --headers`); empty when not captured. JSON: "headers": "<hex>".
    std::vector<std::uint8_t> headers{};

    // "sent", "dropped:QDISC_DROP", "error:ENOBUFS", ...
    std::string outcome_string() const;
    const StageMark* find(Stage s) const;
    // Time in the NIC's TX ring, xmit_done -> free (its TX completion); 0 when
    // the packet has not both (veth/lo hand it on, or the trace ended first).
    std::uint64_t ring_ns() const;
    std::uint64_t first_ts() const { return stages.empty() ? 0 : stages.front().ts_ns; }
    std::uint64_t last_ts() const { return stages.empty() ? 0 : stages.back().ts_ns; }
    void sort_stages();
};

// Parses "dropped:REASON", "error:EPERM", "sent", ... back into a packet.
bool parse_outcome(const std::string& s, Packet& p);

}  // namespace txray
