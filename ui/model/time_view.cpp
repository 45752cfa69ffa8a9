#include "time_view.h"

#include <algorithm>
#include <cmath>

namespace txray::ui {

void TimeView::set_width(float px) {
    const double keep_range = range();
    width_ = std::max(px, 1.f);
    ns_per_px_ = keep_range / width_;
    clamp();
}

void TimeView::set_bounds(double t0, double t1) {
    b0_ = t0;
    b1_ = std::max(t1, t0 + 1);
    clamp();
}

double TimeView::max_range() const { return std::max((b1_ - b0_) * 4.0, 1e3); }

void TimeView::set_range(double a, double b) {
    if (b < a) std::swap(a, b);
    const double mid = (a + b) / 2;
    const double r = std::clamp(b - a, kMinRangeNs, max_range());
    ns_per_px_ = r / width_;
    start_ = mid - r / 2;
    clamp();
}

void TimeView::fit_all() {
    const double span = b1_ - b0_;
    set_range(b0_ - span * 0.02, b1_ + span * 0.02);
}

void TimeView::zoom_at(float px, double factor) {
    if (!(factor > 0) || !std::isfinite(factor)) return;
    const double anchor = to_ns(px);
    const double r = std::clamp(range() * factor, kMinRangeNs, max_range());
    ns_per_px_ = r / width_;
    start_ = anchor - static_cast<double>(px) * ns_per_px_;
    clamp();
}

void TimeView::pan_px(float dx) {
    start_ -= static_cast<double>(dx) * ns_per_px_;
    clamp();
}

void TimeView::ensure_visible(double t, float margin) {
    const double m = std::min<double>(margin, width_ / 4.0) * ns_per_px_;
    if (t < start_ + m) start_ = t - m;
    else if (t > end() - m) start_ = t + m - range();
    clamp();
}

void TimeView::clamp() {
    ns_per_px_ = std::clamp(ns_per_px_, kMinRangeNs / width_, max_range() / width_);
    // Keep some of the trace on screen: the view may not leave the bounds by more than half its width.
    const double r = range();
    start_ = std::clamp(start_, b0_ - r / 2, std::max(b0_ - r / 2, b1_ - r / 2));
}

}  // namespace txray::ui
