#!/usr/bin/env bash
# Builds txray and runs every test: unit tests, the BPF integration tests
# (root: they load the real programs on veth pairs in test namespaces), the
# GUI tests under Xvfb, the unit tests again under ASan/UBSan, and the kernel
# matrix in qemu (tests/vm) when its script is present, and the Debian
# package (built, installed with apt, run, removed).
#
#   scripts/setup-debian.sh --tests && scripts/test.sh     (as root; else through sudo)
#
# It builds in its own trees (build-test/, build-test-asan/) with the options
# it needs given on the command line, whatever an earlier configure cached;
# the README's first command builds in build/, untouched here.
# Ends with one line "txray tests: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-test}
if [[ $(id -u) -ne 0 ]]; then  # the BPF tests and the package test need root
  exec "$root/scripts/as-root.sh" env BUILD_DIR="$build" TXRAY_SKIP_VM="${TXRAY_SKIP_VM:-0}" "$0" "$@"
fi
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
if build_part main "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTXRAY_BUILD_TESTS=ON -DTXRAY_BUILD_BENCH=ON \
     -DTXRAY_BUILD_BPF=ON -DTXRAY_BUILD_UI=ON -DTXRAY_SANITIZE=OFF; then
  echo "== tests: unit, BPF integration, GUI"
  ctest_part main "$build" -LE package
  echo "== the Debian package: build, apt install, run, remove"
  TXRAY_TEST_PACKAGE=1 ctest_part package "$build" -L package
fi

echo "== tests under AddressSanitizer + UBSan (no BPF, no GUI)"
if build_part sanitize "$build-asan" -DCMAKE_BUILD_TYPE=Debug -DTXRAY_SANITIZE=ON -DTXRAY_BUILD_BPF=OFF \
     -DTXRAY_BUILD_UI=OFF -DTXRAY_BUILD_BENCH=OFF -DTXRAY_BUILD_TESTS=ON; then
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
