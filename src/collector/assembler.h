// Joins the kernel's packet records with the records of the syscalls that
// made them, and hands out finished packets.
//
// The kernel emits a packet when it ends (free/drop/hand-off) and a send when
// its syscall returns; either may come first (veth finishes packets inside the
// syscall, a qdisc may hold them long after). A packet of a send is held until
// the send's record arrives, or until hold_ns passes.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "packet.h"
#include "record_convert.h"
#include "txray.h"

namespace txray {

class Assembler {
public:
    using Emit = std::function<void(Packet&&)>;
    struct Options {
        std::uint64_t hold_ns = 2'000'000'000;        // wait this long for a send record
        std::uint64_t send_keep_ns = 60'000'000'000;  // forget a send whose packets never came
    };
    struct Stats {
        std::uint64_t packets = 0;       // packets handed out
        std::uint64_t sends = 0;         // send records seen
        std::uint64_t failed_sends = 0;  // syscalls that failed without a packet
        std::uint64_t unfinished = 0;    // packets with no end (expired in flight)
        std::uint64_t no_send_record = 0;  // held packets released without their send record
    };

    Assembler(Emit emit, DropReasonNamer reason_name);
    Assembler(Emit emit, DropReasonNamer reason_name, Options opt);

    void on_packet(const txr_packet& r, std::uint64_t now_ns);
    void on_send(const txr_send& s, std::uint64_t now_ns);
    // Releases what waited too long. Call about once a second.
    void tick(std::uint64_t now_ns);
    // End of trace: releases everything held.
    void finish();

    const Stats& stats() const { return stats_; }
    std::size_t held_packets() const;

private:
    struct SendState {
        std::optional<txr_send> info;
        std::vector<Packet> waiting;
        std::uint32_t emitted = 0;
        std::uint64_t seen_ns = 0;
    };
    void complete_and_emit(Packet&& p, const txr_send& s);
    void emit(Packet&& p);

    Emit emit_;
    DropReasonNamer reason_name_;
    Options opt_;
    std::unordered_map<std::uint64_t, SendState> sends_;
    Stats stats_;
};

}  // namespace txray
