#include "trace_loader.h"

#include <filesystem>

namespace txray::ui {

TraceLoader::~TraceLoader() {
    cancel_ = true;
    join();
}

void TraceLoader::join() {
    if (thread_.joinable()) thread_.join();
}

void TraceLoader::start(const std::string& path) {
    cancel_ = true;
    join();
    cancel_ = false;
    bytes_ = 0;
    path_ = path;
    std::error_code ec;
    total_ = path == "-" ? 0 : std::filesystem::file_size(path, ec);
    if (ec) total_ = 0;
    {
        std::lock_guard lock(mu_);
        result_.reset();
    }
    phase_ = Phase::reading;
    thread_ = std::jthread([this, path] {
        auto r = load_now(path, &cancel_, &bytes_, &phase_);
        std::lock_guard lock(mu_);
        result_ = std::move(r);
        phase_ = Phase::done;
    });
}

double TraceLoader::progress() const {
    if (!total_) return -1;
    return std::min(1.0, static_cast<double>(bytes_.load()) / static_cast<double>(total_));
}

std::unique_ptr<TimelineData> TraceLoader::take() {
    if (phase_ != Phase::done) return nullptr;
    join();
    std::lock_guard lock(mu_);
    phase_ = Phase::idle;
    return std::move(result_);
}

std::unique_ptr<TimelineData> TraceLoader::load_now(const std::string& path, const std::atomic<bool>* cancel,
                                                    std::atomic<std::uint64_t>* bytes, std::atomic<Phase>* phase) {
    ReadOptions opt;
    opt.cancel = cancel;
    if (bytes) opt.progress = [bytes](std::uint64_t b) { bytes->store(b); };
    Trace t = load_trace(path, opt);
    if (phase) *phase = Phase::indexing;
    auto d = std::make_unique<TimelineData>(build_timeline(std::move(t)));
    d->path = path;
    return d;
}

}  // namespace txray::ui
