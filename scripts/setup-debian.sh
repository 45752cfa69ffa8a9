#!/usr/bin/env bash
# Installs every Debian 12 package txray needs to build, run and test.
# Usage: scripts/setup-debian.sh            (build + run dependencies)
#        scripts/setup-debian.sh --tests    (plus what the test suite uses)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

build_pkgs=(
  build-essential cmake pkg-config git
  clang llvm                     # BPF objects (clang -target bpf), llvm-strip
  libbpf-dev bpftool libelf-dev zlib1g-dev   # loader, skeletons, vmlinux.h
  nlohmann-json3-dev libzstd-dev # trace I/O (zstd: compressed traces)
  libcli11-dev libfmt-dev        # command line, formatting (std::format is not in g++ 12)
  libimgui-dev libglfw3-dev libgl-dev libstb-dev   # txray-ui
  iproute2                       # ip/tc for the tests and examples
  nftables ethtool               # drop rules and offload settings in the integration tests
  libpcap-dev                    # tcpdump filter expressions (compiled in user space, run in BPF)
  help2man                       # man pages made from the programs' --help at build time
  file                           # CPack's Debian package: finds the ELF files for dpkg-shlibdeps (Depends)
  libcivetweb-dev                # txray agent: the /metrics HTTP server
)
test_pkgs=(
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  xvfb xauth libgl1-mesa-dri     # GUI tests under Xvfb with Mesa software GL
  iputils-ping procps util-linux  # setpriv drops privileges in the CLI error tests
  tshark                         # pcapng export checked by Wireshark's reader
  python3 python3-jsonschema     # recorded traces validated against docs/trace-format.schema.json
  clang libclang-rt-14-dev       # libFuzzer target and sanitizers
  qemu-system-x86 busybox-static cpio xz-utils   # kernel matrix (tests/vm)
  wireguard-tools                # wg, copied into the NIC VM (tests/vm/nic/stack.sh: WireGuard's keys)
  bpftrace                       # comparison in the overhead benchmark
  man-db                         # the package test looks up the installed man pages
  prometheus                     # txray agent tests: a real Prometheus scrapes it; promtool checks /metrics
  iperf3 dnsmasq-base dnsutils curl   # real clients over veth (tests/integration/real_clients_test.cpp);
                                 # dnsmasq-base: the binary without a system service listening on the host
  liburing-dev                   # the io_uring sender of tests/integration/uring_send_test.cpp and (liburing.a) of the VM guest
)

pkgs=("${build_pkgs[@]}")
[[ "${1:-}" == "--tests" ]] && pkgs+=("${test_pkgs[@]}")

SUDO="$(dirname "$0")/as-root.sh"  # sudo only when not root: a fresh machine has none
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  "$SUDO" apt-get update -qq
  "$SUDO" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
