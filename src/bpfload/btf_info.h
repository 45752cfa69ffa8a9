// Read-only questions to the running kernel's BTF.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

struct btf;

namespace txray {

class KernelBtf {
public:
    // Loads /sys/kernel/btf/vmlinux; ok() is false when the kernel has none.
    KernelBtf();
    ~KernelBtf();
    KernelBtf(const KernelBtf&) = delete;
    KernelBtf& operator=(const KernelBtf&) = delete;

    bool ok() const { return btf_ != nullptr; }
    const std::string& error() const { return error_; }
    // BTF type id of a kernel function, or -1.
    int func_id(const std::string& name) const;
    // Does struct `type` have a member `member` (at its top level)?
    bool has_member(const std::string& type, const std::string& member) const;
    // Is there a BTF-enabled raw tracepoint (typedef btf_trace_<name>)?
    bool has_raw_tracepoint(const std::string& name) const;
    // enum skb_drop_reason value -> "QDISC_DROP" (prefix SKB_DROP_REASON_ removed).
    std::string drop_reason_name(std::uint32_t value) const;
    // The kernel has enum skb_drop_reason (Linux 5.17+; kfree_skb passes it).
    bool has_drop_reasons() const { return !drop_reasons_.empty(); }

private:
    struct btf* btf_ = nullptr;
    std::string error_;
    std::unordered_map<std::uint32_t, std::string> drop_reasons_;
};

}  // namespace txray
