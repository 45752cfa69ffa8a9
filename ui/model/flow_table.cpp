#include "flow_table.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>
#include <tuple>

#include "time_format.h"

namespace txray::ui {
namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string endpoint(const Flow& f, bool src) {
    if (f.family == 0) return "-";
    const auto addr = addr_to_string(f.family, src ? f.saddr : f.daddr);
    if (f.has_icmp) return addr;  // no ports: type/code are in the Proto column
    const auto port = std::to_string(src ? f.sport : f.dport);
    return f.family == 6 ? "[" + addr + "]:" + port : addr + ":" + port;
}

}  // namespace

std::string_view column_name(FlowColumn c) {
    static constexpr std::array<std::string_view, 11> names{"#", "Proto", "Source", "Destination", "Process", "Iface",
                                                            "Packets", "Bytes", "p50", "p99", "Drops"};
    return names[static_cast<std::size_t>(c)];
}

std::string flow_cell(const FlowTrack& f, FlowColumn c) {
    switch (c) {
    case FlowColumn::id: return std::to_string(f.id);
    case FlowColumn::proto:
        if (f.flow.family == 0) return f.flow.ethertype ? ethertype_to_string(f.flow.ethertype) : "-";
        if (f.flow.has_icmp) return proto_name(f.flow.proto) + " " + icmp_to_string(f.flow.proto, f.flow.icmp_type, f.flow.icmp_code);
        return proto_name(f.flow.proto);
    case FlowColumn::source: return endpoint(f.flow, true);
    case FlowColumn::destination: return endpoint(f.flow, false);
    case FlowColumn::process: return f.comm + (f.pid ? " (" + std::to_string(f.pid) + ")" : "");
    case FlowColumn::iface: return f.ifname;
    case FlowColumn::packets: return std::to_string(f.packets);
    case FlowColumn::bytes: return std::to_string(f.bytes);
    case FlowColumn::p50: return f.p50_ns ? format_duration(static_cast<double>(f.p50_ns)) : "-";
    case FlowColumn::p99: return f.p99_ns ? format_duration(static_cast<double>(f.p99_ns)) : "-";
    case FlowColumn::drops: return std::to_string(f.drops);
    case FlowColumn::count: break;
    }
    return {};
}

std::vector<std::uint32_t> flow_rows(const TimelineData& d, const FlowQuery& q) {
    std::vector<std::string> terms;
    {
        std::istringstream in(lower(q.filter));
        for (std::string t; in >> t;) terms.push_back(t);
    }
    std::vector<std::uint32_t> rows;
    for (std::uint32_t i = 0; i < d.flows.size(); ++i) {
        const FlowTrack& f = d.flows[i];
        if (q.only_drops && f.drops == 0) continue;
        if (!terms.empty()) {
            std::string hay;
            for (auto c : {FlowColumn::id, FlowColumn::proto, FlowColumn::source, FlowColumn::destination,
                           FlowColumn::process, FlowColumn::iface})
                hay += flow_cell(f, c) + " ";
            hay = lower(hay);
            if (!std::all_of(terms.begin(), terms.end(), [&](const std::string& t) { return hay.find(t) != std::string::npos; }))
                continue;
        }
        rows.push_back(i);
    }
    auto key_less = [&](const FlowTrack& a, const FlowTrack& b) -> int {  // -1, 0, 1
        auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : y < x ? 1 : 0; };
        switch (q.sort) {
        case FlowColumn::proto: return cmp(a.flow.proto, b.flow.proto);
        case FlowColumn::source: return cmp(std::tie(a.flow.family, a.flow.saddr, a.flow.sport), std::tie(b.flow.family, b.flow.saddr, b.flow.sport));
        case FlowColumn::destination: return cmp(std::tie(a.flow.family, a.flow.daddr, a.flow.dport), std::tie(b.flow.family, b.flow.daddr, b.flow.dport));
        case FlowColumn::process: return cmp(a.comm, b.comm);
        case FlowColumn::iface: return cmp(a.ifname, b.ifname);
        case FlowColumn::packets: return cmp(a.packets, b.packets);
        case FlowColumn::bytes: return cmp(a.bytes, b.bytes);
        case FlowColumn::p50: return cmp(a.p50_ns, b.p50_ns);
        case FlowColumn::p99: return cmp(a.p99_ns, b.p99_ns);
        case FlowColumn::drops: return cmp(a.drops, b.drops);
        default: return cmp(a.id, b.id);
        }
    };
    std::stable_sort(rows.begin(), rows.end(), [&](std::uint32_t x, std::uint32_t y) {
        const int c = key_less(d.flows[x], d.flows[y]);
        if (c != 0) return q.ascending ? c < 0 : c > 0;
        return d.flows[x].id < d.flows[y].id;
    });
    return rows;
}

}  // namespace txray::ui
