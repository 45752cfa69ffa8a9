#include "pcapng_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/duration.h"
#include "core/hops.h"
#include "exporter.h"
#include "pcapng_writer.h"
#include "core/stats.h"

namespace txray {

std::string pcapng_comment(const Packet& p, std::size_t hop) {
    const std::string& dev = hop < p.hops.size() ? p.hops[hop].ifname : p.ifname;
    std::string c = fmt::format("txray id={} send={} pid={} tid={} comm={} dev={} q={} outcome={} e2e={}", p.id,
                                p.send_id, p.pid, p.tid, p.comm, dev.empty() ? "-" : dev, p.queue,
                                p.outcome_string(), format_duration_ns(end_to_end_ns(p)));
    if (p.hops.size() > 1) c += fmt::format(" hop={}/{} path={}", hop + 1, p.hops.size(), hop_path(p, ">"));
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        c += " | ";
        c += stage_name(p.stages[i].stage);
        if (i) c += " +" + format_duration_ns(p.stages[i].ts_ns - p.stages[i - 1].ts_ns);
    }
    return c;
}

std::uint64_t wire_ts(const Packet& p, std::size_t hop) {
    for (Stage s : {Stage::driver_xmit, Stage::drop})
        for (const StageMark& m : p.stages)
            if (m.stage == s && m.hop == hop) return m.ts_ns;
    std::uint64_t last = 0;
    for (const StageMark& m : p.stages)
        if (m.hop == hop) last = std::max(last, m.ts_ns);
    return last ? last : p.last_ts();
}

const std::vector<std::uint8_t>* hop_headers(const Packet& p, std::size_t hop) {
    if (hop == 0 || hop >= p.hops.size()) return p.headers.empty() ? nullptr : &p.headers;
    const Hop& h = p.hops[hop];
    if (!h.headers.empty()) return &h.headers;
    return h.flow || p.headers.empty() ? nullptr : &p.headers;
}

std::uint32_t original_length(const std::vector<std::uint8_t>& h, std::uint32_t len) {
    const std::uint32_t fallback = std::max<std::uint32_t>(static_cast<std::uint32_t>(h.size()), len);
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
    struct Frame {
        const Packet* p;
        std::size_t hop;
        const std::vector<std::uint8_t>* bytes;
        std::uint64_t ts;
    };
    std::vector<Frame> list;
    for (const Packet& p : packets) {
        if (p.headers.empty() && std::none_of(p.hops.begin(), p.hops.end(), [](const Hop& x) { return !x.headers.empty(); })) {
            ++st.without_headers;
            continue;
        }
        for (std::size_t hop = 0; hop < std::max<std::size_t>(p.hops.size(), 1); ++hop) {
            if (const auto* bytes = hop_headers(p, hop)) list.push_back({&p, hop, bytes, wire_ts(p, hop)});
            else ++st.hops_without_headers;
        }
    }
    std::stable_sort(list.begin(), list.end(), [](const Frame& a, const Frame& b) { return a.ts < b.ts; });
    PcapngWriter w(out, h.tool.empty() ? "txray" : h.tool + " (txray export)");
    std::map<std::string, std::uint32_t> ifaces;
    for (const Frame& f : list) {
        const Packet& p = *f.p;
        const std::string& name = f.hop < p.hops.size() ? p.hops[f.hop].ifname : p.ifname;
        const std::string dev = name.empty() ? "unknown" : name;
        auto it = ifaces.find(dev);
        if (it == ifaces.end()) it = ifaces.emplace(dev, w.add_interface(kLinktypeRaw, dev)).first;
        const std::int64_t wall = static_cast<std::int64_t>(f.ts) + h.wall_offset_ns;
        w.packet(it->second, wall > 0 ? static_cast<std::uint64_t>(wall) : 0, *f.bytes, original_length(*f.bytes, p.len),
                 pcapng_comment(p, f.hop));
        ++st.written;
    }
    st.interfaces = ifaces.size();
    st.io_error = !w.ok();
    return st;
}

Exporter pcapng_exporter() {
    return {"pcapng", "pcapng: the captured headers (a frame per hop), each packet's timeline as its comment", true, true,
            [](const TraceHeader& h, const std::vector<Packet>& packets, std::FILE* out) {
                const PcapngStats st = write_pcapng(h, packets, out);
                std::string line = fmt::format("{} packets on {} interfaces", st.written, st.interfaces);
                if (st.without_headers)
                    line += fmt::format("; {} packets had no captured headers and were left out", st.without_headers);
                if (st.hops_without_headers)
                    line += fmt::format("; {} hops changed the headers without a capture there and were left out",
                                        st.hops_without_headers);
                return line;
            }};
}

}  // namespace txray
