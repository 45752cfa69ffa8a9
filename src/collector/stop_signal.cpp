#include "stop_signal.h"

#include <csignal>

namespace txray {
namespace {
volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_hangup = 0;
void on_stop(int) { g_stop = 1; }
void on_hangup(int) { g_hangup = 1; }
}  // namespace

void watch_stop_signals(OnHangup hangup) {
    g_stop = 0;
    g_hangup = 0;
    struct sigaction sa{};
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    if (hangup == OnHangup::ignore) {
        signal(SIGHUP, SIG_IGN);
        return;
    }
    sa.sa_handler = hangup == OnHangup::stop ? on_stop : on_hangup;
    sigaction(SIGHUP, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop != 0; }

bool hangup_requested() {
    if (!g_hangup) return false;
    g_hangup = 0;
    return true;
}

}  // namespace txray
