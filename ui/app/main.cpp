// txray-ui: replays a txray trace on a timeline (Dear ImGui + GLFW).
#include <cstdio>
#include <string>

#include "cli_options.h"
#include "run_modes.h"

int main(int argc, char** argv) {
    using namespace txray::ui;
    std::string err;
    auto o = parse_cli(argc, argv, err);
    if (!o) {
        std::fprintf(stderr, "txray-ui: %s\n%s", err.c_str(), usage().c_str());
        return 1;
    }
    if (o->version) {
        std::printf("txray-ui %s\n", TXRAY_VERSION);
        return 0;
    }
    if (o->help) {
        std::printf("%s", usage().c_str());
        return 0;
    }
    AppState s;
    apply_startup_options(s, *o);
    if (!o->screenshot.empty()) {
        if (o->trace.empty()) {
            std::fprintf(stderr, "txray-ui: --screenshot needs a trace file\n");
            return 1;
        }
        return run_screenshot(s, *o);
    }
    if (o->bench_frames > 0) return run_bench_frames(s, *o);
    return run_interactive(s, *o);
}
