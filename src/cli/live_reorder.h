// `txray live` prints packets in the order they began (their first stage's
// time), not the order they ended: a packet held by a qdisc ends after
// packets that began later. Packets wait here for a short window, then come
// out sorted; the collector drains the ring buffer every 100 ms, so a window
// of kLiveReorderWindowNs covers every packet that ends within ~400 ms of its
// first stage. A packet that ends later than that is handed out at once,
// marked late (it began before lines already printed). At most kMaxWaiting
// packets wait (a busy host): beyond that the oldest go out early.
#pragma once
#include <cstdint>
#include <functional>
#include <map>

#include "core/packet.h"

namespace txray {

inline constexpr std::uint64_t kLiveReorderWindowNs = 500'000'000;

class LiveReorder {
public:
    // late: the packet began before a packet already handed out.
    using Sink = std::function<void(Packet&&, bool late)>;
    static constexpr std::size_t kMaxWaiting = 65536;
    LiveReorder(std::uint64_t window_ns, Sink sink) : window_ns_(window_ns), sink_(std::move(sink)) {}

    void push(Packet&& p);
    // Hands out, in order, the packets that began before now - window.
    void release(std::uint64_t now_ns);
    void release_all();
    std::size_t waiting() const { return waiting_.size(); }

private:
    void hand_out_oldest();

    std::uint64_t window_ns_;
    Sink sink_;
    std::multimap<std::uint64_t, Packet> waiting_;  // by first stage time
    std::uint64_t last_out_ts_ = 0;                 // first stage time of the last packet handed out
};

}  // namespace txray
