// Streams a JSON Lines trace: loads every valid record and says where and why it stopped.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "packet.h"
#include "trace_format.h"

namespace txray {

class TraceSink {
public:
    virtual ~TraceSink() = default;
    virtual void on_header(const TraceHeader&) {}
    virtual void on_packet(Packet&&) {}
    virtual void on_footer(const TraceFooter&) {}
};

struct ReadOptions {
    bool strict = false;                    // stop at the first bad line instead of skipping it
    std::size_t max_line = 64u << 20;       // longer lines are bad lines
    const std::atomic<bool>* cancel = nullptr;
    std::function<void(std::uint64_t bytes)> progress;  // called every few thousand lines
    unsigned threads = 0;  // packet parser threads: 0 = one per core (at most 4); 1 = the calling thread only
};

struct ReadStatus {
    bool fatal = false;          // nothing usable: the file is not a trace we can read
    std::string error;           // why it stopped (fatal, strict, truncated, cancelled), "" if it did not
    std::size_t stopped_line = 0;  // 1-based line it stopped at, 0 if it read to the end
    std::vector<std::string> warnings;  // "line N: ..." for skipped lines
    std::uint64_t lines = 0;
    std::uint64_t packets = 0;
    bool has_footer = false;
    bool cancelled = false;
    // One line for a person: "stopped at line 7: truncated record", or "".
    std::string summary() const;
};

ReadStatus read_trace(std::istream& in, TraceSink& sink, const ReadOptions& opt = {});

// Parsers for one record each (exposed for tests and tools).
bool packet_from_json_text(const std::string& line, Packet& out, std::string& err);
// The fast path the reader tries first: a hand-written parser for the packet
// object. Returns false for anything unusual (escapes beyond the common ones,
// non-ASCII text, floats, nulls, missing fields, bad JSON); the reader then
// falls back to the nlohmann DOM parser, which has the final word and the error
// message. When it returns true the result equals packet_from_json_text's.
bool packet_from_json_fast(std::string_view line, Packet& out);
// Decodes the "headers" hex string; false on odd length or a non-hex digit.
bool headers_from_hex(std::string_view hex, std::vector<std::uint8_t>& out);

struct Trace {
    TraceHeader header;
    std::vector<Packet> packets;
    std::optional<TraceFooter> footer;
    ReadStatus status;
};
// path "-" reads standard input. A missing file is a fatal status, not an exception.
Trace load_trace(const std::string& path, const ReadOptions& opt = {});

}  // namespace txray
