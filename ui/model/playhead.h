// Replay: a playhead moving through recorded time at a chosen speed, stepping
// between packets, and the counters that follow it.
#pragma once
#include <cstdint>
#include <optional>
#include <span>

#include "timeline_data.h"

namespace txray::ui {

class Playhead {
public:
    static constexpr double kMinSpeed = 0.01, kMaxSpeed = 100.0;

    void set_bounds(double t0, double t1);
    double time() const { return t_; }
    void seek(double t);  // scrub; clamped to the bounds
    double speed() const { return speed_; }
    void set_speed(double s);  // clamped to [0.01, 100] x real time
    bool playing() const { return playing_; }
    void play();               // restarts from the beginning when at the end
    void pause() { playing_ = false; }
    void toggle() { playing_ ? pause() : play(); }
    // Advances by `wall_seconds` of real time x speed; pauses at the end.
    void advance(double wall_seconds);
    bool at_end() const { return t_ >= b1_; }

private:
    double t_ = 0, b0_ = 0, b1_ = 0, speed_ = 1.0;
    bool playing_ = false;
};

// First-stage time of the next packet strictly after t (or before t) among the
// given flows, if any.
std::optional<double> next_packet_start(const TimelineData& d, std::span<const std::uint32_t> flows, double t);
std::optional<double> prev_packet_start(const TimelineData& d, std::span<const std::uint32_t> flows, double t);

struct ReplayCounters {
    std::uint64_t packets = 0;  // first stage at or before t
    std::uint64_t drops = 0;    // dropped at or before t
    std::uint64_t bytes = 0;    // of those packets
    double window_ns = 0;       // throughput window ending at t
    double throughput_bps = 0;  // bits per second of packets started in the window
};
ReplayCounters counters_at(const TimelineData& d, std::span<const std::uint32_t> flows, double t, double window_ns);

}  // namespace txray::ui
