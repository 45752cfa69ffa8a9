#include "stage.h"

namespace txray {
namespace {
constexpr std::array<std::string_view, kStageCount> kNames = {
    "sendmsg",       "udp_sendmsg",   "tcp_sendmsg",   "tcp_transmit_skb", "route",
    "ip_local_out",  "ip_output",     "neigh_output",  "neigh_resolve",    "dev_queue_xmit",
    "qdisc_enqueue", "qdisc_dequeue", "driver_xmit",   "netif_rx",         "xmit_done",
    "free",          "drop",          "sendmsg_return",
};
}  // namespace

std::string_view stage_name(Stage s) { return kNames.at(index(s)); }

std::optional<Stage> stage_from_name(std::string_view name) {
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return static_cast<Stage>(i);
    return std::nullopt;
}

const std::array<Stage, kStageCount>& all_stages() {
    static const std::array<Stage, kStageCount> all = [] {
        std::array<Stage, kStageCount> a{};
        for (std::size_t i = 0; i < kStageCount; ++i) a[i] = static_cast<Stage>(i);
        return a;
    }();
    return all;
}

}  // namespace txray
