#include "report_json.h"

namespace txray {
namespace {

using nlohmann::json;

json latency(const Samples& s) {
    return {{"count", s.count()},
            {"min_ns", s.percentile(0.0)},
            {"p50_ns", s.percentile(0.5)},
            {"p90_ns", s.percentile(0.9)},
            {"p99_ns", s.percentile(0.99)},
            {"p999_ns", s.percentile(0.999)},
            {"max_ns", s.percentile(1.0)}};
}

json flow_key(const Flow& f) {
    json j = {{"family", f.family},
              {"proto", proto_name(f.proto)},
              {"saddr", addr_to_string(f.family, f.saddr)},
              {"daddr", addr_to_string(f.family, f.daddr)},
              {"sport", f.sport},
              {"dport", f.dport}};
    if (f.has_icmp) {  // as in the trace (format 1.1)
        j["icmp_type"] = f.icmp_type;
        j["icmp_code"] = f.icmp_code;
    }
    if (f.ethertype) j["ethertype"] = f.ethertype;
    return j;
}

}  // namespace

json report_to_json(const Report& r) {
    json j;
    j["trace"] = {{"host", r.header.host},
                  {"kernel", r.header.kernel},
                  {"tool", r.header.tool},
                  {"version", std::to_string(r.header.version_major) + "." + std::to_string(r.header.version_minor)}};
    j["packets"] = {{"read", r.packets_read}, {"matched", r.packets_matched}};
    j["span_ns"] = r.last_ns > r.first_ns ? r.last_ns - r.first_ns : 0;
    json& out = j["outcomes"] = json::object();
    for (auto k : {OutcomeKind::sent, OutcomeKind::dropped, OutcomeKind::error, OutcomeKind::consumed,
                   OutcomeKind::unfinished})
        out[std::string(outcome_kind_name(k))] = r.outcome(k);
    j["tcp"] = {{"segments", r.tcp_segments}, {"retransmits", r.tcp_retransmits}, {"by_seq", r.tcp_by_seq}};
    j["gso_segments"] = r.gso_segments;
    if (!r.qdisc_backlog.empty())
        j["qdisc_backlog_bytes"] = {{"p50", r.qdisc_backlog.percentile(0.5)},
                                    {"p99", r.qdisc_backlog.percentile(0.99)},
                                    {"max", r.qdisc_backlog.max()}};
    if (!r.ring.empty()) j["ring"] = latency(r.ring);
    if (!r.bql_inflight.empty())
        j["bql_bytes"] = {{"inflight", {{"p50", r.bql_inflight.percentile(0.5)},
                                        {"p99", r.bql_inflight.percentile(0.99)},
                                        {"max", r.bql_inflight.max()}}},
                          {"limit", {{"p50", r.bql_limit.percentile(0.5)}, {"max", r.bql_limit.max()}}}};
    if (r.stopped_by_driver || r.stopped_by_bql || r.requeues)
        j["tx_queue"] = {{"stopped_by_driver", r.stopped_by_driver},
                         {"stopped_by_bql", r.stopped_by_bql},
                         {"requeues", r.requeues}};
    json& st = j["stages"] = json::array();
    for (Stage s : all_stages())
        if (!r.per_stage[index(s)].empty()) {
            json row = latency(r.per_stage[index(s)]);
            row["stage"] = stage_name(s);
            st.push_back(std::move(row));
        }
    j["end_to_end"] = latency(r.end_to_end);
    json& hist = j["end_to_end"]["histogram"] = json::array();
    for (std::size_t b = 0; b < 64; ++b)
        if (r.end_to_end_hist.count(b))
            hist.push_back({{"from_ns", b ? std::uint64_t{1} << b : 0}, {"count", r.end_to_end_hist.count(b)}});
    json& fl = j["flows"] = json::array();
    for (const auto& [f, s] : r.flows) {
        json row{{"flow", flow_key(f)}, {"packets", s.packets}, {"bytes", s.bytes}, {"drops", s.drops}};
        row["end_to_end"] = latency(s.end_to_end);
        fl.push_back(std::move(row));
    }
    json& hp = j["hops"] = json::array();  // format 1.3: time on each device
    for (const HopStats& h : r.hops) {
        json row = latency(h.on_hop);
        row["device"] = h.device;
        row["netns"] = h.netns;
        hp.push_back(std::move(row));
    }
    json& pa = j["paths"] = json::array();
    for (const auto& [k, s] : r.paths)
        pa.push_back({{"first_device", k.first},
                      {"last_device", k.second},
                      {"packets", s.packets},
                      {"drops", s.drops},
                      {"end_to_end", latency(s.end_to_end)}});
    json& dr = j["drops"] = json::array();
    for (const auto& [k, n] : r.drops) dr.push_back({{"reason", k.first}, {"after_stage", k.second}, {"packets", n}});
    j["errors"] = r.errors;
    if (r.footer)
        j["lost"] = {{"lost", r.footer->lost},
                     {"lost_by_stage", r.footer->lost_by_stage},
                     {"lost_sends", r.footer->lost_sends},
                     {"untracked", r.footer->untracked},
                     {"unfinished", r.footer->unfinished},
                     {"missed_runs", r.footer->missed_runs},
                     {"receive_unseen", r.footer->receive_unseen}};
    else j["lost"] = nullptr;
    if (r.footer && r.footer->unselected) j["lost"]["unselected"] = *r.footer->unselected;
    json& hk = j["hooks"] = json::array();
    for (const StageHook& h : r.header.stages)
        hk.push_back({{"stage", stage_name(h.stage)}, {"available", h.available}, {"hook", h.hook}, {"rejected", h.rejected}});
    j["read"] = {{"error", r.status.summary()}, {"warnings", r.status.warnings}};
    return j;
}

}  // namespace txray
