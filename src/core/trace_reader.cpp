#include "trace_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "line_source.h"
#include "trace_parse.h"
#include "zstd_stream.h"

namespace txray {
namespace {

using nlohmann::json;
using reader::fast_packet;
using reader::footer_from_json;
using reader::header_from_json;
using reader::LineSource;
using reader::looks_binary;
using reader::packet_from_json;

// A header line is small; a first line longer than this is not a trace.
constexpr std::size_t kMaxHeaderLine = 1u << 20;

}  // namespace

bool headers_from_hex(std::string_view hex, std::vector<std::uint8_t>& out) {
    if (hex.size() % 2) return false;
    out.resize(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto [ptr, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, out[i], 16);
        if (ec != std::errc() || ptr != hex.data() + 2 * i + 2) return false;
    }
    return true;
}

bool packet_from_json_text(const std::string& line, Packet& out, std::string& err) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        err = "not a JSON object";
        return false;
    }
    return packet_from_json(j, out, err);
}

bool packet_from_json_fast(std::string_view line, Packet& out) { return fast_packet(line, out); }

std::string ReadStatus::summary() const {
    if (error.empty()) return "";
    if (stopped_line) return fmt::format("stopped at line {}: {}", stopped_line, error);
    return error;
}

namespace {

// The record-level state machine: takes lines in order, feeds the sink, and
// decides when to stop. `fast` is the line's fast-parsed packet, if any.
class RecordHandler {
public:
    RecordHandler(TraceSink& sink, const ReadOptions& opt, ReadStatus& st) : sink_(sink), opt_(opt), st_(st) {}

    // false: stop reading.
    bool too_long(std::size_t n, std::string_view head, std::size_t length) {
        std::string why = fmt::format("line too long ({} bytes)", length);
        if (!have_header_)
            return stop(n, looks_binary(head) ? "not a txray trace: binary data" : "not a txray trace: " + why, true);
        return bad_line(n, why);
    }

    // fast: the packet the batch parsed from this line; tried: the batch tried and failed.
    bool line(std::size_t n, std::string_view text, bool complete, Packet* fast, bool tried) {
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        if (text.find_first_not_of(" \t") == std::string_view::npos) return true;
        if (have_header_) {
            Packet p;
            if (fast || (!tried && fast_packet(text, p))) {
                ++st_.packets;
                sink_.on_packet(std::move(fast ? *fast : p));
                return true;
            }
        }
        return slow_line(n, text, complete);
    }

    bool have_header() const { return have_header_; }

private:
    bool stop(std::size_t n, std::string why, bool fatal) {
        st_.stopped_line = n;
        st_.error = std::move(why);
        st_.fatal = fatal;
        return false;
    }
    bool bad_line(std::size_t n, const std::string& why) {
        if (opt_.strict) return stop(n, why, false);
        st_.warnings.push_back(fmt::format("line {}: {}, skipped", n, why));
        return true;
    }

    // Anything the fast parser declined: headers, footers, odd or bad packets.
    bool slow_line(std::size_t n, std::string_view text, bool complete) {
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            if (!have_header_)
                return stop(n, looks_binary(text) ? "not a txray trace: binary data"
                                                  : fmt::format("not a txray trace: line {} is not a JSON object", n),
                            true);
            if (!complete) return stop(n, "truncated record (file ends mid-line)", false);
            return bad_line(n, "not valid JSON");
        }
        auto type_it = j.find("type");
        std::string type = type_it != j.end() && type_it->is_string() ? type_it->get<std::string>() : "";
        std::string err;
        if (!have_header_) {
            TraceHeader h;
            if (type != "header") return stop(n, "not a txray trace: the first record is not a header", true);
            if (!header_from_json(j, h, err)) return stop(n, err, true);
            have_header_ = true;
            sink_.on_header(h);
        } else if (type == "packet") {
            Packet p;
            if (!packet_from_json(j, p, err)) return bad_line(n, "bad packet (" + err + ")");
            ++st_.packets;
            sink_.on_packet(std::move(p));
        } else if (type == "footer") {
            TraceFooter f;
            if (!footer_from_json(j, f, err))
                st_.warnings.push_back(fmt::format("line {}: bad footer ({}), ignored", n, err));
            else {
                st_.has_footer = true;
                sink_.on_footer(f);
            }
        } else if (type == "header") {
            st_.warnings.push_back(fmt::format("line {}: second header, ignored", n));
        }
        // Other types: from a newer minor version; ignored by design.
        return true;
    }

    TraceSink& sink_;
    const ReadOptions& opt_;
    ReadStatus& st_;
    bool have_header_ = false;
};

// A run of lines copied out of the line source, fast-parsed on `threads` threads.
struct Batch {
    struct Line {
        std::size_t off = 0, len = 0;  // in text
        bool complete = true;
        bool too_long = false;
        std::size_t length = 0;  // of a too-long line
    };
    static constexpr std::size_t kLines = 2048;
    static constexpr std::size_t kParallelMin = 256;
    std::string text;
    std::vector<Line> lines;
    std::vector<Packet> packets;
    std::vector<char> parsed;

    std::string_view view(const Line& l) const { return std::string_view(text).substr(l.off, l.len); }
    void clear() {
        text.clear();
        lines.clear();
    }
    void parse_range(std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
            packets[i] = Packet{};
            parsed[i] = !lines[i].too_long && fast_packet(view(lines[i]), packets[i]);
        }
    }
    void parse(unsigned threads) {
        packets.resize(lines.size());
        parsed.assign(lines.size(), 0);
        if (threads < 2 || lines.size() < kParallelMin) return parse_range(0, lines.size());
        // The calling thread takes the first part; the others run on helper threads.
        std::vector<std::jthread> helpers;
        const std::size_t part = (lines.size() + threads - 1) / threads;
        for (std::size_t from = part; from < lines.size(); from += part)
            helpers.emplace_back([this, from, part] { parse_range(from, std::min(from + part, lines.size())); });
        parse_range(0, part);
    }
};

}  // namespace

namespace {
ReadStatus read_lines(std::istream& in, TraceSink& sink, const ReadOptions& opt);
}

// A trace is JSON Lines, plain or zstd-compressed (`record -o X.zst`): the
// first byte tells ('{' starts a plain trace's header; 0x28 a zstd frame).
ReadStatus read_trace(std::istream& in, TraceSink& sink, const ReadOptions& opt) {
    if (in.peek() != 0x28) return read_lines(in, sink, opt);
    char magic[4] = {};
    in.read(magic, sizeof magic);
    const std::string_view first(magic, static_cast<std::size_t>(in.gcount()));
    if (!starts_with_zstd_magic(first)) {
        ReadStatus st;
        st.fatal = true;
        st.error = "not a txray trace: neither JSON Lines nor zstd-compressed";
        return st;
    }
    ZstdReadBuf zbuf(in, first);
    std::istream plain(&zbuf);
    ReadOptions o = opt;
    if (opt.progress) o.progress = [&](std::uint64_t) { opt.progress(zbuf.compressed_bytes()); };
    ReadStatus st = read_lines(plain, sink, o);
    if (!zbuf.error().empty()) {
        // The text ended where decoding stopped (mid-line, or between lines):
        // every complete record before it was loaded; the decoder says why.
        st.error = zbuf.error();
        if (!st.stopped_line) st.stopped_line = st.lines + 1;
        std::erase_if(st.warnings, [](const std::string& w) { return w.starts_with("no footer"); });
    }
    return st;
}

namespace {

ReadStatus read_lines(std::istream& in, TraceSink& sink, const ReadOptions& opt) {
    ReadStatus st;
    LineSource src(in);
    RecordHandler handler(sink, opt, st);
    const unsigned threads = opt.threads ? opt.threads : std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    Batch batch;
    std::size_t n = 0;  // lines handed to the handler
    bool more = true, go_on = true;
    while (more && go_on) {
        // Before the header, lines go one at a time: a huge or binary first line must not be buffered.
        batch.clear();
        const std::size_t want = handler.have_header() ? Batch::kLines : 1;
        while (batch.lines.size() < want) {
            const std::size_t limit = handler.have_header() ? opt.max_line : std::min(opt.max_line, kMaxHeaderLine);
            std::string_view text;
            Batch::Line l;
            LineSource::Got got = src.next(limit, text, l.complete, l.length);
            if (got == LineSource::Got::eof) {
                more = false;
                break;
            }
            l.too_long = got == LineSource::Got::too_long;
            if (l.too_long) text = text.substr(0, 4096);  // enough to tell binary data
            l.off = batch.text.size();
            l.len = text.size();
            batch.text.append(text);
            batch.lines.push_back(l);
        }
        if (handler.have_header()) batch.parse(threads);
        for (std::size_t i = 0; i < batch.lines.size() && go_on; ++i) {
            ++n;
            if (opt.cancel && opt.cancel->load(std::memory_order_relaxed)) {
                st.cancelled = true;
                st.stopped_line = n;
                st.error = "cancelled";
                go_on = false;
                break;
            }
            st.lines = n;
            if (opt.progress && (n & 4095) == 0) opt.progress(src.bytes());
            const Batch::Line& l = batch.lines[i];
            if (l.too_long) go_on = handler.too_long(n, batch.view(l), l.length);
            else {
                const bool fast = i < batch.parsed.size() && batch.parsed[i];
                go_on = handler.line(n, batch.view(l), l.complete, fast ? &batch.packets[i] : nullptr,
                                     i < batch.parsed.size());
            }
        }
        batch.parsed.clear();
    }
    if (!handler.have_header() && st.error.empty()) {
        st.fatal = true;
        st.error = n == 0 ? "empty file: no trace header" : "not a txray trace: no header, only blank lines";
    }
    if (opt.progress) opt.progress(src.bytes());
    if (st.error.empty() && !st.has_footer && handler.have_header())
        st.warnings.push_back("no footer: the recording did not finish (killed?); every complete record was loaded");
    return st;
}

}  // namespace

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
