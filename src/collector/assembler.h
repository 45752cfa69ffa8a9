// Joins the kernel's packet records with the records of the syscalls that
// made them, and hands out finished packets.
//
// The kernel emits a packet when it ends (free/drop/hand-off) and a send when
// its syscall returns; either may come first (veth finishes packets inside the
// syscall, a qdisc may hold them long after). A packet of a send is held until
// the send's record arrives, until a later send record of the same thread
// shows that record was lost, or until hold_ns passes. A send's only packet
// that ended inside it comes with the send folded in (TXR_PF_SEND_FOLDED),
// without a send record.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/packet.h"
#include "record_convert.h"
#include "txray.h"

namespace txray {

class Assembler {
public:
    using Emit = std::function<void(Packet&&)>;
    struct Options {
        std::uint64_t hold_ns = 2'000'000'000;        // wait this long for a send record
        std::uint64_t send_keep_ns = 60'000'000'000;  // forget a send whose packets never came
        // At most this many sends kept waiting for packets (the oldest go
        // first): under ring buffer loss, sends whose packet records were
        // lost would otherwise pile up for send_keep_ns (~180 bytes each).
        std::size_t max_waiting_sends = 131072;
        std::uint64_t tcp_hold_ns = 200'000'000;      // TCP packets wait this long for retransmit marks
        // A TCP send's record is kept this long for its segments: they may
        // leave after the call returned (from softirq, after an io_uring
        // request's poll retry), beyond the packets the call counted.
        std::uint64_t tcp_send_keep_ns = 1'000'000'000;
        // false: the kernel emits no send records (--slower-than,
        // --drops-only), so no packet waits for one.
        bool sends_recorded = true;
    };
    struct Stats {
        std::uint64_t packets = 0;       // packets handed out
        std::uint64_t sends = 0;         // send records seen
        std::uint64_t failed_sends = 0;  // syscalls that failed without a packet
        std::uint64_t unfinished = 0;    // packets with no end (expired in flight)
        std::uint64_t no_send_record = 0;  // held packets released without their send record
        std::uint64_t retransmits = 0;     // TCP segments marked as retransmissions
        std::uint64_t tcp_by_seq = 0;      // TCP segments tied to a send by sequence range
        std::uint64_t sends_forgotten = 0; // dropped by max_waiting_sends before send_keep_ns
    };

    Assembler(Emit emit, DropReasonNamer reason_name);
    Assembler(Emit emit, DropReasonNamer reason_name, Options opt);
    // Names the kernel function each drop happened in (kallsyms); none by default.
    void set_symbol_namer(KernelSymbolNamer n) { symbol_name_ = std::move(n); }

    // One record from the kernel's ring buffer, whatever its kind (the first
    // byte, enum txr_rec_kind): handed to the matching on_* below. A record
    // shorter than its kind's struct is ignored.
    void on_record(const void* data, std::size_t size, std::uint64_t now_ns);

    void on_packet(const txr_packet& r, std::uint64_t now_ns);
    void on_send(const txr_send& s, std::uint64_t now_ns);
    // tcp_retransmit_skb: marks the held transmission of [seq, end_seq) on sk.
    void on_retransmit(const txr_retrans& r, std::uint64_t now_ns);
    // record --headers: the bytes come before the packet's record; kept until it.
    void on_headers(const txr_headers& h);
    // A packet's devices after its first: they come right before its record;
    // kept until it.
    void on_hops(const txr_hops& h);
    // Releases what waited too long. Call about once a second.
    void tick(std::uint64_t now_ns);
    // Releases the TCP packets whose wait for retransmit marks is over (cheap:
    // only those); call after each drain, so `live` gets them in its window.
    void release_due(std::uint64_t now_ns) { release_tcp(now_ns, false); }
    // End of trace: releases everything held.
    void finish();

    const Stats& stats() const { return stats_; }
    std::size_t held_packets() const;
    std::size_t tracked_sends() const { return sends_.size(); }

private:
    struct SendState {
        std::optional<txr_send> info;
        std::vector<Packet> waiting;
        std::uint32_t emitted = 0;
        std::uint64_t seen_ns = 0;
    };
    // TCP: what a socket's sends queued, to tie segments sent later (from
    // softirq, on ACKs) to the send whose bytes they carry.
    struct TcpSendRange {
        std::uint32_t start, end;
        std::uint64_t send_id;
        std::uint32_t pid, tid;
        std::string comm;
        std::uint32_t syscall_nr;
    };
    struct HeldTcp {
        Packet p;
        std::uint64_t arrived_ns;
    };
    void complete_and_emit(Packet&& p, const txr_send& s);
    void emit(Packet&& p);
    void emit_now(Packet&& p);
    void finish_tcp(Packet& p);
    void release_tcp(std::uint64_t now_ns, bool all);
    void forget_oldest_sends();
    void release_lost_sends_of(std::uint32_t tid, std::uint64_t arrived_send);

    Emit emit_;
    DropReasonNamer reason_name_;
    KernelSymbolNamer symbol_name_;
    Options opt_;
    std::unordered_map<std::uint64_t, SendState> sends_;
    // Sends with packets waiting and no record yet, by thread.
    std::unordered_map<std::uint32_t, std::vector<std::uint64_t>> waiting_by_tid_;
    std::unordered_map<std::uint64_t, std::deque<TcpSendRange>> tcp_sends_;  // by socket
    // First transmissions per socket: [seq, end) -> packet id; bounded per socket.
    struct TcpRange {
        std::uint32_t seq, end;
        std::uint64_t id;
    };
    std::unordered_map<std::uint64_t, std::deque<TcpRange>> tcp_first_;
    std::deque<HeldTcp> tcp_held_;
    // tcp:tcp_retransmit_skb marks, kept while a later transmission of their
    // range may still arrive: on a real NIC a packet's record comes at its TX
    // completion, after the mark; the mark then moves from the earlier
    // transmission it first found to that one (move_marks).
    struct TcpMark {
        std::uint64_t sk;
        std::uint32_t seq;
        std::uint64_t ts, marked_ts, arrived_ns;  // marked_ts: ip_ts of the transmission it marks
    };
    std::deque<TcpMark> tcp_marks_;
    void move_marks(Packet& p);
    std::unordered_map<std::uint64_t, txr_hops> hops_;  // packet id -> its later hops
    std::unordered_map<std::uint64_t, std::vector<std::uint8_t>> headers_;  // packet id -> bytes  // TCP packets wait tcp_hold_ns for a retransmit mark
    std::uint64_t now_ns_ = 0;
    Stats stats_;
};

}  // namespace txray
