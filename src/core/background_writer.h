// Writes text buffers on a thread of its own, so that the thread producing
// them (the collector, draining the ring buffer) does not wait for zstd or the
// disk. Double-buffered: one buffer being written, at most one waiting; a
// third hand-over waits (back-pressure, never unbounded memory).
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace txray {

class BackgroundWriter {
public:
    explicit BackgroundWriter(std::function<void(std::string_view)> write);
    ~BackgroundWriter();  // writes what was handed over, then joins
    BackgroundWriter(const BackgroundWriter&) = delete;
    BackgroundWriter& operator=(const BackgroundWriter&) = delete;

    // Takes buf's text (buf comes back empty, with a recycled buffer's capacity).
    void hand_over(std::string& buf);

private:
    void run();
    std::function<void(std::string_view)> write_;
    std::mutex m_;
    std::condition_variable cv_;
    std::string pending_;
    bool has_pending_ = false, stop_ = false;
    std::thread thread_;  // last: starts after the members it uses
};

}  // namespace txray
