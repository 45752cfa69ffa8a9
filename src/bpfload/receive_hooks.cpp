// The receive side of hand-offs on demand (issue 19: a packet that ends on
// its first device pays nothing for the devices after it). The stage
// netif_receive's programs (the net:netif_receive_skb tracepoint, the local
// socket's cgroup ingress or sk_filter_trim_cap) run for every skb any
// device receives, forwarded or not. They matter only after a hand-off whose
// peer may send the skb on (bpf/hops.bpf.h park): the session attaches them
// with the others, detaches them after a few seconds of traffic without a
// park (the clock starts at the first packet followed, so a recording
// started long before its traffic has them for its first packets), and
// attaches them again at the first poll after the next park. The kernel's
// side of it is in bpf/hops.bpf.h (txr_receive_live, txr_parks_seen).
#include <bpf/libbpf.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "session.h"
#include "system.h"
#include "txray.skel.h"

namespace txray {

namespace {

// Long enough that a test's or a user's pause between two bursts keeps them,
// short against a session that runs for minutes or days.
constexpr std::uint64_t kReceiveIdleMs = 5000;

// TXRAY_RECEIVE_IDLE_MS: bench/overhead.sh reaches a long session's steady
// state (nothing forwarded for seconds) within a round of a few seconds.
std::uint64_t receive_idle_ns() {
    const char* env = std::getenv("TXRAY_RECEIVE_IDLE_MS");
    char* end = nullptr;
    const unsigned long long ms = env ? std::strtoull(env, &end, 10) : kReceiveIdleMs;
    return (env && (end == env || *end) ? kReceiveIdleMs : ms) * 1'000'000ull;
}

}  // namespace

void Session::start_receive_hooks(StageChoice& choice) {
    receive_programs_ = choice.programs;
    if (auto failure = attach_receive_hooks()) {
        choice.available = false;
        choice.rejected.push_back(hook_kind_name(choice.kind) + ": " + *failure);
        receive_programs_.clear();
    }
}

bool Session::followed_a_packet() const {
    for (std::uint32_t which : {TXR_C_PACKETS, TXR_C_LOST_PACKET, TXR_C_UNSELECTED})
        if (counter(which)) return true;
    return false;
}

void Session::tend_receive_hooks() {
    if (receive_programs_.empty()) return;
    if (!receive_idle_ns_) receive_idle_ns_ = receive_idle_ns();
    auto& bss = *skel_->bss;
    const std::uint64_t now = monotonic_ns();
    if (std::atomic_ref<__u32>(bss.txr_parks_seen).exchange(0)) {
        idle_since_ns_ = now;
        if (!receive_hooks_away()) return;
        if (auto failure = attach_receive_hooks()) {
            receive_programs_.clear();  // not tried again at every poll
            std::fprintf(stderr,
                         "txray: cannot %s: handed-off packets are followed without their receive from now on\n",
                         failure->c_str());
        }
        return;
    }
    if (!idle_since_ns_) {
        // Until then a session whose traffic has not begun keeps them, for
        // its first packets (three counters read at each poll until then).
        if (followed_a_packet()) idle_since_ns_ = now;
        return;
    }
    if (receive_hooks_away() || now - idle_since_ns_ < receive_idle_ns_) return;
    // The flag first: a packet parked from now on is counted as followed
    // without its receive (TXR_C_RECEIVE_UNSEEN), not missed silently.
    std::atomic_ref<__u32>(bss.txr_receive_live).store(0);
    receive_links_.clear();
}

std::optional<std::string> Session::attach_receive_hooks() {
    for (const std::string& name : receive_programs_) {
        bpf_link* link = attach_program(program(name));
        if (!link) {
            const int err = errno;
            receive_links_.clear();
            return attach_failure(name, err);
        }
        receive_links_.emplace_back(link);
    }
    std::atomic_ref<__u32>(skel_->bss->txr_receive_live).store(1);
    return std::nullopt;
}

}  // namespace txray
