// The timeline's horizontal mapping between absolute time (ns) and pixels,
// and the zoom/pan operations on it.
#pragma once
#include <cstdint>

namespace txray::ui {

class TimeView {
public:
    static constexpr double kMinRangeNs = 20.0;  // deepest zoom: 20 ns across the view

    void set_width(float px);
    float width() const { return width_; }
    double start() const { return start_; }
    double end() const { return start_ + range(); }
    double range() const { return ns_per_px_ * width_; }
    double ns_per_px() const { return ns_per_px_; }

    float to_px(double t_ns) const { return static_cast<float>((t_ns - start_) / ns_per_px_); }
    double to_ns(float px) const { return start_ + static_cast<double>(px) * ns_per_px_; }

    // Limits for zooming out and panning: the trace's extent.
    void set_bounds(double t0, double t1);
    // Shows [a, b] (clamped to the zoom limits), keeping its centre.
    void set_range(double a, double b);
    // Fit the whole bounds with a small margin on each side.
    void fit_all();
    // factor < 1 zooms in. The time under `px` stays under `px`.
    void zoom_at(float px, double factor);
    // Positive dx moves the content right (shows earlier times), like dragging.
    void pan_px(float dx);
    // Makes `t` visible, moving as little as possible; keeps it `margin` px from the edges.
    void ensure_visible(double t, float margin = 40.f);

private:
    void clamp();
    double max_range() const;
    double start_ = 0, ns_per_px_ = 1;
    float width_ = 1000;
    double b0_ = 0, b1_ = 1e6;
};

}  // namespace txray::ui
