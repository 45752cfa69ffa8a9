#include "live_reorder.h"

namespace txray {

void LiveReorder::push(Packet&& p) {
    const std::uint64_t ts = p.first_ts();
    if (ts < last_out_ts_) {  // too late to take its place
        sink_(std::move(p), true);
        return;
    }
    waiting_.emplace(ts, std::move(p));
    if (waiting_.size() > kMaxWaiting) hand_out_oldest();
}

void LiveReorder::hand_out_oldest() {
    auto node = waiting_.extract(waiting_.begin());
    last_out_ts_ = node.key();
    sink_(std::move(node.mapped()), false);
}

void LiveReorder::release(std::uint64_t now_ns) {
    const std::uint64_t cutoff = now_ns > window_ns_ ? now_ns - window_ns_ : 0;
    while (!waiting_.empty() && waiting_.begin()->first <= cutoff) hand_out_oldest();
}

void LiveReorder::release_all() {
    while (!waiting_.empty()) hand_out_oldest();
}

}  // namespace txray
