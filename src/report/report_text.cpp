#include "report_text.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/duration.h"
#include "text_table.h"

namespace txray {
namespace {

void summary(std::string& out, const Report& r) {
    const TraceHeader& h = r.header;
    out += fmt::format("trace     host {}, kernel {}, {}, format {}.{}\n", h.host.empty() ? "?" : h.host,
                       h.kernel.empty() ? "?" : h.kernel, h.tool.empty() ? "unknown tool" : h.tool, h.version_major,
                       h.version_minor);
    if (!h.filters.empty()) {
        std::string f;
        for (const auto& [k, v] : h.filters) f += fmt::format("{}{}={}", f.empty() ? "" : " ", k, v);
        out += "recorded  with " + f + "\n";
    }
    out += fmt::format("packets   {} of {} in the trace", r.packets_matched, r.packets_read);
    if (r.last_ns > r.first_ns) out += fmt::format(", over {}", format_duration_ns(r.last_ns - r.first_ns));
    out += "\n";
    out += fmt::format("outcomes  sent {}, dropped {}, error {}, consumed {}, unfinished {}\n",
                       r.outcome(OutcomeKind::sent), r.outcome(OutcomeKind::dropped), r.outcome(OutcomeKind::error),
                       r.outcome(OutcomeKind::consumed), r.outcome(OutcomeKind::unfinished));
    if (r.tcp_segments)
        out += fmt::format("tcp       {} segments, {} retransmitted, {} tied to their write by sequence\n",
                           r.tcp_segments, r.tcp_retransmits, r.tcp_by_seq);
    if (r.gso_segments) out += fmt::format("gso       {} segments made in software\n", r.gso_segments);
    if (!r.qdisc_backlog.empty())
        out += fmt::format("qdisc     backlog at enqueue p50 {} B, p99 {} B, max {} B\n", r.qdisc_backlog.percentile(0.5),
                           r.qdisc_backlog.percentile(0.99), r.qdisc_backlog.max());
    if (!r.ring.empty())
        out += fmt::format("tx ring   {} packets completed, in the ring (xmit_done -> free) p50 {}, p99 {}, max {}\n",
                           r.ring.count(), format_duration_ns(r.ring.percentile(0.5)),
                           format_duration_ns(r.ring.percentile(0.99)), format_duration_ns(r.ring.max()));
    if (!r.bql_inflight.empty())
        out += fmt::format("bql       in flight at driver_xmit p50 {} B, p99 {} B, max {} B; limit p50 {} B, max {} B\n",
                           r.bql_inflight.percentile(0.5), r.bql_inflight.percentile(0.99), r.bql_inflight.max(),
                           r.bql_limit.percentile(0.5), r.bql_limit.max());
    if (r.stopped_by_driver || r.stopped_by_bql || r.requeues)
        out += fmt::format("tx queue  stopped after {} packets by the driver, {} by BQL; {} requeues\n",
                           r.stopped_by_driver, r.stopped_by_bql, r.requeues);
}

std::vector<std::string> latency_cells(const Samples& s) {
    std::vector<std::string> c{std::to_string(s.count())};
    for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) c.push_back(format_duration_ns(s.percentile(q)));
    return c;
}

void stages(std::string& out, const Report& r) {
    out += "\nPer-stage latency (time from the previous stage to this one)\n";
    TextTable t({"<STAGE", "COUNT", "MIN", "P50", "P90", "P99", "P99.9", "MAX"});
    for (Stage s : all_stages()) {
        const Samples& v = r.per_stage[index(s)];
        if (v.empty()) continue;
        auto cells = latency_cells(v);
        cells.insert(cells.begin(), std::string(stage_name(s)));
        t.row(std::move(cells));
    }
    if (!r.end_to_end.empty()) {
        auto cells = latency_cells(r.end_to_end);
        cells.insert(cells.begin(), "end to end");
        t.row(std::move(cells));
    }
    if (t.empty()) out += "  (no packet has two stages)\n";
    else t.render(out);
}

void histogram(std::string& out, const Report& r) {
    out += fmt::format("\nEnd-to-end latency, syscall to driver ({} packets)\n", r.end_to_end_hist.total());
    out += r.end_to_end_hist.render();
}

void flows(std::string& out, const Report& r, std::size_t top) {
    std::vector<const std::pair<const Flow, FlowStats>*> rows;
    for (const auto& kv : r.flows) rows.push_back(&kv);
    std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->second.packets > b->second.packets; });
    const std::size_t shown = top ? std::min(top, rows.size()) : rows.size();
    out += fmt::format("\nFlows ({} of {}, by packets)\n", shown, rows.size());
    TextTable t({"<FLOW", "PACKETS", "BYTES", "E2E P50", "E2E P99", "DROPS"});
    for (std::size_t i = 0; i < shown; ++i) {
        const FlowStats& f = rows[i]->second;
        const bool e2e = !f.end_to_end.empty();
        t.row({flow_to_string(rows[i]->first), std::to_string(f.packets), std::to_string(f.bytes),
               e2e ? format_duration_ns(f.end_to_end.percentile(0.5)) : "-",
               e2e ? format_duration_ns(f.end_to_end.percentile(0.99)) : "-", std::to_string(f.drops)});
    }
    if (t.empty()) out += "  (none)\n";
    else t.render(out);
}

// Format 1.3: only when some packet left through more than one device.
void hops(std::string& out, const Report& r) {
    if (!r.multi_hop) return;
    out += fmt::format("\nPer-hop latency (time on each device: its first stage to the next device's; {} packets "
                       "crossed devices)\n",
                       r.multi_hop);
    TextTable t({"<DEVICE", "COUNT", "MIN", "P50", "P90", "P99", "P99.9", "MAX"});
    for (const HopStats& h : r.hops) {
        auto cells = latency_cells(h.on_hop);
        // A name in two namespaces (a pod's eth0 and the host's) says which.
        const bool shared = std::count_if(r.hops.begin(), r.hops.end(), [&](const HopStats& o) { return o.device == h.device; }) > 1;
        cells.insert(cells.begin(), shared ? fmt::format("{} (netns {})", h.device, h.netns) : h.device);
        t.row(std::move(cells));
    }
    t.render(out);
    out += "\nPaths (first device -> last device)\n";
    TextTable p({"<PATH", "PACKETS", "E2E P50", "E2E P99", "DROPS"});
    for (const auto& [k, s] : r.paths) {
        const bool e2e = !s.end_to_end.empty();
        p.row({k.first == k.second ? k.first : k.first + " -> " + k.second, std::to_string(s.packets),
               e2e ? format_duration_ns(s.end_to_end.percentile(0.5)) : "-",
               e2e ? format_duration_ns(s.end_to_end.percentile(0.99)) : "-", std::to_string(s.drops)});
    }
    p.render(out);
}

void drops(std::string& out, const Report& r) {
    out += "\nDrops by reason and stage\n";
    if (r.drops.empty()) out += "  (none)\n";
    else {
        TextTable t({"<REASON", "<AFTER STAGE", "PACKETS"});
        for (const auto& [k, n] : r.drops) t.row({k.first, k.second, std::to_string(n)});
        t.render(out);
    }
    if (!r.errors.empty()) {
        out += "\nFailed sends by errno\n";
        TextTable t({"<ERRNO", "PACKETS"});
        for (const auto& [e, n] : r.errors) t.row({e, std::to_string(n)});
        t.render(out);
    }
}

void lost(std::string& out, const Report& r) {
    out += "\nLost events\n";
    if (!r.footer) {
        out += "  unknown: the trace has no footer (the recording did not finish)\n";
        return;
    }
    const TraceFooter& f = *r.footer;
    out += fmt::format("  lost {}, lost sends {}, untracked {}, unfinished {}\n", f.lost, f.lost_sends, f.untracked,
                       f.unfinished);
    for (const auto& [stage, n] : f.lost_by_stage) out += fmt::format("    {:<16} {}\n", stage, n);
    if (!f.missed_runs.empty()) out += "  program runs the kernel skipped (already running on that CPU):\n";
    for (const auto& [prog, n] : f.missed_runs) out += fmt::format("    {:<24} {}\n", prog, n);
    if (f.receive_unseen)
        out += fmt::format("  handed off while the receive hooks were detached: {} packets without their receive\n",
                           f.receive_unseen);
    if (f.unselected)
        out += fmt::format("  selected trace (--slower-than/--drops-only): {} packets not selected, not in this trace\n",
                           *f.unselected);
}

void hooks(std::string& out, const Report& r) {
    out += "\nHooks used\n";
    if (r.header.stages.empty()) {
        out += "  (the header lists none)\n";
        return;
    }
    TextTable t({"<STAGE", "<HOOK"});
    for (const StageHook& h : r.header.stages) {
        t.row({std::string(stage_name(h.stage)), h.available ? h.hook : "-- not hooked"});
        for (const auto& why : h.rejected) t.row({"", "rejected " + why});
    }
    t.render(out);
}

}  // namespace

std::string render_report_text(const Report& r, const TextReportOptions& opt) {
    std::string out;
    summary(out, r);
    stages(out, r);
    histogram(out, r);
    flows(out, r, opt.top_flows);
    hops(out, r);
    drops(out, r);
    lost(out, r);
    hooks(out, r);
    return out;
}

}  // namespace txray
