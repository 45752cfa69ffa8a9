// libFuzzer target for the trace reader: the whole streaming reader (lenient
// and strict, small line limit), and a differential check that the fast packet
// parser, whenever it accepts a line, agrees exactly with the DOM parser.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "core/trace_reader.h"
#include "core/trace_writer.h"

namespace {

struct CountingSink : txray::TraceSink {
    std::size_t packets = 0;
    void on_packet(txray::Packet&& p) override { packets += p.stages.size() + 1; }
};

void read_all(const std::string& text, bool strict) {
    std::istringstream in(text);
    CountingSink sink;
    txray::ReadOptions opt;
    opt.strict = strict;
    opt.max_line = 4096;
    txray::ReadStatus st = txray::read_trace(in, sink, opt);
    if (st.fatal && sink.packets) __builtin_trap();  // fatal means nothing was read
    (void)st.summary();
}

void differential(std::string_view line) {
    txray::Packet fast;
    if (!txray::packet_from_json_fast(line, fast)) return;
    txray::Packet dom;
    std::string err;
    if (!txray::packet_from_json_text(std::string(line), dom, err)) __builtin_trap();  // fast accepted, DOM did not
    std::string a, b;
    txray::append_packet_json(a, fast);
    txray::append_packet_json(b, dom);
    if (a != b) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    read_all(text, false);
    read_all(text, true);
    std::string_view rest(text);
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        differential(rest.substr(0, nl));
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
    }
    return 0;
}
