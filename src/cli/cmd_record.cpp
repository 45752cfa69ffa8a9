// `txray record -o trace.json`: write the trace as JSON Lines (-o X.zst:
// zstd-compressed, ~13x smaller; every reader takes both).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "trace_options.h"
#include "live_printer.h"
#include "collector/trace_loop.h"
#include "core/trace_writer.h"

namespace txray {

namespace {

class RecordConsumer : public TraceConsumer {
public:
    RecordConsumer(std::unique_ptr<TraceWriter> w, bool to_stdout) : writer_(std::move(w)), to_stdout_(to_stdout) {}
    void on_start(const TraceHeader& h) override { writer_->header(h); }
    void on_packet(Packet&& p) override { writer_->packet(p); }
    void on_tick(const TickStats& t) override {
        writer_->flush();  // a killed recorder loses at most the last second
        report_write_error();
        if (!to_stdout_) {
            // Loss is never silent: the running total, and where (the stage whose
            // record found the ring buffer full).
            std::string lost;
            if (t.lost) lost.append(" (").append(lost_breakdown(t)).append(")");
            std::fprintf(stderr, "\rtxray: %llu packets, %llu lost%s, %zu in flight   ",
                         (unsigned long long)t.total_packets, (unsigned long long)t.lost, lost.c_str(), t.inflight);
        }
    }
    void on_end(const TraceFooter& f) override {
        writer_->footer(f);
        writer_->close();
        std::fprintf(stderr, "%stxray: wrote %llu packets (%llu dropped, %llu lost events, %llu unfinished)\n",
                     to_stdout_ ? "" : "\n", (unsigned long long)f.packets, (unsigned long long)f.dropped,
                     (unsigned long long)(f.lost + f.lost_sends), (unsigned long long)f.unfinished);
        if (f.unselected)
            std::fprintf(stderr, "txray: %llu packets not selected (the kernel emitted no record for them)\n",
                         (unsigned long long)*f.unselected);
        report_write_error();
        if (failed_) std::fprintf(stderr, "txray: the trace is incomplete: some records could not be written\n");
    }
    bool write_failed() const { return failed_; }

private:
    // Once, as soon as it is known (the writer thread keeps the first error).
    void report_write_error() {
        if (failed_) return;
        const std::string e = writer_->error();
        if (e.empty()) return;
        failed_ = true;
        std::fprintf(stderr, "\ntxray: cannot write the trace: %s\n", e.c_str());
    }
    bool failed_ = false;
    std::unique_ptr<TraceWriter> writer_;
    bool to_stdout_;
};

}  // namespace

void add_record_command(CLI::App& app, int& exit_code) {
    auto opts = std::make_shared<TraceOptions>();
    auto out = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("record", "Record per-packet timelines to a JSON Lines trace");
    add_trace_options(*cmd, *opts);
    add_no_syscalls_option(*cmd, *opts);
    cmd->add_option("-o,--output", *out, "Trace file to write ('-' for standard output; a name ending in .zst is zstd-compressed)")->required();
    auto slower = std::make_shared<std::string>();
    add_selection_options(*cmd, *slower, opts->session.select_drops, "--slower-than", "--drops-only");
    cmd->callback([opts, out, slower, &exit_code] {
        finish_trace_options(*opts);
        opts->session.select_slower_ns = parse_selection_threshold(*slower, "--slower-than");
        const bool to_stdout = *out == "-";
        auto writer = to_stdout ? std::make_unique<TraceWriter>(stdout) : std::make_unique<TraceWriter>(*out);
        RecordConsumer consumer(std::move(writer), to_stdout);
        exit_code = run_trace(*opts, consumer);
        if (exit_code == 0 && consumer.write_failed()) exit_code = 1;
    });
}

}  // namespace txray
