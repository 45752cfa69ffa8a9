#include "capture_files.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <vector>

#include "bpfload/session.h"
#include "bpfload/system.h"

namespace txray {

namespace fs = std::filesystem;

namespace {
constexpr std::string_view kPrefix = "txray-capture-";
constexpr std::string_view kSuffix = ".json.zst";
}  // namespace

CaptureFiles::CaptureFiles(CaptureLimits limits, TraceHeader header)
    : limits_(std::move(limits)), header_(std::move(header)) {
    std::error_code ec;
    fs::create_directories(limits_.dir, ec);
    if (ec || !fs::is_directory(limits_.dir))
        throw TxrayError("--capture-dir " + limits_.dir + ": " + (ec ? ec.message() : "not a directory"));
    if (limits_.files < 1) throw TxrayError("--capture-files: at least 1");
    open_next();
    if (!writer_) throw TxrayError("cannot write in --capture-dir " + limits_.dir);
}

CaptureFiles::~CaptureFiles() = default;

// Names sort in time order: UTC time of opening, then a sequence number.
void CaptureFiles::open_next() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    path_ = (fs::path(limits_.dir) / fmt::format("{}{}-{:06}{}", kPrefix, stamp, seq_++, kSuffix)).string();
    try {
        writer_ = std::make_unique<TraceWriter>(path_);
    } catch (const std::exception&) {
        writer_.reset();
        ++errors_;
        return;
    }
    ++opened_;
    TraceHeader h = header_;
    h.start_ns = monotonic_ns();
    writer_->header(h);
    writer_->flush();
    file_packets_ = file_dropped_ = file_unfinished_ = 0;
    prune();
}

void CaptureFiles::packet(const Packet& p) {
    if (!writer_) return;
    writer_->packet(p);
    ++packets_;
    ++file_packets_;
    if (p.outcome == OutcomeKind::dropped) ++file_dropped_;
    if (p.outcome == OutcomeKind::unfinished) ++file_unfinished_;
}

// A closed file's footer: its own packets; the kernel's counters as totals
// of the agent's run so far.
void CaptureFiles::finish(const TraceFooter& totals) {
    if (!writer_) return;
    TraceFooter f = totals;
    f.end_ns = monotonic_ns();
    f.packets = file_packets_;
    f.dropped = file_dropped_;
    f.unfinished = file_unfinished_;
    writer_->footer(f);
    if (!writer_->close().empty()) ++errors_;
    writer_.reset();
}

void CaptureFiles::tick(const TraceFooter& totals) {
    if (!writer_) {  // the last open failed (disk full, directory gone): try again
        open_next();
        return;
    }
    writer_->flush();
    if (!writer_->error().empty()) {
        ++errors_;
        finish(totals);
        open_next();
        return;
    }
    struct stat st{};
    if (::stat(path_.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) >= limits_.file_bytes) {
        finish(totals);
        open_next();
    }
}

void CaptureFiles::reopen(const TraceFooter& totals) {
    finish(totals);
    open_next();
}

void CaptureFiles::close(const TraceFooter& totals) { finish(totals); }

// Keeps the newest `files` capture files (this agent's names only).
void CaptureFiles::prune() {
    std::vector<fs::path> mine;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(limits_.dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(kPrefix, 0) == 0 && name.size() > kSuffix.size() &&
            name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
            mine.push_back(e.path());
    }
    if (mine.size() <= limits_.files) return;
    std::sort(mine.begin(), mine.end());
    for (std::size_t i = 0; i + limits_.files < mine.size(); ++i) fs::remove(mine[i], ec);
}

}  // namespace txray
