// Test helper: real IPv4/IPv6 + UDP headers for a packet's flow, as the kernel
// side of `txray record --headers` would capture them.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/packet.h"

namespace txray::test {

inline void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}

// IP header + 8-byte UDP header + `payload` zero bytes of payload captured,
// for a datagram whose UDP payload is p.len bytes.
inline std::vector<std::uint8_t> udp_headers(const Packet& p, std::size_t payload = 4) {
    const Flow& f = p.flow;
    std::vector<std::uint8_t> b;
    const std::size_t ip = f.family == 4 ? 20 : 40;
    b.resize(ip + 8 + payload);
    const std::uint16_t udp_len = static_cast<std::uint16_t>(8 + p.len);
    if (f.family == 4) {
        b[0] = 0x45;
        put16(b, 2, static_cast<std::uint16_t>(20 + udp_len));
        put16(b, 4, static_cast<std::uint16_t>(p.id));
        b[6] = 0x40;  // DF
        b[8] = 64;
        b[9] = 17;
        std::copy_n(f.saddr.begin(), 4, b.begin() + 12);
        std::copy_n(f.daddr.begin(), 4, b.begin() + 16);
        std::uint32_t sum = 0;
        for (std::size_t i = 0; i < 20; i += 2) sum += (std::uint32_t{b[i]} << 8) | b[i + 1];
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        put16(b, 10, static_cast<std::uint16_t>(~sum));
    } else {
        b[0] = 0x60;
        put16(b, 4, udp_len);
        b[6] = 17;
        b[7] = 64;
        std::copy_n(f.saddr.begin(), 16, b.begin() + 8);
        std::copy_n(f.daddr.begin(), 16, b.begin() + 24);
    }
    put16(b, ip, f.sport);
    put16(b, ip + 2, f.dport);
    put16(b, ip + 4, udp_len);
    return b;
}

}  // namespace txray::test
