#include "metrics_text.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <map>

#include "core/stage.h"

namespace txray {

std::string escape_label(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// Interface slots of the same name (two CPUs claimed one each) are one
// series; slot 0 is "other"; a slot claimed but not yet named (the kernel
// names it right after) is left out of this reading (""), free slots too.
std::vector<std::string> slot_names(const std::vector<txr_iface>& ifaces) {
    std::vector<std::string> names(TXR_IF_SLOTS);
    names[0] = "other";
    for (std::size_t i = 1; i < ifaces.size() && i < names.size(); ++i)
        if (ifaces[i].key) names[i] = std::string(ifaces[i].name, strnlen(ifaces[i].name, sizeof(ifaces[i].name)));
    return names;
}

std::string seconds(double ns) { return fmt::format("{}", ns / 1e9); }

// One histogram series: cumulative buckets, sum, count.
void histogram(std::string& out, std::string_view name, const std::string& labels, const txr_hist_row& r) {
    std::uint64_t cum = 0;
    int b = 0;
    for (int k = kFirstLe; k <= kLastLe; ++k) {
        for (; b < k && b < TXR_HIST_BUCKETS; ++b) cum += r.buckets[b];  // buckets below 2^k
        fmt::format_to(std::back_inserter(out), "{}_bucket{{{}le=\"{}\"}} {}\n", name, labels,
                       seconds(std::ldexp(1.0, k)), cum);
    }
    std::uint64_t total = 0;
    for (auto v : r.buckets) total += v;
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{}le=\"+Inf\"}} {}\n", name, labels, total);
    std::string plain = labels;
    if (!plain.empty()) plain.pop_back();  // trailing comma
    fmt::format_to(std::back_inserter(out), "{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, plain, seconds(r.sum_ns), name,
                   plain, total);
}

void add_row(txr_hist_row& into, const txr_hist_row& r) {
    for (int b = 0; b < TXR_HIST_BUCKETS; ++b) into.buckets[b] += r.buckets[b];
    into.sum_ns += r.sum_ns;
}

bool empty(const txr_hist_row& r) {
    for (auto v : r.buckets)
        if (v) return false;
    return true;
}

std::string errno_label(std::size_t e) {
    if (e == TXR_ERRNOS - 1) return "other";
    const char* n = strerrorname_np(static_cast<int>(e));
    return n ? n : std::to_string(e);
}

}  // namespace

std::string render_metrics(const AgentSnapshot& s) {
    std::string out;
    out.reserve(64 * 1024);
    auto line = [&](std::string_view name, const std::string& labels, auto value) {
        if (labels.empty()) fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
        else fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
    };
    const auto names = slot_names(s.maps.ifaces);

    family(out, "txray_build_info", "gauge", "txray's version and the kernel it runs on (value 1)");
    line("txray_build_info", fmt::format("version=\"{}\",kernel=\"{}\"", escape_label(s.version), escape_label(s.kernel)), 1);
    family(out, "txray_hook_info", "gauge", "The hook each attached stage uses (value 1)");
    for (const auto& [stage, hook] : s.hooks)
        line("txray_hook_info", fmt::format("stage=\"{}\",hook=\"{}\"", escape_label(stage), escape_label(hook)), 1);

    // Per interface name (merged slots), in name order.
    std::map<std::string, std::array<std::uint64_t, 2>> packets;
    for (std::size_t slot = 0; slot < TXR_IF_SLOTS; ++slot) {
        if (names[slot].empty()) continue;
        auto& p = packets[names[slot]];
        p[0] += s.maps.outcomes.size() > slot * 2 + 1 ? s.maps.outcomes[slot * 2] : 0;
        p[1] += s.maps.outcomes.size() > slot * 2 + 1 ? s.maps.outcomes[slot * 2 + 1] : 0;
    }
    // --by cgroup: (ifname, cgroup) -> merged row.
    std::map<std::pair<std::string, std::string>, txr_cgroup_row> by_cgroup;
    for (const auto& c : s.cgroups)
        if (c.slot < names.size() && !names[c.slot].empty()) add_cgroup_row(by_cgroup[{names[c.slot], c.cgroup}], c.row);
    family(out, "txray_packets_total", "counter", "Packets that ended, per interface and outcome (sent or dropped)");
    for (const auto& [ifname, p] : packets) {
        if (s.by_cgroup || (!p[0] && !p[1] && ifname != "other")) continue;
        line("txray_packets_total", fmt::format("ifname=\"{}\",outcome=\"sent\"", escape_label(ifname)), p[0]);
        line("txray_packets_total", fmt::format("ifname=\"{}\",outcome=\"dropped\"", escape_label(ifname)), p[1]);
    }
    for (const auto& [k, r] : by_cgroup)
        for (int dropped : {0, 1})
            line("txray_packets_total",
                 fmt::format("ifname=\"{}\",cgroup=\"{}\",outcome=\"{}\"", escape_label(k.first), escape_label(k.second),
                             dropped ? "dropped" : "sent"),
                 r.packets[dropped]);

    // (row, ifname) -> merged row. Every attached stage of every interface
    // seen is there from the start, at 0: a series that first appears with
    // counts in it would show no increase to rate() and histogram_quantile().
    std::map<std::pair<std::size_t, std::string>, txr_hist_row> rows;
    for (const auto& [ifname, p] : packets) {
        if (!p[0] && !p[1]) continue;
        rows.try_emplace({TXR_HIST_E2E, ifname}, txr_hist_row{});
        for (const auto& [stage, hook] : s.hooks)
            for (Stage st : all_stages())
                if (stage_name(st) == stage) rows.try_emplace({index(st), ifname}, txr_hist_row{});
    }
    for (std::size_t key = 0; key < s.maps.hist.size(); ++key) {
        if (empty(s.maps.hist[key]) || names[key / TXR_HIST_ROWS].empty()) continue;
        auto [it, _] = rows.try_emplace({key % TXR_HIST_ROWS, names[key / TXR_HIST_ROWS]}, txr_hist_row{});
        add_row(it->second, s.maps.hist[key]);
    }
    family(out, "txray_stage_latency_seconds", "histogram",
           "Time from the previous stage the packet went through to this stage (kernel log2 buckets)");
    for (const auto& [k, r] : rows)
        if (k.first != TXR_HIST_E2E)
            histogram(out, "txray_stage_latency_seconds",
                      fmt::format("stage=\"{}\",ifname=\"{}\",", stage_name(static_cast<Stage>(k.first)),
                                  escape_label(k.second)),
                      r);
    family(out, "txray_e2e_latency_seconds", "histogram",
           "From the packet's first stage to the driver's return, its hand-off or its drop (kernel log2 buckets)");
    for (const auto& [k, r] : rows)
        if (k.first == TXR_HIST_E2E && !s.by_cgroup)
            histogram(out, "txray_e2e_latency_seconds", fmt::format("ifname=\"{}\",", escape_label(k.second)), r);
    for (const auto& [k, r] : by_cgroup)
        histogram(out, "txray_e2e_latency_seconds",
                  fmt::format("ifname=\"{}\",cgroup=\"{}\",", escape_label(k.first), escape_label(k.second)), r.e2e);

    family(out, "txray_drops_total", "counter",
           "Packets dropped, per the last stage they reached and the kernel's drop reason");
    for (std::size_t i = 0; i < s.maps.drops.size(); ++i) {
        if (!s.maps.drops[i]) continue;
        const auto reason = static_cast<std::uint32_t>(i % TXR_DROP_REASONS);
        std::string rname = reason == TXR_DROP_REASONS - 1 ? "other" : (s.reason_name ? s.reason_name(reason) : "");
        if (rname.empty()) rname = std::to_string(reason);
        line("txray_drops_total",
             fmt::format("stage=\"{}\",reason=\"{}\"", stage_name(static_cast<Stage>(i / TXR_DROP_REASONS)),
                         escape_label(rname)),
             s.maps.drops[i]);
    }
    family(out, "txray_send_errors_total", "counter", "Send syscalls that failed, per errno (with --syscalls)");
    for (std::size_t e = 0; e < s.maps.errnos.size(); ++e)
        if (s.maps.errnos[e]) line("txray_send_errors_total", fmt::format("errno=\"{}\"", errno_label(e)), s.maps.errnos[e]);

    family(out, "txray_lost_events_total", "counter",
           "Records the ring buffer had no room for, per the stage that emitted them (records mode only)");
    for (const auto& [stage, hook] : s.hooks) {
        std::uint64_t n = 0;
        for (Stage st : all_stages())
            if (stage_name(st) == stage) n = s.counters[TXR_LOST_STAGE_BASE + index(st)];
        if (stage == stage_name(Stage::sendmsg_return)) n += s.counters[TXR_C_LOST_SEND];
        line("txray_lost_events_total", fmt::format("stage=\"{}\"", escape_label(stage)), n);
    }
    family(out, "txray_bpf_missed_runs_total", "counter",
           "Runs of a txray BPF program the kernel skipped because it was already running on that CPU: stage "
           "events lost without a record");
    for (const auto& [prog, n] : s.missed_runs)
        line("txray_bpf_missed_runs_total", fmt::format("program=\"{}\"", escape_label(prog)), n);
    family(out, "txray_unfinished_packets", "gauge", "Packets in flight now (in a qdisc, a driver, a neighbour queue)");
    line("txray_unfinished_packets", "", s.unfinished);
    family(out, "txray_expired_packets_total", "counter",
           "Packets forgotten while in flight after --expire seconds: in no histogram");
    line("txray_expired_packets_total", "", s.expired);
    family(out, "txray_untracked_packets_total", "counter",
           "Packets not followed: the in-flight table was full");
    line("txray_untracked_packets_total", "", s.counters[TXR_C_INFLIGHT_FULL]);
    family(out, "txray_ifname_overflow_packets_total", "counter",
           "Packets counted under ifname=\"other\" because every interface slot was taken");
    line("txray_ifname_overflow_packets_total", "", s.counters[TXR_C_IF_OTHER]);
    if (s.by_cgroup) {
        family(out, "txray_cgroup_overflow_packets_total", "counter",
               "Packets counted under cgroup=\"other\" because the kernel's cgroup table was full");
        line("txray_cgroup_overflow_packets_total", "", s.counters[TXR_C_CGROUP_FULL]);
        family(out, "txray_cgroup_evictions_total", "counter",
               "Entries removed from the kernel's cgroup table because their cgroup was gone");
        line("txray_cgroup_evictions_total", "", s.cgroup_evictions);
    }
    family(out, "txray_filtered_packets_total", "counter", "Packets a filter left out");
    line("txray_filtered_packets_total", "", s.counters[TXR_C_FILTERED]);
    if (s.capturing) {
        family(out, "txray_capture_unselected_packets_total", "counter",
               "Packets whose record the kernel did not emit: neither slower than --capture-slower-than nor dropped");
        line("txray_capture_unselected_packets_total", "", s.counters[TXR_C_UNSELECTED]);
        family(out, "txray_capture_receive_unseen_packets_total", "counter",
               "Packets handed off while the receive hooks were detached (seconds without a hand-off): captured "
               "without their receive");
        line("txray_capture_receive_unseen_packets_total", "", s.counters[TXR_C_RECEIVE_UNSEEN]);
        family(out, "txray_captured_packets_total", "counter", "Packets written to the capture files");
        line("txray_captured_packets_total", "", s.captured);
        family(out, "txray_capture_files_total", "counter", "Capture files opened (rotation, SIGHUP)");
        line("txray_capture_files_total", "", s.capture_files);
        family(out, "txray_capture_write_errors_total", "counter", "Capture files that could not be opened or written");
        line("txray_capture_write_errors_total", "", s.capture_write_errors);
    }
    return out;
}

}  // namespace txray
