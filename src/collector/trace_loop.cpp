#include "trace_loop.h"

#include <cstdio>

#include "assembler.h"
#include "record_convert.h"
#include "core/duration.h"
#include "bpfload/kallsyms.h"
#include "stop_signal.h"
#include "bpfload/system.h"

namespace txray {

TraceHeader make_header(const Session& s, const RecordingOptions& o) {
    TraceHeader h;
    h.host = host_name();
    h.kernel = kernel_release();
    h.wall_offset_ns = wall_offset_ns();
    h.start_ns = monotonic_ns();
    h.tool = "txray " TXRAY_VERSION;
    for (const auto& c : s.plan().stages) h.stages.push_back({c.stage, c.available, c.hook, c.rejected});
    h.filters = o.session.filters.describe();
    // A selected trace says so: its packets are the outliers only.
    if (o.session.select_slower_ns)
        h.filters.emplace_back("slower-than", format_duration_ns(o.session.select_slower_ns));
    if (o.session.select_drops) h.filters.emplace_back("drops-only", "yes");
    return h;
}

void print_slot_use(const Counters& c) {
    std::fprintf(stderr,
                 "txray: %llu packets moved from their thread's slot to the in-flight hash "
                 "(accepted by a qdisc, queued for a neighbour, left with a driver, or displaced by the thread's next packet)\n",
                 static_cast<unsigned long long>(c[TXR_C_SPILLED]));
    std::fprintf(stderr, "txray: %llu sends folded into their only packet's record (it ended inside the syscall)\n",
                 static_cast<unsigned long long>(c[TXR_C_FOLDED]));
}

void print_missed_runs(const std::map<std::string, std::uint64_t>& missed) {
    if (missed.empty()) return;
    std::uint64_t total = 0;
    std::string which;
    for (const auto& [prog, n] : missed) {
        total += n;
        which += (which.empty() ? "" : ", ") + prog + " " + std::to_string(n);
    }
    std::fprintf(stderr,
                 "txray: the kernel skipped %llu program runs (already running on that CPU): their stage events are "
                 "lost (%s)\n",
                 static_cast<unsigned long long>(total), which.c_str());
}

namespace {
// The packets not seen since before_ns (all: UINT64_MAX) go out unfinished.
void sweep_into(Assembler& assembler, Session& session, std::uint64_t before_ns, std::uint64_t now_ns) {
    if (session.lean_summary()) {  // the agent's capture on the lean state
        for (const txr_lean_record& r : session.sweep_lean(before_ns)) assembler.on_packet(record_from_lean(r), now_ns);
        return;
    }
    for (const txr_packet& r : session.sweep(before_ns)) assembler.on_packet(r, now_ns);
}
}  // namespace

int run_trace(const RecordingOptions& o, TraceConsumer& consumer) {
    watch_stop_signals(OnHangup::report);
    Session session(o.session);
    for (const auto& f : session.kernel_fallbacks()) std::fprintf(stderr, "txray: older kernel: %s\n", f.c_str());
    if (session.filter_interpreted())
        std::fprintf(stderr, "txray: the tcpdump expression is %s: slower per packet\n", session.filter_engine().c_str());

    TickStats tick;
    tick.stage_delta.resize(kStageCount);
    std::uint64_t emitted = 0, dropped_total = 0;
    bool count_reached = false;
    Assembler assembler(
        [&](Packet&& p) {
            if (count_reached) return;
            ++tick.packets;
            ++emitted;
            if (p.outcome == OutcomeKind::dropped) ++tick.dropped, ++dropped_total;
            if (p.outcome == OutcomeKind::error) ++tick.errors;
            add_stage_deltas(p, tick.stage_delta);
            consumer.on_packet(std::move(p));
            if (o.count && emitted >= o.count) count_reached = true;
        },
        [&](std::uint32_t r) { return session.btf().drop_reason_name(r); },
        [&] {
            Assembler::Options a;
            a.sends_recorded = !o.session.selecting();
            return a;
        }());
    KernelSymbols kernel_symbols;  // where each drop happened
    kernel_symbols.preload();       // not on the first drop, inside the loop
    assembler.set_symbol_namer([&](std::uint64_t a) { return kernel_symbols.name(a); });

    // When each record arrived (for the assembler's holds, seconds long): the
    // clock read once per 64 records, and fresh for the first record of each
    // poll (the ring may have waited up to 100 ms before it). One read per
    // record was ~4% of the collector's time (perf).
    std::uint64_t record_ns = 0;
    unsigned records_since_clock = 0;
    session.attach([&](const void* data, std::size_t size) {
        if (records_since_clock++ % 64 == 0) record_ns = monotonic_ns();
        assembler.on_record(data, size, record_ns);
    });
    TraceHeader header = make_header(session, o);
    consumer.on_start(header);
    consumer.on_attached(session);

    const std::uint64_t start = monotonic_ns();
    std::uint64_t next_tick = start + 1'000'000'000ull;
    const std::uint64_t expire_ns = static_cast<std::uint64_t>(o.expire_s * 1e9);
    while (!stop_requested() && !count_reached) {
        records_since_clock = 0;
        session.poll(100);
        if (hangup_requested()) {
            if (!consumer.on_hangup()) break;
        }
        const std::uint64_t now = monotonic_ns();
        assembler.release_due(now);
        consumer.on_poll(now);
        if (o.duration_s > 0 && now - start >= static_cast<std::uint64_t>(o.duration_s * 1e9)) break;
        if (now < next_tick) continue;
        next_tick = now + 1'000'000'000ull;
        sweep_into(assembler, session, now > expire_ns ? now - expire_ns : 0, now);
        assembler.tick(now);
        Counters c = session.counters();
        tick.elapsed_s = (now - start) / 1e9;
        tick.total_packets = emitted;
        tick.lost = c[TXR_C_LOST_PACKET] + c[TXR_C_LOST_SEND];
        tick.lost_by_stage.clear();
        for (Stage s : all_stages())
            if (auto n = c[TXR_LOST_STAGE_BASE + index(s)]) tick.lost_by_stage.emplace_back(s, n);
        tick.untracked = c[TXR_C_INFLIGHT_FULL];
        tick.inflight = session.inflight_count();
        consumer.on_tick(tick);
        tick.packets = tick.dropped = tick.errors = 0;
        for (auto& s : tick.stage_delta) s.clear();
    }

    // Stop new events first, then take everything that is left.
    session.detach();
    records_since_clock = 0;
    session.drain();
    sweep_into(assembler, session, UINT64_MAX, monotonic_ns());
    assembler.finish();

    Counters c = session.counters();
    TraceFooter f;
    f.end_ns = monotonic_ns();
    f.packets = emitted;
    f.sends = assembler.stats().sends;
    f.dropped = dropped_total;
    f.lost = c[TXR_C_LOST_PACKET];
    f.lost_sends = c[TXR_C_LOST_SEND];
    for (Stage s : all_stages())
        if (auto n = c[TXR_LOST_STAGE_BASE + index(s)]) f.lost_by_stage[std::string(stage_name(s))] = n;
    f.untracked = c[TXR_C_INFLIGHT_FULL];
    f.unfinished = assembler.stats().unfinished;
    if (o.session.selecting()) f.unselected = c[TXR_C_UNSELECTED];
    f.missed_runs = session.missed_runs();
    f.receive_unseen = c[TXR_C_RECEIVE_UNSEEN];
    consumer.on_end(f);
    if (o.session.verbose) print_slot_use(c);
    if (auto n = c[TXR_C_SUPERSEDED])
        std::fprintf(stderr,
                     "txray: %llu packets ended unfinished: their end was not seen before their skb came back as "
                     "another packet\n",
                     static_cast<unsigned long long>(n));
    if (auto n = f.receive_unseen)
        std::fprintf(stderr,
                     "txray: %llu handed-off packets were followed without their receive (no netif_receive stage, "
                     "no bridge hop; delivered locally: unfinished): the receive hooks, detached after seconds "
                     "without a hand-off, were being attached again\n",
                     static_cast<unsigned long long>(n));
    print_missed_runs(f.missed_runs);
    return 0;
}

}  // namespace txray
