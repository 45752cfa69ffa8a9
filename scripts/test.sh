#!/usr/bin/env bash
# Builds txray and runs every test: unit tests, the BPF integration tests
# (root: they load the real programs on veth pairs in test namespaces), the
# GUI tests under Xvfb, the unit tests again under ASan/UBSan, and the kernel
# matrix in qemu (tests/vm) when its script is present.
#
#   sudo scripts/setup-debian.sh --tests && sudo scripts/test.sh
#
# Ends with one line "txray tests: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=$(nproc)
passed=0
failed=0
failed_parts=()

# ctest_part NAME DIR [ctest args...]: runs ctest, adds its counts.
ctest_part() {
  local name=$1 dir=$2
  shift 2
  local log
  log=$(mktemp)
  (cd "$dir" && ctest --output-on-failure --timeout 600 "$@") 2>&1 | tee "$log"
  local line total fails
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [[ -z $line ]]; then
    echo "txray tests: $name: ctest printed no summary" >&2
    failed=$((failed + 1)); failed_parts+=("$name")
  else
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    fails=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
    passed=$((passed + total - fails)); failed=$((failed + fails))
    ((fails == 0)) || failed_parts+=("$name")
  fi
  rm -f "$log"
}

build_part() {
  local name=$1 dir=$2
  shift 2
  if ! cmake -S "$root" -B "$dir" "$@" || ! cmake --build "$dir" -j"$jobs"; then
    echo "txray tests: $name: build failed" >&2
    failed=$((failed + 1)); failed_parts+=("$name build")
    return 1
  fi
}

mkdir -p "$build"
echo "== build ($build)"
if build_part main "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
  echo "== tests: unit, BPF integration, GUI"
  ctest_part main "$build"
fi

echo "== tests under AddressSanitizer + UBSan (no BPF, no GUI)"
if build_part sanitize "$build-asan" -DCMAKE_BUILD_TYPE=Debug -DTXRAY_SANITIZE=ON -DTXRAY_BUILD_BPF=OFF \
     -DTXRAY_BUILD_UI=OFF -DTXRAY_BUILD_BENCH=OFF; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest_part sanitize "$build-asan" -LE 'bpf|gui|vm|fuzz'
fi

if [[ -x $root/tests/vm/run-txray-matrix.sh && ${TXRAY_SKIP_VM:-0} != 1 ]]; then
  echo "== kernel matrix under qemu (tests/vm)"
  log=$(mktemp)
  BUILD_DIR=$build "$root/tests/vm/run-txray-matrix.sh" 2>&1 | tee "$log"
  line=$(grep -E '^vm-kernels: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  if [[ -n $line ]]; then
    p=$(sed -E 's/vm-kernels: ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f)); ((f == 0)) || failed_parts+=(vm)
  else
    failed=$((failed + 1)); failed_parts+=(vm)
  fi
  rm -f "$log"
fi

((${#failed_parts[@]} == 0)) || echo "failed parts: ${failed_parts[*]}"
echo "txray tests: $passed passed, $failed failed"
((failed == 0))
