// Send-path stages, in the order the kernel runs them.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace txray {

// The numeric values match enum txr_stage in bpf/txray.h (checked by
// static_assert in the collector); the names are the trace format's.
enum class Stage : std::uint8_t {
    sendmsg,
    udp_sendmsg,
    tcp_sendmsg,
    tcp_transmit_skb,
    route,
    ip_local_out,
    ip_output,
    neigh_output,
    neigh_resolve,
    dev_queue_xmit,
    qdisc_enqueue,
    qdisc_dequeue,
    driver_xmit,
    netif_rx,
    xmit_done,
    free,
    drop,
    sendmsg_return,
};
inline constexpr std::size_t kStageCount = 18;

std::string_view stage_name(Stage s);
std::optional<Stage> stage_from_name(std::string_view name);
// All stages in kernel order.
const std::array<Stage, kStageCount>& all_stages();
inline std::size_t index(Stage s) { return static_cast<std::size_t>(s); }

}  // namespace txray
