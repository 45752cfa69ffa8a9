#include "pcapng_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/duration.h"
#include "exporter.h"
#include "pcapng_writer.h"
#include "core/stats.h"

namespace txray {

std::string pcapng_comment(const Packet& p) {
    std::string c = fmt::format("txray id={} send={} pid={} tid={} comm={} dev={} q={} outcome={} e2e={}", p.id,
                                p.send_id, p.pid, p.tid, p.comm, p.ifname.empty() ? "-" : p.ifname, p.queue,
                                p.outcome_string(), format_duration_ns(end_to_end_ns(p)));
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        c += " | ";
        c += stage_name(p.stages[i].stage);
        if (i) c += " +" + format_duration_ns(p.stages[i].ts_ns - p.stages[i - 1].ts_ns);
    }
    return c;
}

std::uint64_t wire_ts(const Packet& p) {
    for (Stage s : {Stage::driver_xmit, Stage::drop})
        if (const StageMark* m = p.find(s)) return m->ts_ns;
    return p.last_ts();
}

std::uint32_t original_length(const Packet& p) {
    const auto& h = p.headers;
    const std::uint32_t fallback = std::max<std::uint32_t>(static_cast<std::uint32_t>(h.size()), p.len);
    if (h.size() >= 4 && (h[0] >> 4) == 4) {
        const std::uint32_t total = (std::uint32_t{h[2]} << 8) | h[3];
        if (total >= h.size()) return total;
    }
    if (h.size() >= 6 && (h[0] >> 4) == 6) {
        const std::uint32_t total = ((std::uint32_t{h[4]} << 8) | h[5]) + 40;
        if (total >= h.size()) return total;
    }
    return fallback;
}

PcapngStats write_pcapng(const TraceHeader& h, const std::vector<Packet>& packets, std::FILE* out) {
    PcapngStats st;
    std::vector<const Packet*> list;
    for (const Packet& p : packets) {
        if (p.headers.empty()) ++st.without_headers;
        else list.push_back(&p);
    }
    std::stable_sort(list.begin(), list.end(), [](const Packet* a, const Packet* b) { return wire_ts(*a) < wire_ts(*b); });
    PcapngWriter w(out, h.tool.empty() ? "txray" : h.tool + " (txray export)");
    std::map<std::string, std::uint32_t> ifaces;
    for (const Packet* p : list) {
        const std::string dev = p->ifname.empty() ? "unknown" : p->ifname;
        auto it = ifaces.find(dev);
        if (it == ifaces.end()) it = ifaces.emplace(dev, w.add_interface(kLinktypeRaw, dev)).first;
        const std::int64_t wall = static_cast<std::int64_t>(wire_ts(*p)) + h.wall_offset_ns;
        w.packet(it->second, wall > 0 ? static_cast<std::uint64_t>(wall) : 0, p->headers, original_length(*p),
                 pcapng_comment(*p));
        ++st.written;
    }
    st.interfaces = ifaces.size();
    st.io_error = !w.ok();
    return st;
}

Exporter pcapng_exporter() {
    return {"pcapng", "pcapng: the captured headers, each packet's timeline as its comment", true, true,
            [](const TraceHeader& h, const std::vector<Packet>& packets, std::FILE* out) {
                const PcapngStats st = write_pcapng(h, packets, out);
                std::string line = fmt::format("{} packets on {} interfaces", st.written, st.interfaces);
                if (st.without_headers)
                    line += fmt::format("; {} packets had no captured headers and were left out", st.without_headers);
                return line;
            }};
}

}  // namespace txray
