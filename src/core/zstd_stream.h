// zstd-compressed traces: `txray record -o trace.json.zst` writes the same
// JSON Lines through libzstd (about 9x smaller at kTraceZstdLevel), and
// every reader takes either form. The writer flushes a complete zstd block
// at every TraceWriter flush, so a recording that was killed still
// decompresses up to its last flush.
#pragma once
#include <cstdint>
#include <cstdio>
#include <istream>
#include <memory>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

namespace txray {

// The first bytes of a zstd frame (RFC 8878): 28 B5 2F FD.
bool starts_with_zstd_magic(std::string_view first_bytes);
// "trace.json.zst" and the like: the writer compresses.
bool is_zstd_path(std::string_view path);

// zstd's fast mode 3 (a negative level): on txray's JSON lines ~1.9x the
// speed of level 1 for ~1.6x the bytes (x9 against x14; `zstd -b1` and
// `zstd -b --fast=3` on a recorded trace, docs/performance.md). The
// collector's CPU is what a full-rate recording takes from the traced host.
inline constexpr int kTraceZstdLevel = -3;

// Compresses into a FILE* it does not own. Throws std::runtime_error when
// libzstd fails or the file cannot be written.
class ZstdWriter {
public:
    explicit ZstdWriter(std::FILE* f, int level = kTraceZstdLevel);
    ~ZstdWriter();  // does not end the frame: call finish()
    ZstdWriter(const ZstdWriter&) = delete;
    ZstdWriter& operator=(const ZstdWriter&) = delete;

    // Compresses `data` and writes every compressed byte so far: what was
    // written decodes on its own (ZSTD_e_flush).
    void write_flushed(std::string_view data);
    // Ends the frame (its checksum): the file is complete.
    void finish();

private:
    void compress(std::string_view data, int directive);
    std::FILE* f_;
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
    std::vector<char> out_;
    bool finished_ = false;
};

// A std::streambuf that decompresses a zstd stream read from `src`, after
// `already_read` (bytes taken from src to recognise it). Decoding stops at
// the first error; error() says what and where.
class ZstdReadBuf : public std::streambuf {
public:
    explicit ZstdReadBuf(std::istream& src, std::string_view already_read = {});
    ~ZstdReadBuf() override;
    ZstdReadBuf(const ZstdReadBuf&) = delete;
    ZstdReadBuf& operator=(const ZstdReadBuf&) = delete;

    std::uint64_t compressed_bytes() const { return consumed_; }
    // "" when the stream decoded cleanly to its end; else why it stopped:
    // corrupt data, or the input ended inside a frame (a killed recording).
    const std::string& error() const { return error_; }

protected:
    int_type underflow() override;

private:
    std::istream& src_;
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
    std::vector<char> in_, out_;
    std::size_t in_pos_ = 0, in_end_ = 0;
    std::uint64_t consumed_ = 0;
    bool src_done_ = false, frame_open_ = false, failed_ = false;
    std::string error_;
};

}  // namespace txray
