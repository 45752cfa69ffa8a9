#include "pcap_jit.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "elf_patch.h"

namespace txray {

namespace {

// Registers of the translated program. r6..r9 survive helper calls.
constexpr std::uint8_t kA = 6, kX = 7, kPkt = 8, kCaplen = 9, kFp = 10;
// Stack: the wire length, the helper's read buffer, the scratch words M[16],
// and (buffered) a copy of the first kPrefix bytes, read with one helper call.
constexpr std::int16_t kWirelenOff = -8, kBufOff = -16, kMemOff = -80;
constexpr std::int32_t kPrefix = 64;  // IPv4/IPv6 + ports, also behind Ethernet
constexpr std::int16_t kPrefixOff = kMemOff - kPrefix;

bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off, std::int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst;
    i.src_reg = src;
    i.off = off;
    i.imm = imm;
    return i;
}

// A jump whose target is a cBPF instruction index (or the reject exit),
// fixed once every instruction's position is known.
struct Fixup {
    std::size_t at;      // index of the jump in the body
    std::size_t target;  // cBPF index; kReject: the shared `return 0`
};
constexpr std::size_t kReject = SIZE_MAX;

class Translator {
public:
    Translator(const std::vector<txr_cbpf_insn>& p, bool buffered) : prog_(p), buffered_(buffered) {}

    JitCode run(std::size_t slots) {
        JitCode out;
        prologue();
        start_.resize(prog_.size() + 1);
        for (std::size_t pc = 0; pc < prog_.size(); ++pc) {
            start_[pc] = body_.size();
            if (!one(pc)) {
                out.error = "instruction " + std::to_string(pc) + " (code " + std::to_string(prog_[pc].code) +
                            ") has no eBPF translation";
                return out;
            }
        }
        start_[prog_.size()] = body_.size();  // falling off the end rejects
        // The shared `return 0`, unless nothing reaches it (the verifier
        // refuses unreachable instructions).
        const std::size_t reject = body_.size();
        const std::uint8_t last = body_.empty() ? 0 : body_.back().code;
        const bool reached = std::any_of(fixups_.begin(), fixups_.end(),
                                         [&](const Fixup& f) { return f.target >= prog_.size(); });
        if (reached || (last != (BPF_JMP | BPF_EXIT) && last != (BPF_JMP | BPF_JA))) {
            emit(insn(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 0));
            emit(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
        }
        for (const Fixup& f : fixups_) {
            const std::size_t to = f.target == kReject || f.target >= prog_.size() ? reject : start_[f.target];
            const long off = static_cast<long>(to) - static_cast<long>(f.at) - 1;
            if (off < 0 || off > INT16_MAX) {
                out.error = "a jump does not fit in eBPF's offset";
                return out;
            }
            body_[f.at].off = static_cast<std::int16_t>(off);
        }
        if (body_.size() > slots) {
            out.error = "the expression compiles to " + std::to_string(body_.size()) +
                        " eBPF instructions; the object has room for " + std::to_string(slots);
            return out;
        }
        // No-op jumps first (the verifier removes them): the body ends the function.
        out.insns.assign(slots - body_.size(), insn(BPF_JMP | BPF_JA, 0, 0, 0, 0));
        out.insns.insert(out.insns.end(), body_.begin(), body_.end());
        out.body = body_.size();
        return out;
    }

private:
    void emit(bpf_insn i) { body_.push_back(i); }
    void jump_to(bpf_insn i, std::size_t target) {
        fixups_.push_back({body_.size(), target});
        emit(i);
    }
    void reject_if(bpf_insn cond) { jump_to(cond, kReject); }
    static std::int16_t mem_off(std::uint32_t k) { return static_cast<std::int16_t>(kMemOff + 4 * (k & 15)); }

    void prologue() {
        emit(insn(BPF_ALU64 | BPF_MOV | BPF_X, kPkt, 1, 0, 0));
        emit(insn(BPF_ALU | BPF_MOV | BPF_X, kCaplen, 2, 0, 0));  // 32-bit moves zero-extend
        emit(insn(BPF_STX | BPF_MEM | BPF_W, kFp, 3, kWirelenOff, 0));
        emit(insn(BPF_ALU | BPF_MOV | BPF_K, kA, 0, 0, 0));
        emit(insn(BPF_ALU | BPF_MOV | BPF_K, kX, 0, 0, 0));
        // Scratch words start at 0 (as in libpcap's bpf_filter): only those used.
        bool used[16] = {};
        for (const auto& i : prog_) {
            const unsigned cls = i.code & 0x07, mode = i.code & 0xe0;
            if (cls == 0x02 || cls == 0x03 || ((cls == 0x00 || cls == 0x01) && mode == 0x60)) used[i.k & 15] = true;
        }
        for (std::uint32_t k = 0; k < 16; ++k)
            if (used[k]) emit(insn(BPF_ST | BPF_MEM | BPF_W, kFp, 0, mem_off(k), 0));
        if (!buffered_) return;
        // The first min(caplen, kPrefix) bytes in one read; if it fails,
        // every load would (the same linear bytes): caplen 0 rejects them.
        emit(insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, kCaplen, 0, 0));
        emit(insn(BPF_JMP | BPF_JLE | BPF_K, 2, 0, 1, kPrefix));
        emit(insn(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, kPrefix));
        emit(insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, kFp, 0, 0));
        emit(insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, kPrefixOff));
        emit(insn(BPF_ALU64 | BPF_MOV | BPF_X, 3, kPkt, 0, 0));
        emit(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_kernel));
        emit(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 0));
        emit(insn(BPF_ALU | BPF_MOV | BPF_K, kCaplen, 0, 0, 0));
    }

    // dst = the big-endian value at the stack address in `base` + off.
    void load_stack(std::uint8_t dst, std::uint8_t base, std::int16_t off, unsigned size) {
        const std::uint8_t sz = size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
        emit(insn(BPF_LDX | BPF_MEM | sz, dst, base, off, 0));
        if (size > 1) emit(insn(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, static_cast<std::int32_t>(size * 8)));
    }
    // Sets the offset of the jump at `at` to land on the next instruction emitted.
    void land_here(std::size_t at) { body_[at].off = static_cast<std::int16_t>(body_.size() - at - 1); }

    // dst = P[off:size] big-endian, off = k (absolute) or X + k (indirect);
    // outside [0, caplen) or an unreadable address rejects.
    void load(std::uint8_t dst, std::uint32_t k, unsigned size, bool indirect) {
        if (!indirect) {
            const std::uint64_t end = std::uint64_t{k} + size;
            if (buffered_ && end <= kPrefix) {  // within the copy: caplen >= end is all to check
                reject_if(insn(BPF_JMP | BPF_JLT | BPF_K, kCaplen, 0, 0, static_cast<std::int32_t>(end)));
                load_stack(dst, kFp, static_cast<std::int16_t>(kPrefixOff + k), size);
                return;
            }
            if (end <= INT32_MAX) {
                reject_if(insn(BPF_JMP | BPF_JLT | BPF_K, kCaplen, 0, 0, static_cast<std::int32_t>(end)));
            } else {  // an immediate is signed: the end in a register
                emit(insn(BPF_ALU | BPF_MOV | BPF_K, 2, 0, 0, static_cast<std::int32_t>(k)));
                emit(insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, static_cast<std::int32_t>(size)));
                reject_if(insn(BPF_JMP | BPF_JGT | BPF_X, 2, kCaplen, 0, 0));
            }
            emit(insn(BPF_ALU64 | BPF_MOV | BPF_X, 3, kPkt, 0, 0));
            if (k) {
                emit(insn(BPF_ALU | BPF_MOV | BPF_K, 2, 0, 0, static_cast<std::int32_t>(k)));
                emit(insn(BPF_ALU64 | BPF_ADD | BPF_X, 3, 2, 0, 0));
            }
        } else {
            // 64-bit sums: X + k cannot wrap, so a past-caplen offset is never taken for a small one.
            emit(insn(BPF_ALU | BPF_MOV | BPF_X, 2, kX, 0, 0));
            emit(insn(BPF_ALU | BPF_MOV | BPF_K, 3, 0, 0, static_cast<std::int32_t>(k)));
            emit(insn(BPF_ALU64 | BPF_ADD | BPF_X, 2, 3, 0, 0));
            emit(insn(BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0));
            emit(insn(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, static_cast<std::int32_t>(size)));
            reject_if(insn(BPF_JMP | BPF_JGT | BPF_X, 3, kCaplen, 0, 0));
            std::size_t to_read = 0, to_done = 0;
            if (buffered_) {  // within the copy: a load at a variable stack offset (Linux 5.12+)
                to_read = body_.size();
                emit(insn(BPF_JMP | BPF_JGT | BPF_K, 2, 0, 0, static_cast<std::int32_t>(kPrefix - size)));
                emit(insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, kFp, 0, 0));
                emit(insn(BPF_ALU64 | BPF_ADD | BPF_X, 1, 2, 0, 0));
                load_stack(dst, 1, kPrefixOff, size);
                to_done = body_.size();
                emit(insn(BPF_JMP | BPF_JA, 0, 0, 0, 0));
                land_here(to_read);
            }
            emit(insn(BPF_ALU64 | BPF_MOV | BPF_X, 3, kPkt, 0, 0));
            emit(insn(BPF_ALU64 | BPF_ADD | BPF_X, 3, 2, 0, 0));
            read_kernel(dst, size);
            if (buffered_) land_here(to_done);
            return;
        }
        read_kernel(dst, size);
    }

    // dst = the big-endian value of `size` bytes at the kernel address in r3.
    void read_kernel(std::uint8_t dst, unsigned size) {
        emit(insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, kFp, 0, 0));
        emit(insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, kBufOff));
        emit(insn(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, static_cast<std::int32_t>(size)));
        emit(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_kernel));
        reject_if(insn(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, 0));
        load_stack(dst, kFp, kBufOff, size);
    }

    bool ld(std::size_t pc) {
        const txr_cbpf_insn& i = prog_[pc];
        const std::uint8_t dst = (i.code & 0x07) == 0x00 ? kA : kX;
        const unsigned size = (i.code & 0x18) == 0x00 ? 4 : (i.code & 0x18) == 0x08 ? 2 : 1;
        switch (i.code & 0xe0) {
        case 0x00:  // IMM
            emit(insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, static_cast<std::int32_t>(i.k)));
            return true;
        case 0x20:  // ABS
        case 0x40:  // IND
            load(dst, i.k, size, (i.code & 0xe0) == 0x40);
            return true;
        case 0x60:  // MEM
            emit(insn(BPF_LDX | BPF_MEM | BPF_W, dst, kFp, mem_off(i.k), 0));
            return true;
        case 0x80:  // LEN
            emit(insn(BPF_LDX | BPF_MEM | BPF_W, dst, kFp, kWirelenOff, 0));
            return true;
        case 0xa0:  // MSH: X = 4 * (P[k] & 0xf)
            load(kX, i.k, 1, false);
            emit(insn(BPF_ALU | BPF_AND | BPF_K, kX, 0, 0, 0xf));
            emit(insn(BPF_ALU | BPF_LSH | BPF_K, kX, 0, 0, 2));
            return true;
        }
        return false;
    }

    bool alu(const txr_cbpf_insn& i) {
        const unsigned op = i.code & 0xf0;
        const bool x = i.code & 0x08;
        const std::int32_t k = static_cast<std::int32_t>(i.k);
        switch (op) {
        case 0x00: case 0x10: case 0x20: case 0x40: case 0x50: case 0xa0:  // + - * | & ^
            emit(x ? insn(BPF_ALU | op | BPF_X, kA, kX, 0, 0) : insn(BPF_ALU | op | BPF_K, kA, 0, 0, k));
            return true;
        case 0x30: case 0x90:  // / %: by zero rejects
            if (x) {
                reject_if(insn(BPF_JMP32 | BPF_JEQ | BPF_K, kX, 0, 0, 0));
                emit(insn(BPF_ALU | op | BPF_X, kA, kX, 0, 0));
            } else if (i.k == 0) {
                reject_if(insn(BPF_JMP | BPF_JA, 0, 0, 0, 0));
            } else {
                emit(insn(BPF_ALU | op | BPF_K, kA, 0, 0, k));
            }
            return true;
        case 0x60: case 0x70:  // << >>: by 32 or more gives 0
            if (x) {
                emit(insn(BPF_JMP32 | BPF_JLT | BPF_K, kX, 0, 2, 32));
                emit(insn(BPF_ALU | BPF_MOV | BPF_K, kA, 0, 0, 0));
                emit(insn(BPF_JMP | BPF_JA, 0, 0, 1, 0));
                emit(insn(BPF_ALU | op | BPF_X, kA, kX, 0, 0));
            } else if (i.k >= 32) {
                emit(insn(BPF_ALU | BPF_MOV | BPF_K, kA, 0, 0, 0));
            } else {
                emit(insn(BPF_ALU | op | BPF_K, kA, 0, 0, k));
            }
            return true;
        case 0x80:  // NEG
            emit(insn(BPF_ALU | BPF_NEG, kA, 0, 0, 0));
            return true;
        }
        return false;
    }

    bool jmp(std::size_t pc) {
        const txr_cbpf_insn& i = prog_[pc];
        const unsigned op = i.code & 0xf0;
        if (op == 0x00) {  // JA
            jump_to(insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), pc + 1 + i.k);
            return true;
        }
        if (op > 0x40) return false;  // JEQ 0x10, JGT 0x20, JGE 0x30, JSET 0x40: the same codes in eBPF
        const std::size_t t = pc + 1 + i.jt, f = pc + 1 + i.jf;
        if (t != f)
            jump_to((i.code & 0x08) ? insn(BPF_JMP32 | op | BPF_X, kA, kX, 0, 0)
                                    : insn(BPF_JMP32 | op | BPF_K, kA, 0, 0, static_cast<std::int32_t>(i.k)),
                    t);
        if (f != pc + 1) jump_to(insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), f);
        return true;
    }

    bool one(std::size_t pc) {
        const txr_cbpf_insn& i = prog_[pc];
        switch (i.code & 0x07) {
        case 0x00: case 0x01:  // LD, LDX
            return ld(pc);
        case 0x02:  // ST
            emit(insn(BPF_STX | BPF_MEM | BPF_W, kFp, kA, mem_off(i.k), 0));
            return true;
        case 0x03:  // STX
            emit(insn(BPF_STX | BPF_MEM | BPF_W, kFp, kX, mem_off(i.k), 0));
            return true;
        case 0x04:
            return alu(i);
        case 0x05:
            return jmp(pc);
        case 0x06: {  // RET k / A / X
            const unsigned rval = i.code & 0x18;
            if (rval == 0x18) return false;
            emit(rval == 0x10   ? insn(BPF_ALU | BPF_MOV | BPF_X, 0, kA, 0, 0)
                 : rval == 0x08 ? insn(BPF_ALU | BPF_MOV | BPF_X, 0, kX, 0, 0)
                                : insn(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, static_cast<std::int32_t>(i.k)));
            emit(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
            return true;
        }
        case 0x07:  // TAX, TXA
            if ((i.code & 0xf8) == 0x00) emit(insn(BPF_ALU | BPF_MOV | BPF_X, kX, kA, 0, 0));
            else if ((i.code & 0xf8) == 0x80) emit(insn(BPF_ALU | BPF_MOV | BPF_X, kA, kX, 0, 0));
            else return false;
            return true;
        }
        return false;
    }

    const std::vector<txr_cbpf_insn>& prog_;
    const bool buffered_;
    std::vector<bpf_insn> body_;
    std::vector<std::size_t> start_;
    std::vector<Fixup> fixups_;
};

}  // namespace

JitCode translate_cbpf(const std::vector<txr_cbpf_insn>& prog, std::size_t slots, bool buffered) {
    std::string why;
    if (!interpreter_supports(prog, &why)) return JitCode{{}, why};
    return Translator(prog, buffered).run(slots);
}

std::optional<std::string> jit_load_refused(const std::vector<bpf_insn>& body) {
    // main: unknown arguments (from the clock), call the body, return its verdict.
    std::vector<bpf_insn> p = {
        insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns),
        insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 0, 0, 0),
        insn(BPF_ALU | BPF_MOV | BPF_X, 2, 0, 0, 0),
        insn(BPF_ALU | BPF_MOV | BPF_X, 3, 0, 0, 0),
        insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1),
        insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    p.insert(p.end(), body.begin(), body.end());
    int fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "txr_pcap_probe", "GPL", p.data(), p.size(), nullptr);
    if (fd >= 0) {
        close(fd);
        return std::nullopt;
    }
    std::string why = std::strerror(errno);
    // Again with the verifier's log (a log that fills up fails a load by itself: ENOSPC).
    std::vector<char> log(4 << 20);
    LIBBPF_OPTS(bpf_prog_load_opts, o, .log_level = 1, .log_size = static_cast<__u32>(log.size()),
                .log_buf = log.data());
    fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "txr_pcap_probe", "GPL", p.data(), p.size(), &o);
    if (fd >= 0) close(fd);
    // The verifier's last line before its statistics says what it refused.
    std::string text(log.data()), last;
    for (std::size_t at = 0; at < text.size();) {
        std::size_t nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(at, nl - at);
        if (!line.empty() && line.rfind("processed ", 0) != 0 && line.rfind("verification time", 0) != 0 &&
            line.rfind("stack depth", 0) != 0)
            last = line;
        at = nl + 1;
    }
    if (!last.empty()) why += " (" + last + ")";
    return why;
}

CompiledFilterObject compile_filter_into(const void* elf, std::size_t size, const PcapFilter& filter,
                                         bool allow_buffered) {
    CompiledFilterObject c;
    c.buffered = allow_buffered;
    const auto* bytes = static_cast<const std::uint8_t*>(elf);
    c.elf.assign(bytes, bytes + size);
    for (std::uint32_t key : {TXR_PCAP_RAW, TXR_PCAP_ETH}) {
        const std::string name = key == TXR_PCAP_RAW ? TXR_PCAP_JIT_RAW : TXR_PCAP_JIT_ETH;
        const ElfFunction fn = find_rewritable_function(c.elf, name);
        if (!fn.ok()) return {{}, fn.error};
        // With the prefix copy where this kernel takes it (variable stack
        // offsets: Linux 5.12+), else one helper call per load.
        const auto& prog = key == TXR_PCAP_RAW ? filter.raw : filter.eth;
        JitCode code = translate_cbpf(prog, fn.size / sizeof(bpf_insn), allow_buffered);
        if (!code.ok()) return {{}, code.error};
        if (allow_buffered && jit_load_refused(code.insns)) {
            c.buffered = false;
            code = translate_cbpf(prog, fn.size / sizeof(bpf_insn), false);
            if (auto why = jit_load_refused(code.insns)) return {{}, "the kernel refused the compiled filter: " + *why};
        }
        std::memcpy(c.elf.data() + fn.file_offset, code.insns.data(), fn.size);
        c.insns += code.body;
    }
    return c;
}

std::string describe_filter_engine(const CompiledFilterObject& c) {
    if (c.ok())
        return "compiled to eBPF (" + std::to_string(c.insns) + " instructions, " +
               (c.buffered ? "the first 64 bytes read once)" : "one read per load)");
    return "interpreted in BPF (" + c.error + ")";
}

std::string filter_engine_on_this_kernel() {
    const PcapFilter f = compile_pcap_filter("udp and dst port 53 and ip[8] > 1");
    JitCode code = translate_cbpf(f.raw, 256, false);
    if (!code.ok()) return "interpreted in BPF (" + code.error + ")";
    if (auto why = jit_load_refused(code.insns)) return "interpreted in BPF (the kernel refused a compiled one: " + *why + ")";
    return "compiled to eBPF at load time";
}

}  // namespace txray
