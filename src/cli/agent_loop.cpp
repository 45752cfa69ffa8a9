#include "agent_loop.h"

#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <mutex>

#include "metrics_text.h"
#include "system.h"

namespace txray {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

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

}  // namespace

AgentSnapshot agent_snapshot(const Session& session, std::uint64_t expired) {
    AgentSnapshot s;
    s.maps = session.summary_maps();
    s.counters = session.counters();
    s.unfinished = session.inflight_count();
    s.expired = expired;
    for (const auto& c : session.plan().stages)
        if (c.available) s.hooks.emplace_back(std::string(stage_name(c.stage)), c.hook);
    s.version = TXRAY_VERSION;
    s.kernel = kernel_release();
    s.reason_name = [&b = session.btf()](std::uint32_t r) { return b.drop_reason_name(r); };
    return s;
}

int run_summary_agent(const AgentOptions& o) {
    struct sigaction sa{};
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGHUP, SIG_IGN);  // no capture files to reopen
    signal(SIGPIPE, SIG_IGN);

    SessionOptions so = o.trace.session;
    so.summary = true;
    Session session(so);
    session.attach(nullptr, nullptr);
    Published published;
    std::uint64_t expired = 0;
    auto refresh = [&] {
        const std::uint64_t now = monotonic_ns();
        const std::uint64_t before = now - static_cast<std::uint64_t>(o.trace.expire_s * 1e9);
        expired += session.lean_summary() ? session.sweep_lean(before) : session.sweep(before).size();
        published.set(render_metrics(agent_snapshot(session, expired)));
    };
    refresh();
    {
        MetricsServer server(o.http, [&published] { return published.get(); });
        std::fprintf(stderr, "txray agent: serving http://%s/metrics (%s summary%s)\n", server.listening().c_str(),
                     session.lean_summary() ? "lean" : "full", o.trace.session.summary_syscalls ? ", syscalls" : "");
        const std::uint64_t start = monotonic_ns();
        std::uint64_t next = start;
        while (!g_stop) {
            usleep(50'000);
            const std::uint64_t now = monotonic_ns();
            if (o.trace.duration_s > 0 && now - start >= static_cast<std::uint64_t>(o.trace.duration_s * 1e9)) break;
            if (now < next) continue;
            next = now + 500'000'000ull;
            refresh();
        }
    }  // the server stops (its workers joined) before the programs go
    session.detach();
    std::fprintf(stderr, "txray agent: stopped, programs detached\n");
    return 0;
}

int run_agent(const AgentOptions& o) { return run_summary_agent(o); }

}  // namespace txray
