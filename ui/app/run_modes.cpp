#include "run_modes.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <imgui_impl_opengl3.h>

#include "gl_window.h"
#include "panels.h"

namespace txray::ui {
namespace {

std::vector<std::string> g_dropped;

void on_drop(GLFWwindow*, int count, const char** paths) {
    for (int i = 0; i < count; ++i) g_dropped.emplace_back(paths[i]);
}

double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Loads synchronously (offscreen modes), so the first frame shows the trace.
void load_blocking(AppState& s, const CliOptions& o) {
    if (o.trace.empty()) return;
    s.on_loaded(TraceLoader::load_now(o.trace));
}

// One frame into an offscreen target of w x h: the UI is laid out for exactly that size.
void offscreen_frame(GlWindow& win, AppState& s, OffscreenTarget& fb) {
    win.begin_frame();
    ImGuiIO& io = ImGui::GetIO();
    (void)io;
    draw_app(s, static_cast<float>(fb.width()), static_cast<float>(fb.height()));
    fb.bind();
    win.render(fb.width(), fb.height());
}

}  // namespace

void apply_startup_options(AppState& s, const CliOptions& o) {
    s.want_flows = o.select_flows;
    s.want_zoom = o.zoom;
    s.want_packet = o.select_packet;
    s.want_replay_at = o.replay_at;
    if (o.stats_metric) s.metric = *o.stats_metric;
}

int run_interactive(AppState& s, const CliOptions& o) {
    GlWindow win(o.width, o.height, "txray-ui", true);
    if (!win.ok()) {
        std::fprintf(stderr, "txray-ui: %s\n", win.error().c_str());
        return 1;
    }
    glfwSetDropCallback(win.handle(), on_drop);
    if (!o.trace.empty()) s.loader.start(o.trace);
    else s.browser_open = true;
    while (!glfwWindowShouldClose(win.handle())) {
        // Sleep when nothing moves; redraw at the display rate while playing or loading.
        if (s.playhead.playing() || s.loader.busy() || s.loader.phase() == TraceLoader::Phase::done) glfwPollEvents();
        else glfwWaitEventsTimeout(0.25);
        if (!g_dropped.empty()) {
            s.loader.start(g_dropped.back());
            g_dropped.clear();
        }
        win.begin_frame();
        ImGuiIO& io = ImGui::GetIO();
        s.playhead.advance(static_cast<double>(io.DeltaTime));
        draw_app(s, io.DisplaySize.x, io.DisplaySize.y);
        int fw = 0, fh = 0;
        glfwGetFramebufferSize(win.handle(), &fw, &fh);
        win.render(fw, fh);
        glfwSwapBuffers(win.handle());
    }
    return 0;
}

int run_screenshot(AppState& s, const CliOptions& o) {
    GlWindow win(o.width, o.height, "txray-ui", false);
    if (!win.ok()) {
        std::fprintf(stderr, "txray-ui: %s\n", win.error().c_str());
        return 1;
    }
    OffscreenTarget fb(o.width, o.height);
    if (!fb.ok()) {
        std::fprintf(stderr, "txray-ui: cannot create an offscreen framebuffer\n");
        return 1;
    }
    load_blocking(s, o);
    // A few frames: ImGui sizes auto-fit windows and tables over the first frames.
    for (int i = 0; i < 4; ++i) offscreen_frame(win, s, fb);
    const auto px = fb.read_rgba();
    if (!write_png(o.screenshot, o.width, o.height, px)) {
        std::fprintf(stderr, "txray-ui: cannot write %s\n", o.screenshot.c_str());
        return 1;
    }
    const bool trace_error = !s.data || s.data->status.fatal || !s.data->status.error.empty();
    if (trace_error) {
        std::fprintf(stderr, "txray-ui: %s: %s\n", o.trace.c_str(),
                     s.data ? s.data->status.summary().c_str() : "no trace given");
        return 2;
    }
    return 0;
}

int run_bench_frames(AppState& s, const CliOptions& o) {
    GlWindow win(o.width, o.height, "txray-ui", false);
    if (!win.ok()) {
        std::fprintf(stderr, "txray-ui: %s\n", win.error().c_str());
        return 1;
    }
    OffscreenTarget fb(o.width, o.height);
    if (!fb.ok()) return 1;
    const auto t_load = std::chrono::steady_clock::now();
    load_blocking(s, o);
    if (!s.data) return 1;
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count();
    std::printf("loaded %zu packets, %zu flows in %.2f s\n", s.data->packets.size(), s.data->flows.size(), load_s);
    for (int i = 0; i < 4; ++i) offscreen_frame(win, s, fb);  // warm up, stats computed
    auto measure = [&](const char* name) {
        double ui = 0, total = 0;
        for (int i = 0; i < o.bench_frames; ++i) {
            const double c0 = cpu_now();
            const auto w0 = std::chrono::steady_clock::now();
            win.begin_frame();
            draw_app(s, static_cast<float>(fb.width()), static_cast<float>(fb.height()));
            ImGui::Render();
            const double c1 = cpu_now();
            fb.bind();
            glViewport(0, 0, fb.width(), fb.height());
            glClear(GL_COLOR_BUFFER_BIT);
            ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
            glFinish();
            ui += c1 - c0;
            total += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
        }
        const ImDrawData* dd = ImGui::GetDrawData();
        std::printf("%-22s UI build (CPU) %.3f ms/frame, with GL render %.3f ms/frame (wall), %d vertices, %zu rects %zu merged\n",
                    name, ui / o.bench_frames * 1e3, total / o.bench_frames * 1e3, dd ? dd->TotalVtxCount : 0,
                    s.draw.rects.size(), s.draw.merged.size());
    };
    s.fit_all();
    measure("full zoom-out");
    const double mid = static_cast<double>(s.data->packets[s.data->packets.size() / 2].first_ts());
    s.view.set_range(mid - 5e3, mid + 15e3);
    measure("deep zoom (20 us)");
    s.view.set_range(mid, mid + 2e6);
    measure("mid zoom (2 ms)");
    return 0;
}

}  // namespace txray::ui
