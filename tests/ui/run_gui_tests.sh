#!/bin/sh
# Runs txray-ui's GUI tests under a virtual X server with Mesa's software GL.
# Exit 77 (ctest: skipped) when xvfb-run is not installed.
if ! command -v xvfb-run >/dev/null 2>&1; then
    echo "xvfb-run not found: skipping the GUI tests"
    exit 77
fi
export LIBGL_ALWAYS_SOFTWARE=1
exec xvfb-run -a -s "-screen 0 1920x1080x24" "$@"
