#!/usr/bin/env bash
# run_fuzz.sh FUZZER SEEDS_TOOL SECONDS: fuzzes the trace reader for a bounded
# time from a fresh seed corpus; fails on any crash, sanitizer report or trap.
set -eu
fuzzer=$1 seeds=$2 seconds=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$seeds" "$dir/seeds"
mkdir -p "$dir/corpus"
cd "$dir"
"$fuzzer" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$dir/corpus" "$dir/seeds" 2>&1 | tail -n 25
exit "${PIPESTATUS[0]}"
