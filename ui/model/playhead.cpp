#include "playhead.h"

#include <algorithm>

namespace txray::ui {

void Playhead::set_bounds(double t0, double t1) {
    b0_ = t0;
    b1_ = std::max(t0, t1);
    t_ = std::clamp(t_, b0_, b1_);
}

void Playhead::seek(double t) { t_ = std::clamp(t, b0_, b1_); }

void Playhead::set_speed(double s) { speed_ = std::clamp(s, kMinSpeed, kMaxSpeed); }

void Playhead::play() {
    if (at_end()) t_ = b0_;
    playing_ = true;
}

void Playhead::advance(double wall_seconds) {
    if (!playing_ || wall_seconds <= 0) return;
    t_ += wall_seconds * 1e9 * speed_;
    if (t_ >= b1_) {
        t_ = b1_;
        playing_ = false;
    }
}

std::optional<double> next_packet_start(const TimelineData& d, std::span<const std::uint32_t> flows, double t) {
    std::optional<double> best;
    for (auto fi : flows) {
        const auto& s = d.flows[fi].starts;
        auto it = std::upper_bound(s.begin(), s.end(), t, [](double v, std::uint64_t x) { return v < static_cast<double>(x); });
        if (it != s.end() && (!best || static_cast<double>(*it) < *best)) best = static_cast<double>(*it);
    }
    return best;
}

std::optional<double> prev_packet_start(const TimelineData& d, std::span<const std::uint32_t> flows, double t) {
    std::optional<double> best;
    for (auto fi : flows) {
        const auto& s = d.flows[fi].starts;
        auto it = std::lower_bound(s.begin(), s.end(), t, [](std::uint64_t x, double v) { return static_cast<double>(x) < v; });
        if (it != s.begin() && (!best || static_cast<double>(*(it - 1)) > *best)) best = static_cast<double>(*(it - 1));
    }
    return best;
}

ReplayCounters counters_at(const TimelineData& d, std::span<const std::uint32_t> flows, double t, double window_ns) {
    ReplayCounters c;
    c.window_ns = window_ns;
    std::uint64_t window_bytes = 0;
    auto upto = [](const std::vector<std::uint64_t>& v, double x) {
        return static_cast<std::size_t>(
            std::upper_bound(v.begin(), v.end(), x, [](double a, std::uint64_t b) { return a < static_cast<double>(b); }) - v.begin());
    };
    for (auto fi : flows) {
        const FlowTrack& f = d.flows[fi];
        // Packets without stages have start 0: they never "appear", and sort first.
        const std::size_t n = upto(f.starts, t);
        const std::size_t none = upto(f.starts, 0.0);
        c.packets += n - none;
        c.bytes += f.bytes_prefix[n] - f.bytes_prefix[none];
        c.drops += upto(f.drop_times, t) - upto(f.drop_times, 0.0);
        const std::size_t w0 = std::max(upto(f.starts, t - window_ns), none);
        window_bytes += f.bytes_prefix[n] - f.bytes_prefix[std::min(w0, n)];
    }
    if (window_ns > 0) c.throughput_bps = static_cast<double>(window_bytes) * 8.0 / (window_ns / 1e9);
    return c;
}

}  // namespace txray::ui
