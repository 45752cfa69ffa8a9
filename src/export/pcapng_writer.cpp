#include "pcapng_writer.h"

#include <cstring>

namespace txray {
namespace {

template <typename T>
void put(std::string& b, T v) {
    char raw[sizeof v];
    std::memcpy(raw, &v, sizeof v);
    b.append(raw, sizeof v);
}

void pad4(std::string& b) {
    while (b.size() % 4) b.push_back('\0');
}

void option(std::string& b, std::uint16_t code, std::string_view value) {
    put<std::uint16_t>(b, code);
    put<std::uint16_t>(b, static_cast<std::uint16_t>(value.size()));
    b.append(value);
    pad4(b);
}

void end_of_options(std::string& b) { put<std::uint32_t>(b, 0); }

constexpr std::size_t kMaxOption = 0xfff0;

}  // namespace

PcapngWriter::PcapngWriter(std::FILE* out, std::string_view application) : out_(out) {
    std::string b;
    put<std::uint32_t>(b, 0x1A2B3C4D);  // byte-order magic
    put<std::uint16_t>(b, 1);
    put<std::uint16_t>(b, 0);
    put<std::int64_t>(b, -1);  // section length: unknown
    option(b, 4, application.substr(0, kMaxOption));  // shb_userappl
    end_of_options(b);
    block(0x0A0D0D0A, b);
}

std::uint32_t PcapngWriter::add_interface(std::uint16_t linktype, std::string_view name, std::uint32_t snaplen) {
    std::string b;
    put<std::uint16_t>(b, linktype);
    put<std::uint16_t>(b, 0);
    put<std::uint32_t>(b, snaplen);
    option(b, 2, name.substr(0, kMaxOption));  // if_name
    option(b, 9, std::string_view("\x09", 1));  // if_tsresol: 10^-9 s
    end_of_options(b);
    block(1, b);
    return interfaces_++;
}

void PcapngWriter::packet(std::uint32_t interface, std::uint64_t ts_ns, std::span<const std::uint8_t> data,
                          std::uint32_t original_len, std::string_view comment) {
    std::string b;
    put<std::uint32_t>(b, interface);
    put<std::uint32_t>(b, static_cast<std::uint32_t>(ts_ns >> 32));
    put<std::uint32_t>(b, static_cast<std::uint32_t>(ts_ns));
    put<std::uint32_t>(b, static_cast<std::uint32_t>(data.size()));
    put<std::uint32_t>(b, original_len);
    b.append(reinterpret_cast<const char*>(data.data()), data.size());
    pad4(b);
    if (!comment.empty()) option(b, 1, comment.substr(0, kMaxOption));  // opt_comment
    end_of_options(b);
    block(6, b);
}

void PcapngWriter::block(std::uint32_t type, const std::string& body) {
    std::string b;
    const auto total = static_cast<std::uint32_t>(body.size() + 12);
    put(b, type);
    put(b, total);
    b += body;
    put(b, total);
    if (std::fwrite(b.data(), 1, b.size(), out_) != b.size()) ok_ = false;
}

}  // namespace txray
