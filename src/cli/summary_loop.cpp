#include "summary_loop.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "core/log2_histogram.h"
#include "live_printer.h"
#include "collector/stop_signal.h"
#include "collector/trace_loop.h"
#include "bpfload/system.h"

namespace txray {

namespace {

// The change of a histogram row since the last tick.
std::array<std::uint64_t, TXR_HIST_BUCKETS> row_delta(const txr_hist_row& now, const txr_hist_row& before) {
    std::array<std::uint64_t, TXR_HIST_BUCKETS> d{};
    for (std::size_t b = 0; b < TXR_HIST_BUCKETS; ++b) d[b] = now.buckets[b] - before.buckets[b];
    return d;
}

std::uint64_t total(const std::array<std::uint64_t, TXR_HIST_BUCKETS>& d) {
    std::uint64_t n = 0;
    for (auto v : d) n += v;
    return n;
}

// The first row a slot shows per device. Slot 0 ("other") also holds the
// stages before a device was known (ip_local_out and ip_output where their
// programs run before ip_output sets skb->dev: fentry/kprobe): those are in
// the totals; "other" is a device row only for what it counted from a
// device's queue on (devices beyond the slots, a drop before any device).
std::size_t first_device_row(std::size_t slot) { return slot ? 0 : TXR_ST_DEV_QUEUE_XMIT; }

// Whether an interface slot's rows counted packets since the last tick.
bool slot_counted(std::size_t slot, const std::vector<txr_hist_row>& now, const std::vector<txr_hist_row>& before) {
    for (std::size_t row = first_device_row(slot); row < TXR_HIST_ROWS; ++row)
        if (total(row_delta(now[slot * TXR_HIST_ROWS + row], before[slot * TXR_HIST_ROWS + row]))) return true;
    return false;
}

std::size_t devices_with_counts(const std::vector<txr_hist_row>& now, const std::vector<txr_hist_row>& before) {
    std::size_t n = 0;
    for (std::size_t slot = 0; slot < TXR_IF_SLOTS; ++slot) n += slot_counted(slot, now, before);
    return n;
}

// The rows from `first_row` of one device (`device`: "" for all together)
// that counted packets since the last tick, under a header.
void print_rows(const std::string& device, const txr_hist_row* now, const txr_hist_row* before,
                std::size_t first_row = 0) {
    bool header = false;
    for (std::size_t row = first_row; row <= TXR_HIST_E2E; ++row) {
        const auto d = row_delta(now[row], before[row]);
        const std::uint64_t n = total(d);
        if (!n) continue;
        std::size_t top = 0;
        for (std::size_t b = 0; b < TXR_HIST_BUCKETS; ++b)
            if (d[b]) top = b;
        if (!header)
            fmt::print("  {:<18} {:>9} {:>10} {:>10} {:>10}{}\n", "STAGE (since prev)", "COUNT", "p50 ≤", "p99 ≤",
                       "max ≤", device.empty() ? "" : "   DEVICE");
        header = true;
        const std::string name = row == TXR_HIST_E2E ? "end-to-end" : std::string(stage_name(static_cast<Stage>(row)));
        fmt::print("  {:<18} {:>9} {:>10} {:>10} {:>10}{}\n", name, n, format_duration_ns(log2_percentile(d, 0.5)),
                   format_duration_ns(log2_percentile(d, 0.99)), format_duration_ns((2ull << top) - 1),
                   device.empty() ? "" : "   " + device);
    }
}

}  // namespace

int run_summary(const TraceOptions& o) {
    watch_stop_signals(OnHangup::stop);
    SessionOptions so = o.session;
    so.summary = true;
    Session session(so);
    for (const auto& f : session.kernel_fallbacks()) std::fprintf(stderr, "txray: older kernel: %s\n", f.c_str());
    if (session.filter_interpreted())
        std::fprintf(stderr, "txray: the tcpdump expression is %s: slower per packet\n", session.filter_engine().c_str());
    session.attach(nullptr);
    const bool color = isatty(STDOUT_FILENO);
    fmt::print(stderr, "txray: in-kernel summary every second (approximate percentiles: log2 buckets). Ctrl-C to stop.\n");
    if (session.lean_summary())
        fmt::print(stderr,
                   "txray: lean: skb stages only, end to end from the first skb stage; --syscalls adds the "
                   "syscall and route stages (about twice the cost)\n");

    std::vector<txr_hist_row> prev_all(TXR_HIST_ROWS), prev_hist(TXR_IF_SLOTS * TXR_HIST_ROWS);
    Counters prev_c{};
    std::size_t expired = 0;  // in flight longer than --expire: forgotten, not counted
    const std::uint64_t start = monotonic_ns();
    std::uint64_t next = start + 1'000'000'000ull;
    while (!stop_requested()) {
        usleep(50'000);
        const std::uint64_t now = monotonic_ns();
        const bool done = o.duration_s > 0 && now - start >= static_cast<std::uint64_t>(o.duration_s * 1e9);
        if (now < next && !done) continue;
        next = now + 1'000'000'000ull;
        const std::uint64_t before = now - static_cast<std::uint64_t>(o.expire_s * 1e9);
        expired += session.lean_summary() ? session.sweep_lean(before).size() : session.sweep(before).size();
        const SummaryMaps m = session.summary_maps();
        Counters c = session.counters();
        fmt::print("{}-- {:.0f}s: {} packets, {} drops, {} sends, {} untracked{}\n", color ? "\033[1m" : "",
                   (now - start) / 1e9, c[TXR_C_PACKETS] - prev_c[TXR_C_PACKETS], c[TXR_C_DROPS] - prev_c[TXR_C_DROPS],
                   c[TXR_C_SENDS] - prev_c[TXR_C_SENDS], c[TXR_C_INFLIGHT_FULL], color ? "\033[0m" : "");
        std::vector<txr_hist_row> all(TXR_HIST_ROWS);
        for (std::size_t key = 0; key < m.hist.size(); ++key)
            for (std::size_t b = 0; b < TXR_HIST_BUCKETS; ++b) all[key % TXR_HIST_ROWS].buckets[b] += m.hist[key].buckets[b];
        print_rows("", all.data(), prev_all.data());
        // Per device: a packet's stages on each device it left through (a
        // stacked device's lower one counts its own), when there are several.
        if (devices_with_counts(m.hist, prev_hist) > 1)
            for (std::size_t slot = 0; slot < TXR_IF_SLOTS; ++slot)
                print_rows(slot && m.ifaces[slot].key ? m.ifaces[slot].name : "other", &m.hist[slot * TXR_HIST_ROWS],
                           &prev_hist[slot * TXR_HIST_ROWS], first_device_row(slot));
        std::fflush(stdout);
        prev_all = std::move(all);
        prev_hist = m.hist;
        prev_c = c;
        if (done || (o.count && c[TXR_C_PACKETS] >= o.count)) break;
    }
    session.detach();
    // Never silent: packets that did not end are in no row above (a qdisc or
    // a driver still held them, or the kernel skipped their later stages'
    // programs: README, Known limits).
    if (const std::size_t left = session.inflight_count(); expired || left)
        fmt::print(stderr, "txray: {} packets unfinished, in no row: {} in flight longer than {}s, {} still in flight at exit\n",
                   expired + left, expired, o.expire_s, left);
    if (o.session.verbose) print_slot_use(session.counters());
    print_missed_runs(session.missed_runs());
    return 0;
}

}  // namespace txray
