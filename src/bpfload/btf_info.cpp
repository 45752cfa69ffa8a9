#include "btf_info.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace txray {

KernelBtf::KernelBtf() {
    btf_ = btf__load_vmlinux_btf();
    if (!btf_) {
        error_ = std::string("cannot load kernel BTF: ") + std::strerror(errno);
        return;
    }
    int id = btf__find_by_name_kind(btf_, "skb_drop_reason", BTF_KIND_ENUM);
    if (id < 0) return;
    const btf_type* t = btf__type_by_id(btf_, id);
    const struct btf_enum* e = btf_enum(t);
    const std::string prefix = "SKB_DROP_REASON_";
    for (int i = 0; i < btf_vlen(t); ++i, ++e) {
        std::string n = btf__name_by_offset(btf_, e->name_off);
        if (n.rfind(prefix, 0) == 0) n = n.substr(prefix.size());
        drop_reasons_.emplace(static_cast<std::uint32_t>(e->val), std::move(n));
    }
}

KernelBtf::~KernelBtf() { btf__free(btf_); }

int KernelBtf::func_id(const std::string& name) const {
    if (!btf_) return -1;
    int id = btf__find_by_name_kind(btf_, name.c_str(), BTF_KIND_FUNC);
    return id < 0 ? -1 : id;
}

bool KernelBtf::has_member(const std::string& type, const std::string& member) const {
    if (!btf_) return false;
    const int id = btf__find_by_name_kind(btf_, type.c_str(), BTF_KIND_STRUCT);
    if (id < 0) return false;
    const struct btf_type* t = btf__type_by_id(btf_, id);
    const struct btf_member* m = btf_members(t);
    for (int i = 0; i < btf_vlen(t); ++i, ++m)
        if (const char* n = btf__name_by_offset(btf_, m->name_off); n && member == n) return true;
    return false;
}

bool KernelBtf::has_raw_tracepoint(const std::string& name) const {
    return btf_ && btf__find_by_name_kind(btf_, ("btf_trace_" + name).c_str(), BTF_KIND_TYPEDEF) > 0;
}

std::string KernelBtf::drop_reason_name(std::uint32_t value) const {
    // Before Linux 5.17 kfree_skb gives no reason: every drop is unspecified.
    if (drop_reasons_.empty()) return "NOT_SPECIFIED";
    if (auto it = drop_reasons_.find(value); it != drop_reasons_.end()) return it->second;
    return "REASON_" + std::to_string(value);
}

}  // namespace txray
