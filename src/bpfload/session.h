// One tracing session: checks, hook choice, load, attach, ring buffer, and a
// clean detach. Every kernel object is owned here and released by RAII, so an
// exception or a signal-driven exit leaves nothing of txray loaded.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "btf_info.h"
#include "hook_plan.h"
#include "kernel_compat.h"
#include "txray.h"

struct txray_bpf;
struct bpf_link;
struct bpf_program;
struct ring_buffer;

namespace txray {

struct PcapFilter;

// An error for the user: one line, no libbpf dump.
struct TxrayError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Filters {
    std::uint32_t tgid = 0;
    std::string comm;
    std::string iface;  // resolved to ifindex
    std::uint8_t proto = 0;
    std::uint16_t port = 0;
    std::string host;   // v4 or v6 address
    std::uint32_t sample_every = 0;
    std::string expression;  // tcpdump (pcap-filter) expression, evaluated in the kernel
    std::string cgroup;      // cgroup v2 directory: its tasks and descendants'
    std::string netns;       // network namespace: path, `ip netns` name or inode
    // name -> value, as given: for the trace header and `live`.
    std::vector<std::pair<std::string, std::string>> describe() const;
};

struct SessionOptions {
    Filters filters;
    HookPreference hooks = HookPreference::automatic;
    bool verbose = false;                       // libbpf's log on stderr
    std::uint32_t ringbuf_bytes = 16u << 20;
    std::uint32_t inflight_max = 32768;
    bool summary = false;  // in-kernel histograms only (txray live --summary)
    // With summary: also the syscall, route and neighbour stages (costlier).
    // Without it, and with no --pid/--comm filter (they need the syscall),
    // the summary runs lean: skb stages only (bpf/lean_summary.bpf.h).
    bool summary_syscalls = false;
    // Records without the syscall hooks (record/live --no-syscalls): the skb
    // stages only, each packet's process taken where it is made; no syscall
    // tracepoint attached (they put every thread on the syscall slow path).
    bool no_syscalls = false;
    std::uint16_t snaplen = 0;  // record --headers: bytes from the IP header (0: none)
    // Records: also fill the summary maps (the agent keeping outliers).
    bool summary_maps = false;
    // Records: the kernel emits a packet's record only if it took longer than
    // this from its first to its last stage (0: no such test) or, with
    // select_drops, was dropped. Either set: no send or retransmit records.
    std::uint64_t select_slower_ns = 0;
    bool select_drops = false;
    // Summary maps: also per (cgroup, interface) (txray agent --by cgroup).
    bool by_cgroup = false;
    bool selecting() const { return select_slower_ns || select_drops; }
};

using Counters = std::array<std::uint64_t, TXR_COUNTERS>;
// Summary mode: counts per (row, log2 bucket); row = stage, or TXR_HIST_E2E.
using Histograms = std::array<std::uint64_t, TXR_HIST_SLOTS>;

// Everything the summary maps hold, summed over CPUs (bpf/agent_metrics.bpf.h).
struct SummaryMaps {
    std::vector<txr_hist_row> hist;          // TXR_IF_SLOTS * TXR_HIST_ROWS
    std::vector<txr_iface> ifaces;           // TXR_IF_SLOTS; slot 0: "other"
    std::vector<std::uint64_t> outcomes;     // TXR_OUTCOME_SLOTS: slot * 2 + dropped
    std::vector<std::uint64_t> drops;        // TXR_DROP_SLOTS: stage * TXR_DROP_REASONS + reason
    std::vector<std::uint64_t> errnos;       // TXR_ERRNOS
    // --by cgroup: the kernel's table (cgroup, slot) -> row, and per slot
    // the packets of a full table or of no cgroup (TXR_IF_SLOTS).
    std::vector<std::pair<txr_cgroup_key, txr_cgroup_row>> cgroups;
    std::vector<txr_cgroup_row> cgroup_other;
};

class Session {
public:
    // Each record of the ring buffer as the kernel wrote it (the collector
    // tells the kinds apart: Assembler::on_record).
    using RecordHandler = std::function<void(const void* data, std::size_t size)>;

    // Checks privileges and the kernel, chooses hooks, loads. Throws TxrayError.
    explicit Session(const SessionOptions& opt);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const HookPlan& plan() const { return plan_; }
    const KernelBtf& btf() const { return *btf_; }

    // Attaches every chosen program. A stage whose attach fails becomes
    // unavailable with the reason; throws only if no packet could be followed.
    // on_record: nullptr when nothing reads records (live --summary).
    void attach(RecordHandler on_record);
    // Destroys every link (idempotent): no new events after this.
    void detach();
    bool attached() const { return !links_.empty() || !creator_links_.empty() || !receive_links_.empty(); }

    // Reads the ring buffer, waiting up to timeout_ms for a wakeup first (not
    // at all when the last call left records behind), after tending the
    // receive hooks (tend_receive_hooks; while they are detached, at most
    // 10 ms). Returns records
    // consumed: at most kRecordsPerPoll, since while producers outpace the
    // reader libbpf's consume loop would otherwise never return, and the
    // caller's once-a-second work (progress, flush, expiry, Ctrl-C) with it.
    static constexpr std::size_t kRecordsPerPoll = 1u << 16;
    int poll(int timeout_ms);
    int drain();  // everything left (after detach(): no new records)

    Counters counters() const;
    std::uint64_t counter(std::uint32_t which) const;  // one of them (enum txr_counter)
    // Runs of each program (name without "txr_") the kernel skipped because
    // it was already running on that CPU; only nonzero ones (program_runs.cpp).
    std::map<std::string, std::uint64_t> missed_runs() const;
    Histograms histograms() const;  // summed over interfaces
    SummaryMaps summary_maps() const;  // src/bpfload/summary_maps.cpp
    // --by cgroup: removes these cgroups' entries (gone from the system).
    void forget_cgroups(const std::vector<txr_cgroup_key>& keys) const;
    // Removes and returns in-flight records whose newest stage is older than
    // `before_ns` (CLOCK_MONOTONIC); before_ns == UINT64_MAX takes them all.
    std::vector<txr_packet> sweep(std::uint64_t before_ns);
    // Packets in the in-flight table of this mode (txr_lean_inflight in the
    // lean summary, else txr_inflight); not those in a thread's slot, nor
    // those pending on the device filters.
    std::size_t inflight_count() const;
    // Lean summary: removes in-flight packets older than before_ns (all:
    // UINT64_MAX); returns those counted (not pending on the device filters)
    // as records (end TXR_END_EXPIRED, named from their interface slot): the
    // agent's capture writes them unfinished (record_from_lean,
    // src/collector/record_convert.h).
    std::vector<txr_lean_record> sweep_lean(std::uint64_t before_ns);
    // The summary's lean programs run: the lean --summary, or the agent's
    // capture without syscall hooks (bpf/lean_select.bpf.h).
    bool lean_summary() const { return lean_; }
    // Where the per-thread send contexts live, and why (txray doctor).
    const std::string& send_context_storage() const { return send_storage_; }
    // Where packets in flight live (bpf/lib/thread_slot.bpf.h).
    const std::string& packet_store() const { return packet_store_; }
    // What this kernel lacks that newer ones have, each with what stands in.
    const std::vector<std::string>& kernel_fallbacks() const { return fallbacks_; }
    // How the tcpdump expression runs in the kernel (pcap_jit.h); "" without one.
    const std::string& filter_engine() const { return filter_engine_; }
    bool filter_interpreted() const { return !filter_engine_.empty() && !filter_compiled_; }

private:
    // The constructor's steps (session.cpp), in the order it takes them.
    struct ResolvedFilters;  // session.cpp
    static void check_privileges();
    static ResolvedFilters resolve_filters(const Filters& f);
    void choose_plan();
    void open_skeleton(const PcapFilter& pcap);
    void check_option_combinations() const;
    void write_rodata(const ResolvedFilters& filters);
    void size_maps();
    void choose_storage();
    void load(const PcapFilter& pcap);

    // The skeleton's handle of a program the plan names (by its name there).
    bpf_program* program(const std::string& name) const;
    // A link of one of the plan's programs (its cgroup's for cgroup_skb); null
    // with errno set.
    bpf_link* attach_program(bpf_program* p);

    // The receive side of hand-offs (stage netif_receive) runs for every skb
    // any device receives: attached only while hand-offs are followed
    // (receive_hooks.cpp, bpf/hops.bpf.h txr_receive_live).
    void start_receive_hooks(StageChoice& choice);
    // Attaches receive_programs_; on failure none stays attached and the
    // reason is returned.
    std::optional<std::string> attach_receive_hooks();
    void tend_receive_hooks();
    // Whether the programs have followed a packet yet (recorded, lost or
    // left out by the selection): the receive hooks' idle clock starts then.
    bool followed_a_packet() const;
    bool receive_hooks_away() const { return !receive_programs_.empty() && receive_links_.empty(); }
    static std::string attach_failure(const std::string& program, int err);
    std::vector<std::string> receive_programs_;  // empty: the stage is not attached
    std::uint64_t receive_idle_ns_ = 0;
    std::uint64_t idle_since_ns_ = 0;  // the last park, or the first packet followed; 0: neither yet
    struct SkelDeleter { void operator()(txray_bpf* s) const; };
    struct LinkDeleter { void operator()(bpf_link* l) const; };
    struct RingDeleter { void operator()(ring_buffer* r) const; };
    static int on_record(void* ctx, void* data, std::size_t size);

    SessionOptions opt_;
    bool lean_ = false;
    std::uint64_t swept_ids_ = 0;  // sweep_lean's records so far
    bool by_cgroup_ = false;
    void read_cgroups(SummaryMaps& m) const;  // summary_maps.cpp
    std::string send_storage_;
    std::string packet_store_;
    std::vector<std::string> fallbacks_;
    std::string filter_engine_;
    bool filter_compiled_ = false;
    std::unique_ptr<KernelBtf> btf_;
    HookPlan plan_;
    // The object with the compiled filter written in: libbpf opens it in place
    // (bpf_object__open_mem keeps the pointer, libelf reads sections from it
    // until load), so it lives as long as skel_ (declared before: freed after).
    std::vector<std::uint8_t> compiled_elf_;
    std::unique_ptr<txray_bpf, SkelDeleter> skel_;
    StandInMaps stand_ins_;  // maps this kernel lacks (kernel_compat.h)
    int cgroup_fd_ = -1;
    // The programs of stages that may create a record (detached first), and the rest.
    std::vector<std::unique_ptr<bpf_link, LinkDeleter>> creator_links_, links_, receive_links_;
    std::unique_ptr<ring_buffer, RingDeleter> ring_;
    RecordHandler on_record_;
    std::size_t budget_ = SIZE_MAX;  // records this poll may still take
    bool behind_ = false;            // the last poll stopped at its budget
};

// Route libbpf's messages: to stderr when verbose, else kept for errors only.
void set_libbpf_verbose(bool verbose);
// The last lines libbpf printed (for an error message).
std::string libbpf_last_error();

}  // namespace txray
