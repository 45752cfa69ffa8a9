// Kernel records (struct txr_packet / txr_send) -> model packets.
#pragma once
#include <functional>
#include <string>

#include "core/packet.h"
#include "txray.h"

namespace txray {

// Names for enum skb_drop_reason values (read from the kernel's BTF).
using DropReasonNamer = std::function<std::string(std::uint32_t)>;
// "neigh_invalidate+0x9a" for a kernel text address ("" if unknown).
using KernelSymbolNamer = std::function<std::string(std::uint64_t)>;

// Everything the kernel knows about the packet; send-level facts (syscall
// return) are added by the Assembler.
Packet packet_from_record(const txr_packet& r, const DropReasonNamer& reason_name,
                          const KernelSymbolNamer& symbol_name = nullptr);

// The agent's capture on the lean state (bpf/lean_select.bpf.h): a selected
// packet's state, or one user space swept unfinished, as the kernel's packet
// record the record programs would have made with --no-syscalls, less what
// the lean state does not keep (hops, the qdisc's and BQL's figures, the
// drop's location).
txr_packet record_from_lean(const txr_lean_record& r);

// The devices after the first one (a txr_hops record, emitted right before
// its packet's): appended to p.hops (whose first entry packet_from_record
// made from the top-level device), each with its stages (StageMark::hop) and
// its flow where the headers changed on the way.
void add_hops(Packet& p, const txr_hops& h);

// "ENOBUFS" for -105, "" for ret >= 0.
std::string errno_name_for_ret(std::int64_t ret);
std::string syscall_name(std::uint32_t nr);

}  // namespace txray
