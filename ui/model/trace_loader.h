// Loads and indexes a trace on a background thread, with progress and cancel.
// What was read before an error or a cancel is kept and viewable.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "timeline_data.h"

namespace txray::ui {

class TraceLoader {
public:
    enum class Phase { idle, reading, indexing, done };

    TraceLoader() = default;
    ~TraceLoader();  // cancels and joins
    TraceLoader(const TraceLoader&) = delete;
    TraceLoader& operator=(const TraceLoader&) = delete;

    // Starts loading `path` (cancelling a load in progress).
    void start(const std::string& path);
    void cancel() { cancel_ = true; }
    Phase phase() const { return phase_.load(); }
    bool busy() const { auto p = phase(); return p == Phase::reading || p == Phase::indexing; }
    const std::string& path() const { return path_; }
    // 0..1 while reading (bytes read / file size), or -1 when unknown (stdin).
    double progress() const;
    std::uint64_t bytes_read() const { return bytes_.load(); }
    // The result once phase() == done; then the loader is idle again.
    std::unique_ptr<TimelineData> take();
    // Loads synchronously on the calling thread (screenshot mode, tests).
    static std::unique_ptr<TimelineData> load_now(const std::string& path, const std::atomic<bool>* cancel = nullptr,
                                                  std::atomic<std::uint64_t>* bytes = nullptr,
                                                  std::atomic<Phase>* phase = nullptr);

private:
    void join();
    std::string path_;
    std::uint64_t total_ = 0;
    std::atomic<bool> cancel_{false};
    std::atomic<std::uint64_t> bytes_{0};
    std::atomic<Phase> phase_{Phase::idle};
    std::mutex mu_;
    std::unique_ptr<TimelineData> result_;
    std::jthread thread_;
};

}  // namespace txray::ui
