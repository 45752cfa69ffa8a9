#include "trace_writer.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace txray {

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c >= 0x7f) fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
            else out.push_back(static_cast<char>(c));
        }
    }
    out.push_back('"');
}

void append_packet_json(std::string& out, const Packet& p) {
    auto it = std::back_inserter(out);
    fmt::format_to(it, R"({{"type":"packet","id":{},"skb":"0x{:x}","send":{},"msg":{},)", p.id, p.skb,
                   p.send_id, p.msg_index);
    if (p.parent_id) fmt::format_to(it, R"("parent":{},)", p.parent_id);
    fmt::format_to(it, R"("pid":{},"tid":{},"comm":)", p.pid, p.tid);
    append_json_string(out, p.comm);
    fmt::format_to(it, R"(,"cgroup":{},"netns":{},"ifname":)", p.cgroup_id, p.netns);
    append_json_string(out, p.ifname);
    fmt::format_to(it, R"(,"ifindex":{},"queue":{},"len":{},"flow":{{"family":{},"proto":"{}","saddr":"{}","daddr":"{}","sport":{},"dport":{}}})",
                   p.ifindex, p.queue, p.len, p.flow.family, proto_name(p.flow.proto),
                   addr_to_string(p.flow.family, p.flow.saddr), addr_to_string(p.flow.family, p.flow.daddr),
                   p.flow.sport, p.flow.dport);
    if (p.fragment)
        fmt::format_to(it, R"(,"frag":{{"offset":{},"more":{}}})", p.frag_offset, p.frag_more);
    if (p.requeues) fmt::format_to(it, R"(,"requeues":{})", p.requeues);
    if (p.sock) fmt::format_to(it, R"(,"sock":"0x{:x}")", p.sock);
    if (p.has_tcp)
        fmt::format_to(it, R"(,"tcp":{{"seq":{},"end_seq":{},"flags":{}}})", p.tcp_seq, p.tcp_end_seq, p.tcp_flags);
    if (p.retransmit) fmt::format_to(it, R"(,"retransmit":true,"retransmit_of":{})", p.retransmit_of);
    if (p.send_by_seq) out += R"(,"send_by_seq":true)";
    if (p.gso_segment) out += R"(,"gso_segment":true)";
    if (p.has_qdisc) fmt::format_to(it, R"(,"qdisc":{{"backlog":{},"qlen":{}}})", p.qdisc_backlog, p.qdisc_qlen);
    if (p.gso_segs > 1) fmt::format_to(it, R"(,"gso":{{"segs":{},"size":{}}})", p.gso_segs, p.gso_size);
    out += R"(,"outcome":)";
    append_json_string(out, p.outcome_string());
    if (!p.send_errno.empty()) {
        out += R"(,"errno":)";
        append_json_string(out, p.send_errno);
    }
    if (!p.headers.empty()) {
        static constexpr char kHex[] = "0123456789abcdef";
        out += R"(,"headers":")";
        for (std::uint8_t b : p.headers) {
            out.push_back(kHex[b >> 4]);
            out.push_back(kHex[b & 15]);
        }
        out.push_back('"');
    }
    out += R"(,"stages":[)";
    std::uint64_t prev = 0;
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        const auto& m = p.stages[i];
        if (i) out.push_back(',');
        fmt::format_to(it, R"({{"name":"{}","ts_ns":{},"dt_ns":{})", stage_name(m.stage), m.ts_ns,
                       i ? m.ts_ns - prev : 0);
        prev = m.ts_ns;
        if (m.stage == Stage::xmit_done && p.xmit_rc) fmt::format_to(it, R"(,"rc":{})", *p.xmit_rc);
        if (m.stage == Stage::drop) {
            out += R"(,"reason":)";
            append_json_string(out, p.drop_reason);
        }
        if (m.stage == Stage::sendmsg_return && p.send_ret) fmt::format_to(it, R"(,"ret":{})", *p.send_ret);
        out.push_back('}');
    }
    out += "]}";
}

std::string header_json(const TraceHeader& h) {
    nlohmann::json j;
    j["type"] = "header";
    j["format"] = kTraceFormatName;
    j["version"] = fmt::format("{}.{}", h.version_major, h.version_minor);
    j["host"] = h.host;
    j["kernel"] = h.kernel;
    j["clock"] = h.clock;
    j["wall_offset_ns"] = h.wall_offset_ns;
    j["start_ns"] = h.start_ns;
    j["tool"] = h.tool;
    auto& st = j["stages"] = nlohmann::json::array();
    for (const auto& s : h.stages) {
        nlohmann::json o{{"name", stage_name(s.stage)}, {"available", s.available}, {"hook", s.hook}};
        o["rejected"] = s.rejected;
        st.push_back(std::move(o));
    }
    auto& f = j["filters"] = nlohmann::json::object();
    for (const auto& [k, v] : h.filters) f[k] = v;
    return j.dump();
}

std::string footer_json(const TraceFooter& f) {
    nlohmann::json j{{"type", "footer"},       {"end_ns", f.end_ns},          {"packets", f.packets},
                     {"sends", f.sends},       {"dropped", f.dropped},        {"lost", f.lost},
                     {"lost_sends", f.lost_sends}, {"untracked", f.untracked}, {"unfinished", f.unfinished}};
    j["lost_by_stage"] = f.lost_by_stage;
    return j.dump();
}

TraceWriter::TraceWriter(std::FILE* f) : f_(f) {}

TraceWriter::TraceWriter(const std::string& path) : f_(std::fopen(path.c_str(), "w")), owned_(true) {
    if (!f_) throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
}

TraceWriter::~TraceWriter() {
    flush();
    if (owned_ && f_) std::fclose(f_);
}

void TraceWriter::line(const std::string& s) {
    buf_ += s;
    buf_.push_back('\n');
}

void TraceWriter::header(const TraceHeader& h) {
    line(header_json(h));
    flush();
}

void TraceWriter::packet(const Packet& p) {
    append_packet_json(buf_, p);
    buf_.push_back('\n');
    ++packets_;
    if (buf_.size() > (1u << 20)) flush();
}

void TraceWriter::footer(const TraceFooter& f) {
    line(footer_json(f));
    flush();
}

void TraceWriter::flush() {
    if (!f_) return;
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), f_);
    buf_.clear();
    std::fflush(f_);
}

}  // namespace txray
