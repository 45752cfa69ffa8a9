// A minimal pcapng writer: section header, interface descriptions, enhanced
// packet blocks with a comment. Host byte order (the format allows either).
#pragma once
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace txray {

inline constexpr std::uint16_t kLinktypeRaw = 101;  // raw IPv4/IPv6, by the version nibble

class PcapngWriter {
public:
    // Writes the section header block. out is not owned.
    PcapngWriter(std::FILE* out, std::string_view application);
    // Adds an interface with nanosecond timestamps; returns its id.
    std::uint32_t add_interface(std::uint16_t linktype, std::string_view name, std::uint32_t snaplen = 0);
    void packet(std::uint32_t interface, std::uint64_t ts_ns, std::span<const std::uint8_t> data,
                std::uint32_t original_len, std::string_view comment);
    bool ok() const { return ok_; }

private:
    void block(std::uint32_t type, const std::string& body);
    std::FILE* out_;
    std::uint32_t interfaces_ = 0;
    bool ok_ = true;
};

}  // namespace txray
