// The one SIGINT/SIGTERM/SIGHUP handler of the long-running commands (live,
// record, live --summary, agent): it only raises flags the loop polls, so
// everything is detached and flushed on the way out.
#pragma once

namespace txray {

// What SIGHUP means to the loop that watches.
enum class OnHangup {
    ignore,  // nothing (live --summary on a terminal, the metrics-only agent)
    stop,    // like SIGTERM
    report,  // hangup_requested() says so once; the loop decides (reopen files, or stop)
};

// Installs the handlers (no SA_RESTART: the ring buffer's epoll_wait returns
// at once) and clears the flags. Unless SIGHUP is ignored, SIGPIPE is: a
// closed output pipe is an error the writer reports.
void watch_stop_signals(OnHangup hangup);
// True once SIGINT or SIGTERM (or SIGHUP with OnHangup::stop) came.
bool stop_requested();
// With OnHangup::report: true once per SIGHUP that came since the last call.
bool hangup_requested();

}  // namespace txray
