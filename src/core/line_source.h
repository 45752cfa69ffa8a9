// Line source of the trace reader, internal to core: reads the stream in
// large chunks and hands out lines as views into its buffer (no per-line
// copy). Memory: one chunk plus the longest line up to the limit; longer
// lines are skipped without being held.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace txray::reader {

class LineSource {
public:
    explicit LineSource(std::istream& in) : in_(in) { buf_.resize(kFirstChunk); }

    enum class Got { line, too_long, eof };
    // line: the text without '\n'; complete: it ended with '\n'; length: its size in bytes.
    Got next(std::size_t max_line, std::string_view& line, bool& complete, std::size_t& length) {
        for (;;) {
            if (const char* nl = static_cast<const char*>(
                    std::memchr(buf_.data() + scan_, '\n', end_ - scan_))) {
                std::size_t n = static_cast<std::size_t>(nl - buf_.data());
                line = std::string_view(buf_.data() + begin_, n - begin_);
                length = line.size();
                complete = true;
                begin_ = scan_ = n + 1;
                bytes_ += length + 1;
                if (length > max_line) return Got::too_long;
                return Got::line;
            }
            scan_ = end_;
            if (end_ - begin_ > max_line) return skip_long_line(line, complete, length);
            if (eof_) {
                if (begin_ == end_) return Got::eof;
                line = std::string_view(buf_.data() + begin_, end_ - begin_);
                length = line.size();
                complete = false;
                bytes_ += length;
                begin_ = scan_ = end_;
                return Got::line;
            }
            fill();
        }
    }
    std::uint64_t bytes() const { return bytes_; }

private:
    // Small inputs stay cheap; the buffer doubles up to kChunk while reads fill it.
    static constexpr std::size_t kFirstChunk = 64u << 10, kChunk = 1u << 20;

    void fill() {
        if (begin_ > 0) {  // keep the partial line, drop the consumed text
            std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            scan_ -= begin_;
            begin_ = 0;
        }
        if (buf_.size() - end_ < buf_.size() / 2 || (full_reads_ > 2 && buf_.size() < kChunk)) {
            buf_.resize(buf_.size() * 2);
            full_reads_ = 0;
        }
        in_.read(buf_.data() + end_, static_cast<std::streamsize>(buf_.size() - end_));
        std::streamsize got = in_.gcount();
        end_ += static_cast<std::size_t>(got);
        full_reads_ = end_ == buf_.size() ? full_reads_ + 1 : 0;
        if (got == 0 || !in_) eof_ = true;
    }
    // Drops the rest of an over-long line, reading until its newline or the end.
    Got skip_long_line(std::string_view& line, bool& complete, std::size_t& length) {
        length = end_ - begin_;
        head_.assign(buf_.data() + begin_, std::min<std::size_t>(length, 4096));
        begin_ = scan_ = end_ = 0;
        for (;;) {
            if (eof_) {
                complete = false;
                break;
            }
            fill();
            if (const char* nl = static_cast<const char*>(std::memchr(buf_.data(), '\n', end_))) {
                std::size_t n = static_cast<std::size_t>(nl - buf_.data());
                length += n;
                begin_ = scan_ = n + 1;
                complete = true;
                break;
            }
            length += end_;
            begin_ = scan_ = end_ = 0;
        }
        bytes_ += length + (complete ? 1 : 0);
        line = head_;
        return Got::too_long;
    }

    std::istream& in_;
    std::vector<char> buf_;
    std::size_t begin_ = 0, scan_ = 0, end_ = 0;
    int full_reads_ = 0;
    bool eof_ = false;
    std::uint64_t bytes_ = 0;
    std::string head_;  // the start of the last over-long line skipped
};

}  // namespace txray::reader
