// Writes a trace as JSON Lines: header, packets, footer.
#pragma once
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "packet.h"
#include "packet_json.h"
#include "trace_format.h"

namespace txray {

std::string header_json(const TraceHeader& h);
std::string footer_json(const TraceFooter& f);

class BackgroundWriter;
class ZstdWriter;

// Buffered writer on a FILE* it does not own (stdout) or a path it opens; a
// path ending in .zst is written zstd-compressed (zstd_stream.h), each
// flush() a block that decodes on its own. A path is written (and
// compressed) on a thread of its own (background_writer.h): flush() hands
// the text over and returns.
class TraceWriter {
public:
    explicit TraceWriter(std::FILE* f);       // not owned
    explicit TraceWriter(const std::string& path);  // throws std::runtime_error
    ~TraceWriter();
    TraceWriter(const TraceWriter&) = delete;
    TraceWriter& operator=(const TraceWriter&) = delete;

    void header(const TraceHeader& h);
    void packet(const Packet& p);
    void footer(const TraceFooter& f);
    void flush();  // writes the buffer (or hands it to the writer thread) and fflush()es
    // Writes everything, ends the zstd frame, closes the file; returns error().
    std::string close();
    // The first write failure ("No space left on device"), or "".
    std::string error() const;
    std::uint64_t packets_written() const { return packets_; }

private:
    void line(const std::string& s);
    void write(std::string_view text);  // compressed or not, then fflush
    void fail(const std::string& why);
    std::FILE* f_ = nullptr;
    bool owned_ = false;
    std::unique_ptr<ZstdWriter> zstd_;
    std::unique_ptr<BackgroundWriter> background_;  // destroyed before zstd_ finishes
    std::string buf_;
    std::uint64_t packets_ = 0;
    mutable std::mutex error_mutex_;  // error_ is set on the writer thread
    std::string error_;
};

}  // namespace txray
