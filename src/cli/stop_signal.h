// The one SIGINT/SIGTERM handler of the tracing loops (live, record,
// live --summary): it only raises a flag the loop polls, so everything is
// detached and flushed on the way out.
#pragma once

namespace txray {

// Installs the handler (no SA_RESTART: the ring buffer's epoll_wait returns at
// once) and clears the flag. `hangup`: SIGHUP stops too, and SIGPIPE is
// ignored (a closed output pipe is an error the writer reports).
void watch_stop_signals(bool hangup);
// True once a watched signal came.
bool stop_requested();

}  // namespace txray
