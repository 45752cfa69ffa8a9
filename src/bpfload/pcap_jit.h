// tcpdump expressions compiled to eBPF: libpcap's classic BPF (pcap_filter.h)
// translated into eBPF instructions at load time and written over the two
// placeholder functions of the BPF object (txr_pcap_jit_raw/_eth,
// bpf/pcap_filter.bpf.h) before libbpf opens it. The in-kernel interpreter
// stays for what cannot be translated or loaded here.
#pragma once
#include <bpf/libbpf.h>
#include <linux/bpf.h>  // struct bpf_insn (eBPF); not with <pcap/pcap.h>

#include <cstddef>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "pcap_filter.h"

namespace txray {

// The eBPF body of one placeholder: called with r1 = the kernel address of
// the program's byte 0, w2 = the readable bytes from there (caplen), w3 =
// the wire length; returns the cBPF program's verdict in w0, with
// libpcap's semantics (a load outside caplen or a division by zero
// rejects). Exactly `slots` instructions (no-op jumps first), or `error`.
// `buffered`: the first 64 bytes copied to the stack with one helper call
// (loads at a variable offset there need Linux 5.12+), else one call per load.
struct JitCode {
    std::vector<bpf_insn> insns;
    std::string error;
    std::size_t body = 0;  // instructions before padding
    bool ok() const { return error.empty(); }
};
JitCode translate_cbpf(const std::vector<txr_cbpf_insn>& prog, std::size_t slots, bool buffered);

// Whether this kernel's verifier takes `body` (a throw-away tracepoint
// program calls it as a subprogram with unknown arguments): nothing, or why not.
std::optional<std::string> jit_load_refused(const std::vector<bpf_insn>& body);

// A BPF object's ELF with the filter's two programs compiled into its
// placeholders, or `error` saying why the filter stays interpreted.
struct CompiledFilterObject {
    std::vector<std::uint8_t> elf;
    std::string error;
    std::size_t insns = 0;  // eBPF instructions of the two programs (without padding)
    bool buffered = false;  // both with the prefix copy (translate_cbpf)
    bool ok() const { return error.empty(); }
};
// `allow_buffered`: the prefix copy where this kernel takes it (tests turn it off).
CompiledFilterObject compile_filter_into(const void* elf, std::size_t size, const PcapFilter& filter,
                                         bool allow_buffered = true);

// One line for doctor/live/record: how the expression runs in the kernel.
std::string describe_filter_engine(const CompiledFilterObject& c);

// How expressions run on this kernel (txray doctor): a sample one compiled and loaded.
std::string filter_engine_on_this_kernel();

// Opens a bpftool skeleton from `elf` instead of the image built into it;
// nullptr and errno on failure, as X__open(). `elf` must outlive the skeleton:
// libbpf reads it in place (bpf_object__open_mem keeps the pointer) until load.
template <typename Skel>
Skel* open_skeleton_from(int (*create)(Skel*), void (*destroy)(Skel*), const std::vector<std::uint8_t>& elf) {
    auto* s = static_cast<Skel*>(std::calloc(1, sizeof(Skel)));  // what X__destroy() frees
    if (!s) {
        errno = ENOMEM;
        return nullptr;
    }
    int err = create(s);
    if (!err) {
        s->skeleton->data = const_cast<std::uint8_t*>(elf.data());
        s->skeleton->data_sz = elf.size();
        err = bpf_object__open_skeleton(s->skeleton, nullptr);
        if (!err) return s;
    }
    destroy(s);
    errno = err < 0 ? -err : err;
    return nullptr;
}

}  // namespace txray
