#include "trace_reader.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace txray {
namespace {

using nlohmann::json;

template <typename T>
T get_or(const json& j, const char* key, T dflt) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return dflt;
    return it->get<T>();
}

std::uint64_t parse_hex(const std::string& s) {
    return std::strtoull(s.c_str(), nullptr, s.rfind("0x", 0) == 0 ? 16 : 10);
}

bool packet_from_json(const json& j, Packet& p, std::string& err) {
    try {
        p.id = j.at("id").get<std::uint64_t>();
        if (auto it = j.find("skb"); it != j.end())
            p.skb = it->is_string() ? parse_hex(it->get<std::string>()) : it->get<std::uint64_t>();
        p.send_id = get_or<std::uint64_t>(j, "send", 0);
        p.msg_index = get_or<std::uint32_t>(j, "msg", 0);
        p.parent_id = get_or<std::uint64_t>(j, "parent", 0);
        p.pid = j.at("pid").get<std::uint32_t>();
        p.tid = j.at("tid").get<std::uint32_t>();
        p.comm = j.at("comm").get<std::string>();
        p.cgroup_id = get_or<std::uint64_t>(j, "cgroup", 0);
        p.netns = get_or<std::uint32_t>(j, "netns", 0);
        p.ifname = j.at("ifname").get<std::string>();
        p.ifindex = get_or<std::uint32_t>(j, "ifindex", 0);
        p.queue = get_or<std::uint16_t>(j, "queue", 0);
        p.len = j.at("len").get<std::uint32_t>();
        const json& f = j.at("flow");
        p.flow.family = f.at("family").get<std::uint8_t>();
        auto proto = proto_from_name(f.at("proto").get<std::string>());
        if (!proto) throw std::runtime_error("unknown proto");
        p.flow.proto = *proto;
        if (p.flow.family == 4 || p.flow.family == 6) {
            auto s = addr_from_string(p.flow.family, f.at("saddr").get<std::string>());
            auto d = addr_from_string(p.flow.family, f.at("daddr").get<std::string>());
            if (!s || !d) throw std::runtime_error("bad address in flow");
            p.flow.saddr = *s;
            p.flow.daddr = *d;
        }
        p.flow.sport = get_or<std::uint16_t>(f, "sport", 0);
        p.flow.dport = get_or<std::uint16_t>(f, "dport", 0);
        if (auto it = j.find("frag"); it != j.end() && it->is_object()) {
            p.fragment = true;
            p.frag_offset = get_or<std::uint16_t>(*it, "offset", 0);
            p.frag_more = get_or<bool>(*it, "more", false);
        }
        p.requeues = get_or<std::uint16_t>(j, "requeues", 0);
        if (auto it = j.find("gso"); it != j.end() && it->is_object()) {
            p.gso_segs = get_or<std::uint16_t>(*it, "segs", 0);
            p.gso_size = get_or<std::uint16_t>(*it, "size", 0);
        }
        if (!parse_outcome(j.at("outcome").get<std::string>(), p)) throw std::runtime_error("unknown outcome");
        if (auto it = j.find("errno"); it != j.end() && it->is_string()) p.send_errno = it->get<std::string>();
        const json& st = j.at("stages");
        if (!st.is_array()) throw std::runtime_error("stages is not an array");
        p.stages.reserve(st.size());
        for (const json& s : st) {
            auto name = s.at("name").get<std::string>();
            auto stage = stage_from_name(name);
            if (!stage) continue;  // a stage from a newer minor version: ignore
            p.stages.push_back({*stage, s.at("ts_ns").get<std::uint64_t>()});
            if (*stage == Stage::xmit_done) p.xmit_rc = get_or<std::int32_t>(s, "rc", 0);
            if (*stage == Stage::drop && s.contains("reason")) p.drop_reason = s["reason"].get<std::string>();
            if (*stage == Stage::sendmsg_return && s.contains("ret")) p.send_ret = s["ret"].get<std::int64_t>();
        }
        p.sort_stages();
        return true;
    } catch (const std::exception& e) {
        err = e.what();
        return false;
    }
}

bool header_from_json(const json& j, TraceHeader& h, std::string& err) {
    try {
        if (get_or<std::string>(j, "format", "") != kTraceFormatName) {
            err = "not a txray trace (header has no \"format\":\"txray-trace\")";
            return false;
        }
        auto v = j.at("version").get<std::string>();
        if (std::sscanf(v.c_str(), "%d.%d", &h.version_major, &h.version_minor) != 2) {
            err = "bad version \"" + v + "\"";
            return false;
        }
        if (h.version_major > kTraceVersionMajor) {
            err = fmt::format("trace format version {} is newer than this txray reads ({}.x): upgrade txray", v,
                              kTraceVersionMajor);
            return false;
        }
        h.host = get_or<std::string>(j, "host", "");
        h.kernel = get_or<std::string>(j, "kernel", "");
        h.clock = get_or<std::string>(j, "clock", "CLOCK_MONOTONIC");
        h.wall_offset_ns = get_or<std::int64_t>(j, "wall_offset_ns", 0);
        h.start_ns = get_or<std::uint64_t>(j, "start_ns", 0);
        h.tool = get_or<std::string>(j, "tool", "");
        if (auto it = j.find("stages"); it != j.end() && it->is_array()) {
            for (const json& s : *it) {
                auto st = stage_from_name(get_or<std::string>(s, "name", ""));
                if (!st) continue;
                StageHook sh{*st, get_or<bool>(s, "available", false), get_or<std::string>(s, "hook", ""), {}};
                if (auto r = s.find("rejected"); r != s.end() && r->is_array())
                    for (const json& x : *r) sh.rejected.push_back(x.get<std::string>());
                h.stages.push_back(std::move(sh));
            }
        }
        if (auto it = j.find("filters"); it != j.end() && it->is_object())
            for (auto& [k, v2] : it->items()) h.filters.emplace_back(k, v2.is_string() ? v2.get<std::string>() : v2.dump());
        return true;
    } catch (const std::exception& e) {
        err = e.what();
        return false;
    }
}

bool footer_from_json(const json& j, TraceFooter& f, std::string& err) {
    try {
        f.end_ns = get_or<std::uint64_t>(j, "end_ns", 0);
        f.packets = get_or<std::uint64_t>(j, "packets", 0);
        f.sends = get_or<std::uint64_t>(j, "sends", 0);
        f.dropped = get_or<std::uint64_t>(j, "dropped", 0);
        f.lost = get_or<std::uint64_t>(j, "lost", 0);
        f.lost_sends = get_or<std::uint64_t>(j, "lost_sends", 0);
        f.untracked = get_or<std::uint64_t>(j, "untracked", 0);
        f.unfinished = get_or<std::uint64_t>(j, "unfinished", 0);
        if (auto it = j.find("lost_by_stage"); it != j.end() && it->is_object())
            for (auto& [k, v] : it->items()) f.lost_by_stage[k] = v.get<std::uint64_t>();
        return true;
    } catch (const std::exception& e) {
        err = e.what();
        return false;
    }
}

bool looks_binary(const std::string& s) {
    for (unsigned char c : s)
        if (c == 0 || (c < 0x20 && c != '\t' && c != '\r')) return true;
    return false;
}

}  // namespace

bool packet_from_json_text(const std::string& line, Packet& out, std::string& err) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        err = "not a JSON object";
        return false;
    }
    return packet_from_json(j, out, err);
}

std::string ReadStatus::summary() const {
    if (error.empty()) return "";
    if (stopped_line) return fmt::format("stopped at line {}: {}", stopped_line, error);
    return error;
}

ReadStatus read_trace(std::istream& in, TraceSink& sink, const ReadOptions& opt) {
    ReadStatus st;
    std::string line;
    std::uint64_t bytes = 0;
    bool have_header = false;
    auto stop = [&](std::size_t n, std::string why, bool fatal) {
        st.stopped_line = n;
        st.error = std::move(why);
        st.fatal = fatal;
    };
    for (std::size_t n = 1;; ++n) {
        if (opt.cancel && opt.cancel->load(std::memory_order_relaxed)) {
            st.cancelled = true;
            stop(n, "cancelled", false);
            break;
        }
        if (!std::getline(in, line)) {
            if (n == 1) stop(0, "empty file: no trace header", true);
            break;
        }
        bool complete = !in.eof();  // the last line has no newline: the writer was cut off
        bytes += line.size() + 1;
        st.lines = n;
        if (opt.progress && (n & 4095) == 0) opt.progress(bytes);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line.size() > opt.max_line) {
            std::string why = fmt::format("line too long ({} bytes)", line.size());
            if (!have_header) { stop(n, "not a txray trace: " + why, true); break; }
            if (opt.strict) { stop(n, why, false); break; }
            st.warnings.push_back(fmt::format("line {}: {}, skipped", n, why));
            continue;
        }
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            if (!have_header) {
                stop(n, looks_binary(line) ? "not a txray trace: binary data" : "not a txray trace: line 1 is not a JSON object", true);
                break;
            }
            std::string why = complete ? "not valid JSON" : "truncated record (file ends mid-line)";
            if (!complete || opt.strict) { stop(n, why, false); break; }
            st.warnings.push_back(fmt::format("line {}: {}, skipped", n, why));
            continue;
        }
        std::string type = j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : "";
        std::string err;
        if (!have_header) {
            TraceHeader h;
            if (type != "header") { stop(n, "not a txray trace: the first record is not a header", true); break; }
            if (!header_from_json(j, h, err)) { stop(n, err, true); break; }
            have_header = true;
            sink.on_header(h);
            continue;
        }
        if (type == "packet") {
            Packet p;
            if (!packet_from_json(j, p, err)) {
                if (opt.strict) { stop(n, "bad packet: " + err, false); break; }
                st.warnings.push_back(fmt::format("line {}: bad packet ({}), skipped", n, err));
                continue;
            }
            ++st.packets;
            sink.on_packet(std::move(p));
        } else if (type == "footer") {
            TraceFooter f;
            if (!footer_from_json(j, f, err)) {
                st.warnings.push_back(fmt::format("line {}: bad footer ({}), ignored", n, err));
                continue;
            }
            st.has_footer = true;
            sink.on_footer(f);
        } else if (type == "header") {
            st.warnings.push_back(fmt::format("line {}: second header, ignored", n));
        }
        // Other types: from a newer minor version; ignored by design.
    }
    if (opt.progress) opt.progress(bytes);
    if (st.error.empty() && !st.has_footer && have_header)
        st.warnings.push_back("no footer: the recording did not finish (killed?); every complete record was loaded");
    return st;
}

Trace load_trace(const std::string& path, const ReadOptions& opt) {
    Trace t;
    struct Collect : TraceSink {
        Trace& t;
        explicit Collect(Trace& tr) : t(tr) {}
        void on_header(const TraceHeader& h) override { t.header = h; }
        void on_packet(Packet&& p) override { t.packets.push_back(std::move(p)); }
        void on_footer(const TraceFooter& f) override { t.footer = f; }
    } sink(t);
    if (path == "-") {
        t.status = read_trace(std::cin, sink, opt);
        return t;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        t.status.fatal = true;
        t.status.error = fmt::format("cannot open {}: {}", path, std::strerror(errno));
        return t;
    }
    t.status = read_trace(in, sink, opt);
    return t;
}

}  // namespace txray
