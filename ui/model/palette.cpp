#include "palette.h"

#include <array>

namespace txray::ui {
namespace {

struct Entry {
    std::uint32_t color;
    std::string_view hex;
};

// Kernel order. Socket layer in blues, IP in greens, neighbour in teal,
// device/qdisc in oranges, driver in purples, completion in greys, drop red.
constexpr std::array<Entry, kStageCount> kPalette{{
    {rgba(0x4e, 0x79, 0xa7), "#4e79a7"},  // sendmsg
    {rgba(0x6b, 0xae, 0xd6), "#6baed6"},  // udp_sendmsg
    {rgba(0x31, 0x82, 0xbd), "#3182bd"},  // tcp_sendmsg
    {rgba(0x9e, 0xca, 0xe1), "#9ecae1"},  // tcp_transmit_skb
    {rgba(0x59, 0xa1, 0x4f), "#59a14f"},  // route
    {rgba(0x8c, 0xd1, 0x7d), "#8cd17d"},  // ip_local_out
    {rgba(0x2c, 0x7d, 0x3a), "#2c7d3a"},  // ip_output
    {rgba(0x49, 0x98, 0x94), "#499894"},  // neigh_output
    {rgba(0x86, 0xbc, 0xb6), "#86bcb6"},  // neigh_resolve
    {rgba(0xf2, 0x8e, 0x2b), "#f28e2b"},  // dev_queue_xmit
    {rgba(0xff, 0xbe, 0x7d), "#ffbe7d"},  // qdisc_enqueue
    {rgba(0xd3, 0x72, 0x95), "#d37295"},  // qdisc_dequeue
    {rgba(0xb0, 0x7a, 0xa1), "#b07aa1"},  // driver_xmit
    {rgba(0xd4, 0xa6, 0xc8), "#d4a6c8"},  // netif_rx
    {rgba(0xed, 0xc9, 0x48), "#edc948"},  // xmit_done
    {rgba(0x9d, 0x9d, 0x9d), "#9d9d9d"},  // free
    {rgba(0xe1, 0x57, 0x59), "#e15759"},  // drop
    {rgba(0xbc, 0xbd, 0x22), "#bcbd22"},  // sendmsg_return
}};

}  // namespace

std::uint32_t stage_color(Stage s) { return kPalette[index(s)].color; }
std::string_view stage_color_hex(Stage s) { return kPalette[index(s)].hex; }

}  // namespace txray::ui
