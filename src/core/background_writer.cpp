#include "background_writer.h"

namespace txray {

BackgroundWriter::BackgroundWriter(std::function<void(std::string_view)> write)
    : write_(std::move(write)), thread_([this] { run(); }) {}

BackgroundWriter::~BackgroundWriter() {
    {
        std::lock_guard l(m_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void BackgroundWriter::hand_over(std::string& buf) {
    if (buf.empty()) return;
    std::unique_lock l(m_);
    cv_.wait(l, [this] { return !has_pending_; });
    pending_.swap(buf);  // pending_ was emptied by run()
    has_pending_ = true;
    cv_.notify_all();
}

void BackgroundWriter::run() {
    std::string work;
    for (;;) {
        {
            std::unique_lock l(m_);
            cv_.wait(l, [this] { return has_pending_ || stop_; });
            if (!has_pending_) return;  // stopped, nothing left
            work.clear();
            work.swap(pending_);  // pending_ gets the last buffer back, empty
            has_pending_ = false;
        }
        cv_.notify_all();
        write_(work);
    }
}

}  // namespace txray
