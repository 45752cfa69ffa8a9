// `txray live`: watch the host's sends now.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "trace_options.h"
#include "live_printer.h"
#include "live_reorder.h"
#include "summary_loop.h"
#include "collector/trace_loop.h"

namespace txray {

namespace {

class LiveConsumer : public TraceConsumer {
public:
    explicit LiveConsumer(bool quiet)
        : quiet_(quiet), reorder_(kLiveReorderWindowNs, [this](Packet&& p, bool late) { print(p, late); }) {
        style_.color = isatty(STDOUT_FILENO);
    }
    void on_start(const TraceHeader& h) override {
        style_.wall_offset_ns = h.wall_offset_ns;
        std::string unavailable;
        for (const auto& s : h.stages)
            if (!s.available) unavailable += std::string(unavailable.empty() ? "" : ", ") + std::string(stage_name(s.stage));
        std::fprintf(stderr, "txray: tracing sends on %s (kernel %s)%s%s. Ctrl-C to stop.\n", h.host.c_str(),
                     h.kernel.c_str(), unavailable.empty() ? "" : "; no hook here for: ", unavailable.c_str());
        for (const auto& [k, v] : h.filters) std::fprintf(stderr, "txray: filter %s = %s\n", k.c_str(), v.c_str());
    }
    void on_packet(Packet&& p) override {
        if (!quiet_) reorder_.push(std::move(p));
    }
    void on_poll(std::uint64_t now_ns) override {
        if (!reorder_.waiting()) return;
        reorder_.release(now_ns);
        std::fflush(stdout);
    }
    void on_tick(const TickStats& t) override {
        std::string line = format_tick_line(t, style_);
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fflush(stdout);
    }
    void on_end(const TraceFooter& f) override {
        reorder_.release_all();
        std::fflush(stdout);
        std::fprintf(stderr, "txray: %llu packets, %llu dropped, %llu lost events, %llu untracked, %llu unfinished\n",
                     (unsigned long long)f.packets, (unsigned long long)f.dropped,
                     (unsigned long long)(f.lost + f.lost_sends), (unsigned long long)f.untracked,
                     (unsigned long long)f.unfinished);
    }

private:
    void print(const Packet& p, bool late) {
        std::string line = format_packet_line(p, style_);
        if (late) line += " (late: began before the line above)";
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
    }

    bool quiet_;
    LiveStyle style_;
    LiveReorder reorder_;
};

}  // namespace

void add_live_command(CLI::App& app, int& exit_code) {
    auto opts = std::make_shared<TraceOptions>();
    auto quiet = std::make_shared<bool>(false);
    auto summary = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand("live", "Watch the host's sends now: a line per packet, a summary each second");
    add_trace_options(*cmd, *opts);
    add_no_syscalls_option(*cmd, *opts);
    cmd->add_flag("-q,--quiet", *quiet, "Only the per-second summaries");
    cmd->add_flag("--summary", *summary,
                  "In-kernel per-stage histograms only, no per-packet records (cheapest; approximate percentiles). "
                  "Lean: from the first skb stage to the driver, unless --syscalls, --pid or --comm");
    cmd->add_flag("--syscalls", opts->session.summary_syscalls,
                  "With --summary: also the syscall, route and neighbour stages (about twice the cost)");
    cmd->callback([opts, quiet, summary, &exit_code] {
        finish_trace_options(*opts);
        if (*summary) {
            exit_code = run_summary(*opts);
            return;
        }
        LiveConsumer consumer(*quiet);
        exit_code = run_trace(*opts, consumer);
    });
}

}  // namespace txray
