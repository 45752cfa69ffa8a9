#include "perfetto_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/hops.h"
#include "core/lanes.h"
#include "exact_time.h"
#include "exporter.h"
#include "core/trace_writer.h"

namespace txray {
namespace {

// Buffers events and writes them in large pieces; separates them with commas.
class EventOut {
public:
    explicit EventOut(std::FILE* f) : f_(f) {}
    ~EventOut() { flush(); }
    EventOut(const EventOut&) = delete;
    EventOut& operator=(const EventOut&) = delete;
    std::string& next() {
        if (!first_) buf_ += ",\n";
        first_ = false;
        if (buf_.size() > (1u << 20)) flush();
        return buf_;
    }
    std::string& raw() { return buf_; }
    void flush() {
        std::fwrite(buf_.data(), 1, buf_.size(), f_);
        buf_.clear();
    }

private:
    std::FILE* f_;
    std::string buf_;
    bool first_ = true;
};

void metadata(EventOut& o, const char* what, std::uint32_t pid, std::uint32_t tid, const std::string& name) {
    std::string& s = o.next();
    fmt::format_to(std::back_inserter(s), R"({{"ph":"M","name":"{}","pid":{},"tid":{},"args":{{"name":)", what, pid, tid);
    append_json_string(s, name);
    s += "}}";
}

void slice(std::string& s, std::string_view name, const char* cat, std::uint32_t pid, std::uint32_t tid,
           std::int64_t ts, std::int64_t dur) {
    fmt::format_to(std::back_inserter(s), R"({{"ph":"X","cat":"{}","pid":{},"tid":{},"name":)", cat, pid, tid);
    append_json_string(s, name);
    s += R"(,"ts":)";
    append_exact_us(s, ts);
    s += R"(,"dur":)";
    append_exact_us(s, dur);
}

void packet_events(EventOut& o, const Packet& p, std::uint32_t pid, std::uint32_t tid, std::uint64_t origin) {
    const auto rel = [&](std::uint64_t t) { return static_cast<std::int64_t>(t - origin); };
    std::string& s = o.next();
    slice(s, fmt::format("#{} {}", p.id, p.outcome_string()), "packet", pid, tid, rel(p.first_ts()),
          static_cast<std::int64_t>(p.last_ts() - p.first_ts()));
    fmt::format_to(std::back_inserter(s), R"(,"args":{{"id":{},"send":{},"msg":{},"skb":"0x{:x}","pid":{},"tid":{},"comm":)",
                   p.id, p.send_id, p.msg_index, p.skb, p.pid, p.tid);
    append_json_string(s, p.comm);
    s += R"(,"ifname":)";
    append_json_string(s, p.ifname);
    fmt::format_to(std::back_inserter(s), R"(,"queue":{},"len":{},"outcome":)", p.queue, p.len);
    append_json_string(s, p.outcome_string());
    fmt::format_to(std::back_inserter(s), R"(,"flow":"{}","first_ts_ns":{}}}}})", flow_to_string(p.flow), p.first_ts());
    // Across devices (format 1.3): a slice per hop, named by its device, that
    // holds the hop's stages (time on a hop: core/hops.h). Stages after the
    // last hop's end (the syscall's return) sit in the packet's slice.
    const bool multi_hop = p.hops.size() > 1;
    const std::vector<HopSpan> spans = multi_hop ? hop_spans(p) : std::vector<HopSpan>{};
    std::vector<std::uint64_t> hop_end(p.hops.size(), 0);
    for (const HopSpan& span : spans) {
        const Hop& hop = p.hops[span.hop];
        hop_end[span.hop] = span.end_ns;
        std::string& hs = o.next();
        slice(hs, hop.ifname, "hop", pid, tid, rel(span.start_ns), static_cast<std::int64_t>(span.duration_ns()));
        fmt::format_to(std::back_inserter(hs), R"(,"args":{{"hop":{},"ifname":)", span.hop);
        append_json_string(hs, hop.ifname);
        fmt::format_to(std::back_inserter(hs), R"(,"ifindex":{},"netns":{},"flow":"{}"}}}})", hop.ifindex, hop.netns,
                       flow_to_string(hop_flow(p, span.hop)));
    }
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        const StageMark& m = p.stages[i];
        std::uint64_t end = i + 1 < p.stages.size() ? p.stages[i + 1].ts_ns : m.ts_ns;
        // A hop's last stage ends with the hop, so it stays inside the hop's slice.
        if (multi_hop && m.hop < hop_end.size() && m.ts_ns <= hop_end[m.hop]) end = std::min(end, hop_end[m.hop]);
        std::string& c = o.next();
        slice(c, stage_name(m.stage), "stage", pid, tid, rel(m.ts_ns), static_cast<std::int64_t>(end - m.ts_ns));
        fmt::format_to(std::back_inserter(c), R"(,"args":{{"ts_ns":{},"dt_ns":{})", m.ts_ns,
                       i ? m.ts_ns - p.stages[i - 1].ts_ns : 0);
        if (multi_hop) fmt::format_to(std::back_inserter(c), R"(,"hop":{})", m.hop);
        c += "}}";
    }
}

}  // namespace

PerfettoStats write_perfetto_json(const TraceHeader& h, const std::vector<Packet>& packets, std::FILE* out) {
    PerfettoStats st;
    std::uint64_t origin = h.start_ns ? h.start_ns : UINT64_MAX;
    std::map<Flow, std::vector<const Packet*>> flows;
    for (const Packet& p : packets) {
        if (p.stages.empty()) continue;  // nothing to draw
        origin = std::min(origin, p.first_ts());
        flows[p.flow].push_back(&p);
    }
    if (origin == UINT64_MAX) origin = 0;

    EventOut o(out);
    o.raw() += R"({"displayTimeUnit":"ns","otherData":{"format":"txray-trace","host":)";
    append_json_string(o.raw(), h.host);
    o.raw() += R"(,"kernel":)";
    append_json_string(o.raw(), h.kernel);
    fmt::format_to(std::back_inserter(o.raw()), R"(,"origin_ns":"{}","wall_offset_ns":"{}"}},"traceEvents":[)", origin,
                   h.wall_offset_ns);
    std::uint32_t pid = 0;
    for (const auto& [flow, list] : flows) {
        ++pid;
        metadata(o, "process_name", pid, 0, flow_to_string(flow));
        std::vector<Interval> iv;
        iv.reserve(list.size());
        for (const Packet* p : list) iv.push_back({p->first_ts(), p->last_ts()});
        std::uint32_t lanes = 0;
        const std::vector<std::uint32_t> lane = assign_lanes(iv, &lanes);
        for (std::uint32_t l = 0; l < lanes; ++l) metadata(o, "thread_name", pid, l + 1, fmt::format("lane {}", l + 1));
        for (std::size_t i = 0; i < list.size(); ++i) {
            packet_events(o, *list[i], pid, lane[i] + 1, origin);
            st.stages += list[i]->stages.size();
        }
        st.lanes += lanes;
        st.packets += list.size();
    }
    st.flows = flows.size();
    o.raw() += "\n]}\n";
    return st;
}

Exporter perfetto_exporter() {
    return {"perfetto", "Perfetto/Chrome JSON: flows as processes, packets as slices with nested hops and stages", false,
            false,
            [](const TraceHeader& h, const std::vector<Packet>& packets, std::FILE* out) {
                const PerfettoStats st = write_perfetto_json(h, packets, out);
                return fmt::format("{} packets ({} stages) in {} flows on {} lanes", st.packets, st.stages, st.flows,
                                   st.lanes);
            }};
}

}  // namespace txray
