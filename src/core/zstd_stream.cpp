#include "zstd_stream.h"

#include <zstd.h>

#include <algorithm>
#include <stdexcept>

namespace txray {

bool starts_with_zstd_magic(std::string_view b) {
    return b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0x28 && static_cast<unsigned char>(b[1]) == 0xB5 &&
           static_cast<unsigned char>(b[2]) == 0x2F && static_cast<unsigned char>(b[3]) == 0xFD;
}

bool is_zstd_path(std::string_view path) { return path.size() > 4 && path.ends_with(".zst"); }

// ------------------------------------------------------------------ writer

struct ZstdWriter::Ctx {
    ZSTD_CCtx* c = ZSTD_createCCtx();
    ~Ctx() { ZSTD_freeCCtx(c); }
};

ZstdWriter::ZstdWriter(std::FILE* f, int level) : f_(f), ctx_(std::make_unique<Ctx>()) {
    if (!ctx_->c) throw std::runtime_error("zstd: cannot create a compression context");
    ZSTD_CCtx_setParameter(ctx_->c, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(ctx_->c, ZSTD_c_checksumFlag, 1);
    out_.resize(ZSTD_CStreamOutSize());
}

ZstdWriter::~ZstdWriter() = default;

void ZstdWriter::compress(std::string_view data, int directive) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    for (;;) {
        ZSTD_outBuffer out{out_.data(), out_.size(), 0};
        const std::size_t left = ZSTD_compressStream2(ctx_->c, &out, &in, static_cast<ZSTD_EndDirective>(directive));
        if (ZSTD_isError(left)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(left));
        if (out.pos) std::fwrite(out_.data(), 1, out.pos, f_);  // a failure shows in ferror()
        if (left == 0 && in.pos == in.size) return;  // everything in and flushed (or the frame ended)
    }
}

void ZstdWriter::write_flushed(std::string_view data) {
    if (!finished_) compress(data, ZSTD_e_flush);
}

void ZstdWriter::finish() {
    if (finished_) return;
    finished_ = true;
    compress({}, ZSTD_e_end);
}

// ------------------------------------------------------------------ reader

struct ZstdReadBuf::Ctx {
    ZSTD_DStream* d = ZSTD_createDStream();
    ~Ctx() { ZSTD_freeDStream(d); }
};

ZstdReadBuf::ZstdReadBuf(std::istream& src, std::string_view already_read) : src_(src), ctx_(std::make_unique<Ctx>()) {
    if (!ctx_->d) {
        failed_ = true;
        error_ = "zstd: cannot create a decompression context";
    }
    in_.resize(std::max(ZSTD_DStreamInSize(), already_read.size()));
    out_.resize(ZSTD_DStreamOutSize());
    std::copy(already_read.begin(), already_read.end(), in_.begin());
    in_end_ = already_read.size();
}

ZstdReadBuf::~ZstdReadBuf() = default;

ZstdReadBuf::int_type ZstdReadBuf::underflow() {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    while (!failed_) {
        if (in_pos_ == in_end_ && !src_done_) {
            src_.read(in_.data(), static_cast<std::streamsize>(in_.size()));
            in_end_ = static_cast<std::size_t>(src_.gcount());
            in_pos_ = 0;
            src_done_ = in_end_ == 0;
        }
        // No input left and no frame open: a clean end (also for an empty stream).
        if (in_pos_ == in_end_ && src_done_ && !frame_open_) return traits_type::eof();
        ZSTD_inBuffer in{in_.data(), in_end_, in_pos_};
        ZSTD_outBuffer out{out_.data(), out_.size(), 0};
        const std::size_t r = ZSTD_decompressStream(ctx_->d, &out, &in);
        consumed_ += in.pos - in_pos_;
        in_pos_ = in.pos;
        if (ZSTD_isError(r)) {
            failed_ = true;
            error_ = "corrupt zstd data near compressed byte " + std::to_string(consumed_) + " (" +
                     ZSTD_getErrorName(r) + ")";
        } else {
            // r == 0: a frame ended and everything it holds was output.
            frame_open_ = r != 0;
            if (!out.pos && in_pos_ == in_end_ && src_done_) {
                failed_ = true;
                error_ = "the compressed stream ends inside a zstd frame after " + std::to_string(consumed_) +
                         " bytes (the recording did not finish)";
            }
        }
        if (out.pos) {
            setg(out_.data(), out_.data(), out_.data() + out.pos);
            return traits_type::to_int_type(*gptr());
        }
    }
    return traits_type::eof();
}

}  // namespace txray
