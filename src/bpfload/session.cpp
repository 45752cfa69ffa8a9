#include "session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string_view>

#include "core/packet.h"
#include "hook_probe.h"
#include "kernel_compat.h"
#include "pcap_filter.h"
#include "pcap_jit.h"
#include "system.h"
#include "txray.skel.h"

namespace txray {

namespace {

bool g_verbose = false;
std::deque<std::string> g_libbpf_lines;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (g_verbose) return vfprintf(stderr, fmt, args);
    if (level == LIBBPF_DEBUG) return 0;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, args);
    g_libbpf_lines.emplace_back(buf);
    while (g_libbpf_lines.size() > 4) g_libbpf_lines.pop_front();
    return 0;
}

std::string errstr(int err) { return std::strerror(err < 0 ? -err : err); }

// Every program the stage table (bpf/stage_table.h) names, by its skeleton
// handle: a program the table names and the BPF object lacks does not compile.
struct NamedProgram {
    const char* name;
    bpf_program* prog;
};
std::vector<NamedProgram> stage_programs(const txray_bpf& s) {
#define HOOK_FK(stem, fn) {"txr_fentry_" #stem, s.progs.txr_fentry_##stem}, {"txr_kprobe_" #stem, s.progs.txr_kprobe_##stem}
#define HOOK_FK_OPT(stem, fn) HOOK_FK(stem, fn)
#define HOOK_FK_ELSE(stem, fn) HOOK_FK(stem, fn)
#define HOOK_TP(prog, target) {#prog, s.progs.prog}
#define HOOK_TP_OPT(prog, target) HOOK_TP(prog, target)
#define HOOK_CGROUP(prog) {#prog, s.progs.prog}
#define HOOK_CGROUP_OPT(prog) {#prog, s.progs.prog}
#define HOOK_NOTE(text) {nullptr, nullptr}
#define HOOK_NONE(text) {nullptr, nullptr}
#define TXR_UNPAREN(...) __VA_ARGS__
#define TXR_X_PROGS(ID, name, layer, creates, lean, colour, hooks, desc) TXR_UNPAREN hooks,
    std::vector<NamedProgram> all = {TXR_STAGE_TABLE(TXR_X_PROGS)};
#undef TXR_X_PROGS
    std::erase_if(all, [](const NamedProgram& p) { return !p.name; });
    return all;
}

constexpr std::uint32_t kSendsByTid = 16384;  // txr_sends_by_tid's size when used

// Where send contexts live: task storage, if every program the plan loads
// may call bpf_task_storage_get (tracing types may, 5.11+; cgroup_skb may on
// 6.18, not on 6.12), else a hash keyed by thread id. Returns the reason for
// the fallback, or nothing.
std::optional<std::string> task_storage_refused(const HookPlan& plan) {
    if (auto why = task_storage_unsupported()) return why;
    for (const auto& c : plan.stages)
        for (const auto& name : c.programs)
            if (name == "txr_cgroup_egress")
                for (auto [id, helper] : {std::pair{BPF_FUNC_task_storage_get, "bpf_task_storage_get"},
                                          std::pair{BPF_FUNC_get_current_task_btf, "bpf_get_current_task_btf"}})
                    if (auto r = HookProber::helper(BPF_PROG_TYPE_CGROUP_SKB, id, helper); !r.ok) return r.why;
    return std::nullopt;
}

// Can the programs tell an interrupt from the task (bpf/irq_context.bpf.h)?
// Only with the four programs that flag each CPU's softirq and IRQ handlers
// (loaded with the syscall stage: without it no packet has a thread's send).
// Returns why not (empty: no need), or nothing.
std::optional<std::string> irq_context_unknown(const HookPlan& plan) {
    const StageChoice* c = plan.find(Stage::sendmsg);
    if (!c || !c->available) return "";
    for (const char* name : {"txr_tp_softirq_entry", "txr_tp_softirq_exit", "txr_tp_irq_handler_entry",
                             "txr_tp_irq_handler_exit"})
        if (std::find(c->programs.begin(), c->programs.end(), name) == c->programs.end())
            return std::string("no irq tracepoint ") + (name + 7);
    return std::nullopt;
}

}  // namespace

void set_libbpf_verbose(bool verbose) {
    g_verbose = verbose;
    libbpf_set_print(libbpf_print);
}

std::string libbpf_last_error() {
    std::string s;
    for (const auto& l : g_libbpf_lines) s += l;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

std::vector<std::pair<std::string, std::string>> Filters::describe() const {
    std::vector<std::pair<std::string, std::string>> d;
    if (tgid) d.emplace_back("pid", std::to_string(tgid));
    if (!comm.empty()) d.emplace_back("comm", comm);
    if (!iface.empty()) d.emplace_back("iface", iface);
    if (proto) d.emplace_back("proto", proto_name(proto));
    if (port) d.emplace_back("port", std::to_string(port));
    if (!host.empty()) d.emplace_back("host", host);
    if (sample_every > 1) d.emplace_back("sample", "1/" + std::to_string(sample_every));
    if (!cgroup.empty()) d.emplace_back("cgroup", cgroup);
    if (!netns.empty()) d.emplace_back("netns", netns);
    if (!expression.empty()) d.emplace_back("expression", expression);
    return d;
}

void Session::SkelDeleter::operator()(txray_bpf* s) const { txray_bpf__destroy(s); }
void Session::LinkDeleter::operator()(bpf_link* l) const { bpf_link__destroy(l); }
void Session::RingDeleter::operator()(ring_buffer* r) const { ring_buffer__free(r); }

// What the filters name, as the kernel knows it.
struct Session::ResolvedFilters {
    std::uint32_t ifindex = 0;
    std::uint32_t ifnetns = 0;  // the namespace --iface's index is in
    std::uint8_t host_family = 0;  // 0: no --host
    std::array<std::uint8_t, 16> host{};
    PcapFilter pcap;
    CgroupScope cgroup;
    std::uint32_t netns = 0;
};

// The constructor's steps, in order. Each reads what the ones before it set.
Session::Session(const SessionOptions& opt) : opt_(opt) {
    set_libbpf_verbose(opt.verbose);
    check_privileges();
    const ResolvedFilters filters = resolve_filters(opt.filters);
    choose_plan();
    open_skeleton(filters.pcap);
    check_option_combinations();
    write_rodata(filters);
    size_maps();
    choose_storage();
    load(filters.pcap);
}

void Session::check_privileges() {
    Privileges priv = current_privileges();
    if (!priv.enough())
        throw TxrayError("needs root (or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN) to load BPF programs; " +
                         priv.describe());
    if (!have_vmlinux_btf())
        throw TxrayError("the kernel has no BTF (/sys/kernel/btf/vmlinux missing; CONFIG_DEBUG_INFO_BTF=y needed)");
}

// Filters are resolved before anything is loaded: a bad one costs nothing.
Session::ResolvedFilters Session::resolve_filters(const Filters& f) {
    ResolvedFilters r;
    if (!f.iface.empty()) {
        r.ifindex = if_nametoindex(f.iface.c_str());
        if (!r.ifindex) throw TxrayError("no such interface: " + f.iface);
        // --iface: an index in txray's own network namespace (the same number
        // may name another device in another namespace): both go to the kernel.
        r.ifnetns = resolve_netns("/proc/self/ns/net");
    }
    if (!f.host.empty()) {
        for (std::uint8_t fam : {4, 6})
            if (auto a = addr_from_string(fam, f.host)) {
                r.host_family = fam;
                r.host = *a;
                break;
            }
        if (!r.host_family) throw TxrayError("--host: not an IPv4 or IPv6 address: " + f.host);
    }
    // Issue 7: tcpdump expression (FilterError: exit code 2), cgroup, netns.
    r.pcap = compile_pcap_filter(f.expression);
    if (!f.cgroup.empty()) r.cgroup = resolve_cgroup(f.cgroup, cgroup2_mount().value_or(""));
    r.netns = f.netns.empty() ? 0 : resolve_netns(f.netns);
    return r;
}

// BTF, the hook for every stage, and whether the summary runs lean.
void Session::choose_plan() {
    btf_ = std::make_unique<KernelBtf>();
    if (!btf_->ok()) throw TxrayError(btf_->error());
    std::string tracefs_err;
    auto tracefs = ensure_tracefs(tracefs_err);
    HookProber prober(*btf_, tracefs, cgroup2_mount());
    plan_ = choose_hooks(prober, opt_.hooks);
    // The agent's capture without syscall hooks judges its selection on the
    // lean summary's state and makes a record only for a selected packet
    // (bpf/lean_select.bpf.h): the full record made for every packet was most
    // of its cost (issue 21, target 5). --pid/--comm and --headers need the
    // record programs.
    const bool lean_capture = opt_.summary_maps && opt_.selecting() && opt_.no_syscalls && !opt_.snaplen;
    lean_ = (lean_capture || (opt_.summary && !opt_.summary_syscalls)) && !opt_.filters.tgid &&
            opt_.filters.comm.empty();
    if (lean_)
        switch_off(plan_, lean_summary_off_stages(),
                   lean_capture ? "off in the agent's capture (--syscalls keeps it)"
                                : "off in the lean --summary (--syscalls keeps it)");
    else if (opt_.no_syscalls) {
        // netif_receive is an skb stage the lean summary lacks (it follows no
        // packet past its first device), not one that needs a syscall.
        std::vector<Stage> off = lean_summary_off_stages();
        std::erase(off, Stage::netif_receive);
        switch_off(plan_, off, "off with --no-syscalls (skb stages only)");
    }
}

// The expression compiled into the object's placeholders, unless this
// kernel refuses the translation (then interpreted; TXRAY_PCAP_INTERPRETER=1 forces it).
void Session::open_skeleton(const PcapFilter& pcap) {
    CompiledFilterObject compiled{{}, "no expression"};
    if (!pcap.empty()) {
        std::size_t elf_size = 0;
        const void* elf = txray_bpf__elf_bytes(&elf_size);
        compiled = std::getenv("TXRAY_PCAP_INTERPRETER") ? CompiledFilterObject{{}, "TXRAY_PCAP_INTERPRETER is set"}
                                                         : compile_filter_into(elf, elf_size, pcap);
        filter_engine_ = describe_filter_engine(compiled);
        filter_compiled_ = compiled.ok();
    }
    compiled_elf_ = std::move(compiled.elf);
    skel_.reset(filter_compiled_ ? open_skeleton_from(txray_bpf__create_skeleton, txray_bpf__destroy, compiled_elf_)
                                 : txray_bpf__open());
    if (!skel_) throw TxrayError("cannot open the BPF object: " + errstr(errno));
}

void Session::check_option_combinations() const {
    if (opt_.selecting() && opt_.summary) throw TxrayError("--slower-than/--drops-only select records: not with --summary");
    if (opt_.selecting() && opt_.snaplen) throw TxrayError("--headers is taken before a packet is selected: not with --slower-than/--drops-only");
    if (opt_.snaplen > TXR_SNAPLEN_MAX)
        throw TxrayError("--snaplen: at most " + std::to_string(TXR_SNAPLEN_MAX) + " bytes");
}

// The filters and modes the BPF programs read as constants.
void Session::write_rodata(const ResolvedFilters& filters) {
    by_cgroup_ = opt_.by_cgroup;
    auto* ro = skel_->rodata;
    ro->f_tgid = opt_.filters.tgid;
    if (!opt_.filters.comm.empty()) {
        ro->f_has_comm = 1;
        std::strncpy(const_cast<char*>(ro->f_comm), opt_.filters.comm.c_str(), TXR_COMM_LEN - 1);
    }
    ro->f_ifindex = filters.ifindex;
    ro->f_ifnetns = filters.ifnetns;
    ro->f_proto = opt_.filters.proto;
    ro->f_port = opt_.filters.port;
    ro->f_host_family = filters.host_family;
    std::memcpy(const_cast<std::uint8_t*>(ro->f_host), filters.host.data(), 16);
    ro->sample_every = opt_.filters.sample_every;
    ro->f_pcap = filters.pcap.empty() ? 0 : 1;
    ro->txr_pcap_compiled = filter_compiled_ ? 1 : 0;
    ro->f_cgroup_id = filters.cgroup.id;
    ro->f_cgroup_level = filters.cgroup.level;
    ro->f_netns = filters.netns;
    ro->summary_mode = opt_.summary ? 1 : 0;
    ro->no_syscalls = opt_.no_syscalls && !lean_ ? 1 : 0;
    ro->lean_summary = lean_ ? 1 : 0;
    ro->summary_maps = opt_.summary_maps ? 1 : 0;
    ro->select_on = opt_.selecting() ? 1 : 0;
    ro->select_drops = opt_.select_drops ? 1 : 0;
    ro->select_slower_ns = opt_.select_slower_ns;
    ro->by_cgroup = opt_.by_cgroup ? 1 : 0;
    ro->snaplen = opt_.snaplen;
}

void Session::size_maps() {
    bpf_map__set_max_entries(skel_->maps.txr_events, opt_.ringbuf_bytes);
    // Each CPU asks for a wakeup after reserving this much (rb_flags() in
    // bpf/lib/cpu_state.bpf.h): at most 1 MiB, and all CPUs' shares together a quarter
    // of the ring, so the reader is woken well before it fills.
    const int cpus = std::max(1, libbpf_num_possible_cpus());
    skel_->rodata->wakeup_bytes = std::clamp<std::uint64_t>(opt_.ringbuf_bytes / 4 / cpus, 4096, 1 << 20);
    // One of the two in-flight tables is used; the other stays at one entry.
    bpf_map__set_max_entries(skel_->maps.txr_inflight, lean_ ? 1 : opt_.inflight_max);
    bpf_map__set_max_entries(skel_->maps.txr_lean_inflight, lean_ ? opt_.inflight_max : 1);
    // The lean state's tail is the agent capture's (bpf/lean_select.bpf.h):
    // without the selection the hash's entries are 40 bytes, not 216.
    if (!opt_.selecting())
        bpf_map__set_value_size(skel_->maps.txr_lean_inflight, offsetof(txr_lean, ts_off));
    bpf_map__set_max_entries(skel_->maps.txr_cgroups, opt_.by_cgroup ? TXR_CGROUP_ENTRIES : 1);
}

// Where send contexts and packets in flight live, and what an older kernel
// lacks (said by doctor, live, record).
void Session::choose_storage() {
    auto* ro = skel_->rodata;
    // Send contexts in task storage, unless a chosen program's type may not
    // call bpf_task_storage_get (cgroup_skb on 6.12 may not; 6.18 may): then
    // in a hash keyed by thread id.
    auto refused = task_storage_refused(plan_);
    if (refused && task_storage_unsupported())
        for (bpf_map* m : {skel_->maps.txr_sends, skel_->maps.txr_pkt_slots, skel_->maps.txr_lean_slots})
            stand_ins_.replace(m);
    ro->sends_in_task_storage = refused ? 0 : 1;
    ro->drop_reasons = btf_->has_drop_reasons() ? 1 : 0;
    ro->task_btf = HookProber::helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_current_task_btf,
                                      "bpf_get_current_task_btf").ok ? 1 : 0;
    if (auto why = task_storage_unsupported())
        fallbacks_.push_back(*why + ": send contexts in a hash by thread id, packets in flight in a hash by skb");
    if (!ro->task_btf)
        fallbacks_.push_back("no bpf_get_current_task_btf (Linux 5.11+): the thread's files and context switches "
                             "are read through bpf_get_current_task");
    // Interrupt context (bpf/irq_context.bpf.h): an interrupt's packets never
    // take the interrupted thread's send.
    const auto irq_unknown = irq_context_unknown(plan_);
    ro->irq_ctx_known = irq_unknown ? 0 : 1;
    if (irq_unknown && !irq_unknown->empty())
        fallbacks_.push_back("interrupt context not told apart (" + *irq_unknown + "): a packet a softirq makes on a "
                             "sending thread's CPU is judged by its socket only");
    if (!ro->drop_reasons)
        fallbacks_.push_back("kfree_skb gives no drop reason (Linux 5.17+): a drop keeps its stage, reason NOT_SPECIFIED");
    bpf_map__set_max_entries(skel_->maps.txr_sends_by_tid, refused ? kSendsByTid : 1);
    send_storage_ = refused ? "hash by thread id, " + std::to_string(kSendsByTid) + " entries (" + *refused + ")"
                            : "task storage, one per sending thread";
    // Packet slots (bpf/lib/thread_slot.bpf.h) live in task storage too. The lean
    // summary also needs the neighbour stage: it is where a packet that waits
    // for ARP/ND leaves its thread's slot (its tracepoint finds the packet
    // nowhere else, so without slots it has nothing to stamp).
    const StageChoice* neigh = plan_.find(Stage::neigh_resolve);
    if (lean_ && refused && neigh && neigh->available && neigh->kind == HookKind::tracepoint)
        switch_off(plan_, {Stage::neigh_resolve}, "needs task storage in cgroup_skb programs in the lean --summary");
    ro->slots_on = !refused && (!lean_ || (neigh && neigh->available)) ? 1 : 0;
    packet_store_ = ro->slots_on ? "the sending thread's slot while it carries them (task storage), else a hash by skb"
                    : refused   ? "a hash by skb (" + *refused + ")"
                                : "a hash by skb (the lean --summary has no neighbour stage here)";
}

// Loads only the chosen programs, then stores the filter program.
void Session::load(const PcapFilter& pcap) {
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel_->obj) bpf_program__set_autoload(prog, false);
    for (const auto& c : plan_.stages)
        for (const auto& name : c.programs) bpf_program__set_autoload(program(name), true);
    if (int err = txray_bpf__load(skel_.get()))
        throw TxrayError("cannot load the BPF programs: " + errstr(err) +
                         (opt_.verbose ? "" : " (run with --verbose for libbpf's log)"));
    // Before attach: no packet is judged against an empty program.
    if (!pcap.empty())
        if (int err = store_pcap_filter(bpf_map__fd(skel_->maps.txr_pcap_progs), pcap))
            throw TxrayError("cannot store the filter program: " + errstr(err));
}

Session::~Session() {
    detach();
    ring_.reset();
    skel_.reset();
    if (cgroup_fd_ >= 0) close(cgroup_fd_);
}

void Session::attach(RecordHandler on_record) {
    on_record_ = std::move(on_record);
    ring_.reset(ring_buffer__new(bpf_map__fd(skel_->maps.txr_events), &Session::on_record, this, nullptr));
    if (!ring_) throw TxrayError("cannot set up the ring buffer: " + errstr(errno));

    for (auto& c : plan_.stages) {
        if (!c.available) continue;
        if (c.stage == Stage::netif_receive) {
            start_receive_hooks(c);  // receive_hooks.cpp: attached, later on demand
            continue;
        }
        auto& links = stage_info(c.stage).creates ? creator_links_ : links_;
        for (const auto& name : c.programs) {
            bpf_link* link = attach_program(program(name));
            if (!link) {
                const int err = errno;  // before the strings below allocate
                c.available = false;
                c.rejected.push_back(hook_kind_name(c.kind) + ": " + attach_failure(name, err));
                break;
            }
            links.emplace_back(link);
        }
    }
    const bool any_creates = std::any_of(kStageTable.begin(), kStageTable.end(), [&](const StageInfo& s) {
        const StageChoice* c = plan_.find(s.stage);
        return s.creates && c && c->available;
    });
    if (!any_creates)
        throw TxrayError("no stage that sees packets first could be attached (ip_output, dev_queue_xmit...): "
                         "run `txray doctor`");
}

bpf_link* Session::attach_program(bpf_program* p) {
    if (bpf_program__type(p) != BPF_PROG_TYPE_CGROUP_SKB) return bpf_program__attach(p);
    if (cgroup_fd_ < 0) {
        auto cg = cgroup2_mount();
        cgroup_fd_ = cg ? open(cg->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    }
    // A link (not a legacy attach): the kernel detaches it when txray's fd
    // closes, even on SIGKILL.
    if (cgroup_fd_ < 0) {
        errno = ENOENT;
        return nullptr;
    }
    return bpf_program__attach_cgroup(p, cgroup_fd_);
}

std::string Session::attach_failure(const std::string& program, int err) {
    return "attach " + program + " failed: " + errstr(err);
}

bpf_program* Session::program(const std::string& name) const {
    for (const NamedProgram& p : stage_programs(*skel_))
        if (name == p.name) return p.prog;
    // The plan comes from the same table: only a bug gets here.
    throw TxrayError("internal: the hook plan names a program the BPF object lacks: " + name);
}

void Session::detach() {
    // Destroying a link detaches its program: tracepoints, fentry/kprobes and
    // the cgroup program alike. The stages that make records go first; the
    // rest a moment later, so that a send running now ends with its programs
    // attached and emits the record it holds in its thread's slot
    // (hold_for_send, bpf/packet_stage.bpf.h), and packets already made get
    // their later stages. Not without a record reader (live --summary): it
    // holds none, and its last counts must not move after its last tick.
    if (on_record_ && !creator_links_.empty()) {
        creator_links_.clear();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    creator_links_.clear();
    // The receive links before the rest: destroyed last, their program was
    // still listed by `bpftool prog show` right after txray exited (a raw
    // tracepoint link puts its program after an RCU grace period).
    receive_links_.clear();
    receive_programs_.clear();
    links_.clear();
}

int Session::on_record(void* ctx, void* data, std::size_t size) {
    auto* self = static_cast<Session*>(ctx);
    if (self->on_record_) self->on_record_(data, size);
    // A negative return stops libbpf's loop; this record counts as consumed
    // (ringbuf_process_ring stores the consumer position first).
    return --self->budget_ == 0 ? -E2BIG : 0;
}

int Session::poll(int timeout_ms) {
    if (!ring_) return 0;
    tend_receive_hooks();
    // While the receive hooks are away a park wakes no one (it emits no
    // record): look more often, so that they are back within ~10 ms.
    if (receive_hooks_away()) timeout_ms = std::min(timeout_ms, 10);
    budget_ = kRecordsPerPoll;
    int err = ring_buffer__poll(ring_.get(), behind_ ? 0 : timeout_ms);
    // With BPF_RB_NO_WAKEUP records wait without an epoll event: take them too.
    if (err >= 0) err = ring_buffer__consume(ring_.get());
    behind_ = err == -E2BIG;
    if (err < 0 && err != -E2BIG && err != -EINTR) return err;
    return static_cast<int>(kRecordsPerPoll - budget_);
}

int Session::drain() {
    if (!ring_) return 0;
    budget_ = SIZE_MAX;
    int n = ring_buffer__consume(ring_.get());
    return n < 0 ? 0 : n;
}

namespace {
// Entry `key` of a per-CPU array of u64, summed over the CPUs (0 if absent).
std::uint64_t percpu_total(int fd, std::uint32_t key, std::vector<std::uint64_t>& per_cpu) {
    if (bpf_map_lookup_elem(fd, &key, per_cpu.data())) return 0;
    std::uint64_t sum = 0;
    for (std::uint64_t v : per_cpu) sum += v;
    return sum;
}

std::vector<std::uint64_t> per_cpu_values() {
    const int ncpu = libbpf_num_possible_cpus();
    return std::vector<std::uint64_t>(ncpu > 0 ? ncpu : 1);
}
}  // namespace

Counters Session::counters() const {
    Counters total{};
    std::vector<std::uint64_t> per_cpu = per_cpu_values();
    const int fd = bpf_map__fd(skel_->maps.txr_counters);
    for (std::uint32_t i = 0; i < total.size(); ++i) total[i] = percpu_total(fd, i, per_cpu);
    return total;
}

std::uint64_t Session::counter(std::uint32_t which) const {
    std::vector<std::uint64_t> per_cpu = per_cpu_values();
    return percpu_total(bpf_map__fd(skel_->maps.txr_counters), which, per_cpu);
}

Histograms Session::histograms() const {
    Histograms h{};
    const SummaryMaps m = summary_maps();
    for (std::size_t key = 0; key < m.hist.size(); ++key)
        for (std::size_t b = 0; b < TXR_HIST_BUCKETS; ++b)
            h[(key % TXR_HIST_ROWS) * TXR_HIST_BUCKETS + b] += m.hist[key].buckets[b];
    return h;
}

}  // namespace txray
