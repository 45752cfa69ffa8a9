#include "agent_loop.h"

#include <fmt/format.h>
#include <unistd.h>

#include <mutex>

#include "agent/capture_files.h"
#include "agent/cgroup_labels.h"
#include "agent/metrics_text.h"
#include "collector/stop_signal.h"
#include "collector/trace_loop.h"
#include "bpfload/system.h"

namespace txray {

namespace {


// The text every scrape gets: rendered by the agent's loop, handed out by
// pointer, so a scrape costs a copy of nothing and never touches the kernel.
class Published {
public:
    void set(std::string text) {
        auto p = std::make_shared<const std::string>(std::move(text));
        std::lock_guard lock(m_);
        text_ = std::move(p);
    }
    std::shared_ptr<const std::string> get() const {
        std::lock_guard lock(m_);
        return text_;
    }

private:
    mutable std::mutex m_;
    std::shared_ptr<const std::string> text_ = std::make_shared<const std::string>();
};

// --by cgroup: the labels, named from the cgroup2 tree (none without it).
std::unique_ptr<CgroupLabels> cgroup_labels(const AgentOptions& o) {
    if (!o.by_cgroup) return nullptr;
    auto paths = std::make_shared<CgroupPaths>(cgroup2_mount().value_or(""));
    return std::make_unique<CgroupLabels>(
        o.cgroup_top, [paths](std::uint64_t id) { return paths->find(id); }, [paths] { paths->rescan(); });
}

}  // namespace

AgentSnapshot agent_snapshot(const Session& session, std::uint64_t expired, CgroupLabels* cgroups) {
    AgentSnapshot s;
    s.maps = session.summary_maps();
    if (cgroups) {
        auto u = cgroups->update(s.maps);
        session.forget_cgroups(u.evict);
        s.by_cgroup = true;
        s.cgroups = std::move(u.series);
        s.cgroup_evictions = cgroups->evictions();
    }
    s.counters = session.counters();
    s.unfinished = session.inflight_count();
    s.expired = expired;
    s.missed_runs = session.missed_runs();
    for (const auto& c : session.plan().stages)
        if (c.available) s.hooks.emplace_back(std::string(stage_name(c.stage)), c.hook);
    s.version = TXRAY_VERSION;
    s.kernel = kernel_release();
    s.reason_name = [&b = session.btf()](std::uint32_t r) { return b.drop_reason_name(r); };
    return s;
}

int run_summary_agent(const AgentOptions& o) {
    watch_stop_signals(OnHangup::ignore);  // no capture files to reopen

    SessionOptions so = o.trace.session;
    so.summary = true;
    so.by_cgroup = o.by_cgroup;
    Session session(so);
    auto cgroups = cgroup_labels(o);
    session.attach(nullptr);
    Published published;
    std::uint64_t expired = 0;
    auto refresh = [&] {
        const std::uint64_t now = monotonic_ns();
        const std::uint64_t before = now - static_cast<std::uint64_t>(o.trace.expire_s * 1e9);
        expired += session.lean_summary() ? session.sweep_lean(before).size() : session.sweep(before).size();
        published.set(render_metrics(agent_snapshot(session, expired, cgroups.get())));
    };
    refresh();
    {
        MetricsServer server(o.http, [&published] { return published.get(); });
        std::fprintf(stderr, "txray agent: serving http://%s/metrics (%s summary%s)\n", server.listening().c_str(),
                     session.lean_summary() ? "lean" : "full", o.trace.session.summary_syscalls ? ", syscalls" : "");
        const std::uint64_t start = monotonic_ns();
        std::uint64_t next = start;
        while (!stop_requested()) {
            usleep(50'000);
            const std::uint64_t now = monotonic_ns();
            if (o.trace.duration_s > 0 && now - start >= static_cast<std::uint64_t>(o.trace.duration_s * 1e9)) break;
            if (now < next) continue;
            next = now + 1'000'000'000ull;
            refresh();
        }
    }  // the server stops (its workers joined) before the programs go
    session.detach();
    std::fprintf(stderr, "txray agent: stopped, programs detached\n");
    return 0;
}

namespace {

// The kernel's counters as a footer (the capture files' totals).
TraceFooter kernel_totals(const Counters& c) {
    TraceFooter f;
    f.lost = c[TXR_C_LOST_PACKET];
    f.lost_sends = c[TXR_C_LOST_SEND];
    for (Stage s : all_stages())
        if (auto n = c[TXR_LOST_STAGE_BASE + index(s)]) f.lost_by_stage[std::string(stage_name(s))] = n;
    f.untracked = c[TXR_C_INFLIGHT_FULL];
    f.unselected = c[TXR_C_UNSELECTED];
    f.receive_unseen = c[TXR_C_RECEIVE_UNSEEN];
    return f;
}

// --capture-*: the record programs run with the summary maps on and the
// kernel's selection; the selected packets go to rotating files, the maps to
// /metrics (refreshed each second, on the recording loop's tick).
class CaptureAgent : public TraceConsumer {
public:
    explicit CaptureAgent(const AgentOptions& o) : o_(o), cgroups_(cgroup_labels(o)) {}
    void on_start(const TraceHeader& h) override {
        files_ = std::make_unique<CaptureFiles>(
            CaptureLimits{o_.capture_dir, o_.capture_file_bytes, o_.capture_files}, h);
    }
    void on_attached(const Session& s) override {
        session_ = &s;
        publish();
        server_ = std::make_unique<MetricsServer>(o_.http, [this] { return published_.get(); });
        std::fprintf(stderr, "txray agent: serving http://%s/metrics; capturing to %s\n", server_->listening().c_str(),
                     files_->current_path().c_str());
    }
    void on_packet(Packet&& p) override {
        if (p.outcome == OutcomeKind::unfinished) ++expired_;
        files_->packet(p);
    }
    void on_tick(const TickStats&) override {
        files_->tick(kernel_totals(session_->counters()));
        publish();
    }
    bool on_hangup() override {
        files_->reopen(kernel_totals(session_->counters()));
        std::fprintf(stderr, "txray agent: SIGHUP: capturing to %s\n", files_->current_path().c_str());
        return true;
    }
    void on_end(const TraceFooter& f) override {
        server_.reset();  // its workers joined: nothing reads the session after this
        TraceFooter totals = f;
        files_->close(totals);
        std::fprintf(stderr, "txray agent: stopped, programs detached; %llu packets captured in %llu files\n",
                     (unsigned long long)files_->packets(), (unsigned long long)files_->files_opened());
    }

private:
    void publish() {
        AgentSnapshot s = agent_snapshot(*session_, expired_, cgroups_.get());
        s.capturing = true;
        s.captured = files_->packets();
        s.capture_files = files_->files_opened();
        s.capture_write_errors = files_->errors();
        published_.set(render_metrics(s));
    }
    const AgentOptions& o_;
    const Session* session_ = nullptr;
    std::unique_ptr<CaptureFiles> files_;
    std::unique_ptr<MetricsServer> server_;
    std::unique_ptr<CgroupLabels> cgroups_;
    Published published_;
    std::uint64_t expired_ = 0;
};

}  // namespace

int run_agent(const AgentOptions& o) {
    if (!o.capturing()) return run_summary_agent(o);
    TraceOptions t = o.trace;
    t.session.summary = false;
    t.session.summary_maps = true;
    t.session.select_slower_ns = o.capture_slower_ns;
    t.session.select_drops = o.capture_drops;
    t.session.by_cgroup = o.by_cgroup;
    // The selection needs no syscall facts (first to last kernel stage, the
    // drop): without --syscalls the record programs run on the skb stages
    // only, as record --no-syscalls does, the stages the lean agent shows
    // (issue 21, target 5: the syscall tracepoints and six route lookups per
    // datagram were most of the capture's cost above the lean summary).
    t.session.no_syscalls = !o.trace.session.summary_syscalls;
    CaptureAgent agent(o);
    return run_trace(t, agent);
}

}  // namespace txray
