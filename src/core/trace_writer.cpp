#include "trace_writer.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "background_writer.h"
#include "zstd_stream.h"

namespace txray {

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
    if (f.unselected) j["unselected"] = *f.unselected;
    j["lost_by_stage"] = f.lost_by_stage;
    if (!f.missed_runs.empty()) j["missed_runs"] = f.missed_runs;
    if (f.receive_unseen) j["receive_unseen"] = f.receive_unseen;
    return j.dump();
}

TraceWriter::TraceWriter(std::FILE* f) : f_(f) {}

TraceWriter::TraceWriter(const std::string& path) : f_(std::fopen(path.c_str(), "w")), owned_(true) {
    if (!f_) throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
    if (is_zstd_path(path)) zstd_ = std::make_unique<ZstdWriter>(f_);
    background_ = std::make_unique<BackgroundWriter>([this](std::string_view text) { write(text); });
}

TraceWriter::~TraceWriter() { close(); }

std::string TraceWriter::close() {
    if (!f_) return error();
    flush();
    background_.reset();  // everything handed over is written
    if (zstd_) {
        try {
            zstd_->finish();
        } catch (const std::exception& e) {
            fail(e.what());
        }
    }
    if (std::fflush(f_) != 0) fail(std::strerror(errno));
    if (owned_ && std::fclose(f_) != 0) fail(std::strerror(errno));
    f_ = nullptr;
    return error();
}

std::string TraceWriter::error() const {
    std::lock_guard l(error_mutex_);
    return error_;
}

void TraceWriter::fail(const std::string& why) {
    std::lock_guard l(error_mutex_);
    if (error_.empty()) error_ = why;
}

// On the writer thread for a path (flush() for stdout). A full disk or a
// failing libzstd is kept as error(): the caller says so; nothing is hidden.
void TraceWriter::write(std::string_view text) {
    try {
        if (zstd_) zstd_->write_flushed(text);
        else if (!text.empty() && std::fwrite(text.data(), 1, text.size(), f_) != text.size())
            fail(std::strerror(errno));
    } catch (const std::exception& e) {
        fail(e.what());
    }
    if (std::fflush(f_) != 0 || std::ferror(f_)) fail(std::strerror(errno));
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
    if (background_) {
        background_->hand_over(buf_);
        return;
    }
    write(buf_);
    buf_.clear();
}

}  // namespace txray
