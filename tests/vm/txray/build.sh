#!/usr/bin/env bash
# Builds the static txray, txray-testsend, txray-tcptest and txray-vmcheck for the test VMs
# and stages the payload directory (run-tests.sh + the three binaries).
#   tests/vm/txray/build.sh [PAYLOAD_DIR]
# Env: TXRAY_VM_BUILD (build dir, default <repo>/build-vm), TXRAY_VM_SRC
# (source tree, default the repo), JOBS (default 2).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
SRC=${TXRAY_VM_SRC:-$REPO}
BUILD=${TXRAY_VM_BUILD:-$REPO/build-vm}
OUT=${1:-$HERE/../cache/build/txray-payload}
JOBS=${JOBS:-2}

mkdir -p "$BUILD"
cmake -S "$SRC" -B "$BUILD" -DTXRAY_STATIC=ON -DTXRAY_BUILD_UI=OFF -DTXRAY_BUILD_REPORT=OFF \
	-DTXRAY_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Release >"$BUILD/txray-vm-configure.log" 2>&1 ||
	{ tail -30 "$BUILD/txray-vm-configure.log"; exit 2; }
cmake --build "$BUILD" -j"$JOBS" --target txray txray-testsend txray-tcptest txray_core
# the io_uring sender, when liburing-dev is installed (run-tests.sh skips without it)
uringsend=
if grep -q '^LIBURING_FOUND:INTERNAL=1' "$BUILD/CMakeCache.txt"; then
	cmake --build "$BUILD" -j"$JOBS" --target txray-uringsend
	uringsend=$BUILD/tests/integration/txray-uringsend
fi
# the checkers: one file each against txray_core (fmt header-only, like the
# static build); txray-niccheck and txray-stackcheck run on the host (tests/vm/run-nic-matrix.sh)
checker() { # SOURCE OUTPUT
	if [ ! -x "$2" ] || [ "$1" -nt "$2" ] || [ "$BUILD/src/core/libtxray_core.a" -nt "$2" ]; then
		echo "$(basename "$2")"
		${CXX:-g++} -std=c++20 -O1 -static -DFMT_HEADER_ONLY -I"$SRC/src/core" -I"$SRC/src" -I"$SRC/bpf" "$1" \
			"$BUILD/src/core/libtxray_core.a" -lzstd -o "$2"
	fi
}
vmcheck=$BUILD/txray-vmcheck
checker "$HERE/txray-vmcheck.cpp" "$vmcheck"
checker "$HERE/../nic/txray-niccheck.cpp" "$BUILD/txray-niccheck"
checker "$HERE/../nic/txray-stackcheck.cpp" "$BUILD/txray-stackcheck"
mkdir -p "$OUT"
cp "$BUILD/src/cli/txray" "$BUILD/tests/integration/txray-testsend" "$BUILD/tests/integration/txray-tcptest" "$vmcheck" $uringsend "$OUT/"
cp "$HERE/run-tests.sh" "$HERE/forward.sh" "$OUT/"
chmod +x "$OUT/run-tests.sh"
for b in txray txray-testsend txray-tcptest txray-vmcheck ${uringsend:+txray-uringsend}; do
	file "$OUT/$b" | grep -q 'statically linked' || { echo "$OUT/$b is not static" >&2; exit 2; }
done
echo "payload: $OUT"
