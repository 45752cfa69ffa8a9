#include "stop_signal.h"

#include <csignal>

namespace txray {
namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

void watch_stop_signals(bool hangup) {
    g_stop = 0;
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    if (hangup) {
        sigaction(SIGHUP, &sa, nullptr);
        signal(SIGPIPE, SIG_IGN);
    }
}

bool stop_requested() { return g_stop != 0; }

}  // namespace txray
