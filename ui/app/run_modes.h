// The three ways txray-ui runs: interactive, --screenshot, --bench-frames.
#pragma once
#include "app_state.h"
#include "cli_options.h"

namespace txray::ui {

int run_interactive(AppState& s, const CliOptions& o);
int run_screenshot(AppState& s, const CliOptions& o);
int run_bench_frames(AppState& s, const CliOptions& o);
// Applies the command line's view requests to the state before loading.
void apply_startup_options(AppState& s, const CliOptions& o);

}  // namespace txray::ui
