#!/usr/bin/env bash
# Boots a Debian kernel package under qemu (TCG) with a busybox initramfs and
# runs a payload's run-tests.sh as root inside it. See tests/vm/README.md.
#
#   tests/vm/run.sh [options] KERNEL [-- PAYLOAD_DIR]
#
# KERNEL: a shorthand "6.1" / "6.12" (newest available Debian cloud kernel of
# that series), a full package name (linux-image-...-unsigned), or a .deb path.
# PAYLOAD_DIR defaults to the probe payload built by tests/vm/Makefile.
#
# Exit: 0 guest printed "TXRAY-VM-RESULT: PASS n/m" with n == m > 0
#       1 guest reported failing tests      2 usage / host setup error
#       3 kernel panic / oops-death         4 timeout
#       5 VM ended without a result marker
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${TXRAY_VM_CACHE:-$HERE/cache}
TIMEOUT=${TXRAY_VM_TIMEOUT:-900} # a TCG guest on a busy 2-CPU host: ~400 s; 600 s ran out once under load
MEM=${TXRAY_VM_MEM:-1024}
FLAVOUR=${TXRAY_VM_FLAVOUR:-cloud-amd64}
APPEND_EXTRA=""
MODULES=""
LOG=""
BUILD=1
ADD=()
QEMU_EXTRA=()
SMP=${TXRAY_VM_SMP:-1}

die() { echo "vm: error: $*" >&2; exit 2; }
say() { echo "vm: $*" >&2; }

usage() {
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
	cat <<USAGE
options:
  -t, --timeout SEC   kill the VM after SEC seconds (default $TIMEOUT)
  -m, --mem MB        guest memory (default $MEM)
  --modules LIST      comma-separated kernel modules to insmod before the
                      tests (dependencies resolved); also read from
                      PAYLOAD_DIR/vm-modules (one name per line)
  --append ARGS       extra kernel command line (e.g. "loglevel=7")
  --log FILE          console log (default cache/logs/<kernel>-<time>.log)
  --flavour F         Debian kernel flavour (default $FLAVOUR)
  --add PATH          also copy file/dir PATH into the guest's /payload
                      (repeatable; e.g. --add build/src/cli/txray)
  --no-build          do not run make for the default payload
  --smp N             guest CPUs (default $SMP)
  --qemu ARG          one more qemu argument (repeatable), e.g. the NICs of
                      tests/vm/nic-trace.sh: "-netdev" "hubport,id=h0,hubid=0"
USAGE
	exit "${1:-0}"
}

KERNEL=""
PAYLOAD=""
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage 0 ;;
	-t|--timeout) TIMEOUT=$2; shift 2 ;;
	-m|--mem) MEM=$2; shift 2 ;;
	--modules) MODULES="$MODULES,$2"; shift 2 ;;
	--append) APPEND_EXTRA="$APPEND_EXTRA $2"; shift 2 ;;
	--log) LOG=$2; shift 2 ;;
	--flavour) FLAVOUR=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--smp) SMP=$2; shift 2 ;;
	--qemu) QEMU_EXTRA+=("$2"); shift 2 ;;
	--add) [ -e "$2" ] || die "--add $2: no such file"; ADD+=("$2"); shift 2 ;;
	--) PAYLOAD=${2:-}; [ -n "$PAYLOAD" ] || usage 2; shift 2; [ $# -eq 0 ] || usage 2 ;;
	-*) say "unknown option $1"; usage 2 ;;
	*) [ -z "$KERNEL" ] || usage 2; KERNEL=$1; shift ;;
	esac
done
[ -n "$KERNEL" ] || usage 2

for tool in qemu-system-x86_64 cpio gzip dpkg-deb timeout flock; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install qemu-system-x86 cpio)"
done
BUSYBOX=${TXRAY_VM_BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
if [[ $(file -L "$BUSYBOX" 2>/dev/null) != *"statically linked"* ]]; then
	command -v file >/dev/null && die "$BUSYBOX is not statically linked (apt-get install busybox-static)"
fi

mkdir -p "$CACHE/debs" "$CACHE/kernels" "$CACHE/logs" "$CACHE/work"

# ---------------------------------------------------------------- kernel ---
# Series that Debian 12 (bookworm) does not carry come from an older suite of
# the same archive through a private apt configuration: its own sources list,
# lists and cache under $CACHE/apt-<suite>/. The host's apt sources are never
# changed. 5.10 is Debian 11's kernel (bullseye, bullseye-security).
APT=(apt-get)
APT_CACHE=(apt-cache)
PRIVATE_SUITE=""
case "$KERNEL" in
5.10) PRIVATE_SUITE=bullseye ;;
esac
# The host's Debian archive and security URIs, read from its apt sources
# (deb822 .sources files or one-line sources.list entries).
host_archive_uri() { # $1: "debian" or "debian-security"
	local want=$1 f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed -n -E 's#^[[:space:]]*(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?([a-z]+://[^ ]+).*#\3#p' "$f"
	done | sed 's#/*$##' | awk -v w="$want" '{ n = split($0, p, "/"); if (p[n] == w) { print; exit } }'
}
private_apt() { # sets APT/APT_CACHE to a private configuration for $PRIVATE_SUITE
	local dir=$CACHE/apt-$PRIVATE_SUITE main sec keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	main=$(host_archive_uri debian)
	sec=$(host_archive_uri debian-security)
	[ -n "$main" ] || die "no Debian archive in the host's apt sources: cannot fetch $PRIVATE_SUITE kernels"
	[ -f "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	{
		echo "deb [signed-by=$keyring] $main $PRIVATE_SUITE main"
		[ -z "$sec" ] || echo "deb [signed-by=$keyring] $sec $PRIVATE_SUITE-security main"
	} >"$dir/sources.list"
	local o=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o Dir::State::Status=/dev/null
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root)
	APT=(apt-get "${o[@]}")
	APT_CACHE=(apt-cache "${o[@]}")
	# Lists older than a day are refreshed; offline, the cached .debs still serve.
	if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null)" ]; then
		say "updating the private $PRIVATE_SUITE package lists ($dir)"
		"${APT[@]}" -qq update >&2 || say "private apt update failed; using what is cached"
	fi
}
[ -z "$PRIVATE_SUITE" ] || private_apt

# Candidate version of a package (cached per package; apt-cache is slow).
declare -A CANDIDATE=()
candidate_version() {
	local v
	if [ -z "${CANDIDATE[$1]+x}" ]; then
		v=$("${APT_CACHE[@]}" policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -n1 || true)
		[ "$v" = "(none)" ] && v=""
		CANDIDATE[$1]=$v
	fi
	[ -n "${CANDIDATE[$1]}" ] && echo "${CANDIDATE[$1]}"
}
# Downloads PKG's candidate into the cache unless it is there; prints the .deb.
download_pkg() {
	local pkg=$1 ver deb
	ver=$(candidate_version "$pkg") || return 1
	deb=$(ls "$CACHE/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		say "downloading $pkg $ver"
		local out
		if ! out=$(cd "$CACHE/debs" && "${APT[@]}" download -q "$pkg=$ver" 2>&1); then
			echo "$out" | grep -v '^W: Download is performed unsandboxed' >&2
			# Only the archive's "404 Not Found" is remembered (not a network error).
			if [ -n "$PRIVATE_SUITE" ] && [[ $out == *" 404 "* ]]; then
				echo "$pkg=$ver" >>"$CACHE/apt-$PRIVATE_SUITE/not-served"
			fi
			return 1
		fi
		deb=$(ls "$CACHE/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
	fi
	[ -n "$deb" ] && echo "$deb"
}
# Sets PKG (and DEB when it had to download to choose). Newest package for a
# "X.Y" shorthand: Debian names 5.10 and 6.1 as X.Y.0-ABI and 6.12 (bookworm
# security) as 6.12.N+debNN. Only the flavour asked for: "amd64" must not
# match cloud-amd64 or rt-amd64. With a private suite, a newer package that
# the archive no longer serves (404) is skipped for the next one.
resolve_pkg() {
	local want=$1 re cands newest p
	if [[ $want =~ ^[0-9]+\.[0-9]+$ ]]; then
		re="^linux-image-${want//./\\.}(\\.[0-9]+)?[-+][^ ]*[0-9]-${FLAVOUR}-unsigned\$"
		cands=$("${APT_CACHE[@]}" search --names-only "$re" 2>/dev/null | cut -d' ' -f1 | grep -E "$re" || true)
		if [ -z "$cands" ] && [ -z "$PRIVATE_SUITE" ] && [ "$(id -u)" = 0 ]; then
			say "no candidates for $want in the apt lists; running apt-get update"
			apt-get update -qq >&2 || true
			cands=$("${APT_CACHE[@]}" search --names-only "$re" 2>/dev/null | cut -d' ' -f1 | grep -E "$re" || true)
		fi
		newest=""
		local gone=$CACHE/apt-$PRIVATE_SUITE/not-served
		for p in $(printf '%s\n' $cands | sort -V -r); do
			candidate_version "$p" >/dev/null || continue
			if [ -n "$PRIVATE_SUITE" ]; then
				# A version the archive answered 404 for is not asked again.
				grep -qxF "$p=${CANDIDATE[$p]}" "$gone" 2>/dev/null && continue
				DEB=$(download_pkg "$p") || { say "$p ${CANDIDATE[$p]}: not downloadable, trying an older one"; continue; }
			fi
			newest=$p; break
		done
		if [ -z "$newest" ]; then
			# offline fallback: newest matching .deb already in the cache
			newest=$(ls "$CACHE/debs" 2>/dev/null | sed 's/_.*//' | grep -E "$re" | sort -V -r | head -n1 || true)
		fi
		[ -n "$newest" ] || die "no package matches $re (apt-get update? flavour $FLAVOUR?)"
		PKG=$newest
	else
		PKG=$want
	fi
}

DEB=""
if [ -f "$KERNEL" ]; then
	DEB=$(cd "$(dirname "$KERNEL")" && pwd)/$(basename "$KERNEL")
else
	resolve_pkg "$KERNEL"
	if [ -z "$DEB" ]; then
		DEB=$(download_pkg "$PKG" || true)
		[ -n "$DEB" ] || DEB=$(ls "$CACHE/debs/${PKG}_"*.deb 2>/dev/null | sort -V | tail -n1 || true)
		[ -n "$DEB" ] || die "package $PKG: apt-get download failed and nothing is cached"
	fi
fi
KDIR=$CACHE/kernels/$(basename "$DEB" .deb)
if [ ! -f "$KDIR/.done" ]; then
	say "unpacking $(basename "$DEB")"
	rm -rf "$KDIR"; mkdir -p "$KDIR"
	dpkg-deb -x "$DEB" "$KDIR"
	touch "$KDIR/.done"
fi
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$VMLINUZ" ] || die "no /boot/vmlinuz-* in $DEB"
KREL=${VMLINUZ##*/vmlinuz-}
MODDIR=$KDIR/lib/modules/$KREL
say "kernel $KREL ($(basename "$DEB"))"

# --------------------------------------------------------------- payload ---
if [ -z "$PAYLOAD" ]; then
	PAYLOAD=$CACHE/build/payload
	if [ "$BUILD" = 1 ]; then
		make -s -C "$HERE" OUT="$CACHE/build" payload >&2 || die "building the probe payload failed"
	fi
fi
[ -d "$PAYLOAD" ] || die "payload directory $PAYLOAD does not exist"
[ -f "$PAYLOAD/run-tests.sh" ] || die "$PAYLOAD/run-tests.sh missing"
if [ -f "$PAYLOAD/vm-modules" ]; then
	MODULES="$MODULES,$(grep -v '^[[:space:]]*#' "$PAYLOAD/vm-modules" | tr -s ' \n\t' ',')"
fi

# ------------------------------------------------------------- initramfs ---
WORK=$(mktemp -d "$CACHE/work/run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc/txray-vm,payload,lib/modules/"$KREL"}
cp "$BUSYBOX" "$ROOT/bin/busybox"
cp "$HERE/guest/init" "$ROOT/init"
chmod 755 "$ROOT/init"
cp -a "$PAYLOAD/." "$ROOT/payload/"
for a in "${ADD[@]}"; do cp -a "$a" "$ROOT/payload/"; done
cp "$HERE/guest/lib.sh" "$ROOT/etc/txray-vm/lib.sh"
# The guest has no libc/ld.so: dynamically linked programs cannot start.
if command -v file >/dev/null; then
	while IFS= read -r -d '' f; do
		if [[ $(file -b "$f") == ELF*"dynamically linked"* ]]; then
			say "warning: ${f#"$ROOT"} is dynamically linked and will not run in the guest (link with -static)"
		fi
	done < <(find "$ROOT/payload" -type f -perm -u+x -print0)
fi
: >"$ROOT/etc/txray-vm/modules"

# module NAME -> path (.ko/.ko.xz/.ko.zst), '-' and '_' are equivalent
find_module() {
	local n=${1//-/_} f
	while IFS= read -r f; do
		local b=${f##*/}; b=${b%%.ko*}
		[ "${b//-/_}" = "$n" ] && { echo "$f"; return 0; }
	done < <(find "$MODDIR/kernel" -name '*.ko*')
	return 1
}
is_builtin() {
	local n=${1//-/_}
	[ -f "$MODDIR/modules.builtin" ] &&
		sed 's#.*/##; s#\.ko$##; s#-#_#g' "$MODDIR/modules.builtin" | grep -x "$n" >/dev/null
}
declare -A MOD_DONE=()
add_module() { # depth-first so dependencies are insmod-ed first
	local name=${1//-/_} src dst deps d
	[ -n "$name" ] && [ -z "${MOD_DONE[$name]:-}" ] || return 0
	MOD_DONE[$name]=1
	if is_builtin "$name"; then say "module $name is built in"; return 0; fi
	src=$(find_module "$name") || die "module $name not found in $(basename "$DEB")"
	dst=$ROOT/lib/modules/$KREL/$name.ko
	case "$src" in
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) cp "$src" "$dst" ;;
	esac
	command -v objcopy >/dev/null || die "objcopy needed to resolve module dependencies (binutils)"
	deps=$(objcopy -O binary --only-section=.modinfo "$dst" /dev/stdout 2>/dev/null |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' ')
	for d in $deps; do add_module "$d"; done
	echo "/lib/modules/$KREL/$name.ko" >>"$ROOT/etc/txray-vm/modules"
}
for m in ${MODULES//,/ }; do add_module "$m"; done

INITRD=$WORK/initramfs.cpio.gz
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet -R 0:0 | gzip -1) >"$INITRD"
say "initramfs $(du -h "$INITRD" | cut -f1) (payload: $PAYLOAD)"

# ------------------------------------------------------------------ boot ---
[ -n "$LOG" ] || LOG=$CACHE/logs/$KREL-$(date +%Y%m%d-%H%M%S).log
mkdir -p "$(dirname "$LOG")"
# One VM at a time on this machine: concurrent run.sh calls queue here.
exec 9>"$CACHE/qemu.lock"
if ! flock -n 9; then
	say "another run.sh VM is running; waiting for it"
	flock 9
fi
say "booting under qemu TCG (timeout ${TIMEOUT}s), log: $LOG"
START=$(date +%s%N)
set +e
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
	-accel tcg -cpu max -smp "$SMP" -m "$MEM" \
	-kernel "$VMLINUZ" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 oops=panic rdinit=/init loglevel=5 $APPEND_EXTRA" \
	-display none -serial stdio -monitor none -no-reboot -nic none "${QEMU_EXTRA[@]}" \
	</dev/null 2>&1 | tee "$LOG" | grep -a --line-buffered -v 'TXRAY-VM-B64 '
QRC=${PIPESTATUS[0]}
set -e
ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
ELAPSED=$((ELAPSED_MS / 1000)).$((ELAPSED_MS % 1000 / 100))

# --------------------------------------------------------------- verdict ---
CLEAN=$WORK/log.clean
tr -d '\r' <"$LOG" >"$CLEAN"
RESULT=$(grep -a -o 'TXRAY-VM-RESULT: .*' "$CLEAN" | tail -n1 || true)
echo "--------------------------------------------------------------------" >&2
grep -a -E '^TXRAY-VM-TEST: (FAIL|SKIP)' "$CLEAN" | sed 's/^/vm:   /' >&2 || true

# Files sent with vm_export: TXRAY-VM-FILE-BEGIN name md5 size / B64 lines
# (gzip+base64) / TXRAY-VM-FILE-END name. Written to <log>.files/NAME.
EXPORT_BAD=0
if grep -a -q '^TXRAY-VM-FILE-BEGIN ' "$CLEAN"; then
	FILES=${LOG%.log}.files
	mkdir -p "$FILES"
	while read -r _ name md5 size; do
		safe=$(basename "$name" | tr -c 'A-Za-z0-9._\n-' '_')
		awk -v n="$name" '
			$0 == "TXRAY-VM-FILE-BEGIN " n || index($0, "TXRAY-VM-FILE-BEGIN " n " ") == 1 { on = 1; next }
			on && $0 == "TXRAY-VM-FILE-END " n { exit }
			on && /^TXRAY-VM-B64 / { print substr($0, 14) }' "$CLEAN" |
			base64 -d 2>/dev/null | gzip -dc >"$FILES/$safe" 2>/dev/null || true
		got=$(md5sum <"$FILES/$safe" | cut -d' ' -f1)
		if [ "$got" = "$md5" ]; then
			say "exported $FILES/$safe ($size bytes)"
		else
			say "export of $name is corrupt or truncated (md5 $got, want $md5)"
			EXPORT_BAD=1
		fi
	done < <(grep -a '^TXRAY-VM-FILE-BEGIN ' "$CLEAN")
fi
if [[ $RESULT =~ ^TXRAY-VM-RESULT:\ PASS\ ([0-9]+)/([0-9]+) ]] &&
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
	if [ "$EXPORT_BAD" = 1 ]; then
		say "FAIL on $KREL: tests passed but an exported file arrived corrupt"
		exit 1
	fi
	say "PASS on $KREL: ${BASH_REMATCH[1]}/${BASH_REMATCH[2]} tests, ${ELAPSED}s wall"
	exit 0
elif [[ $RESULT == "TXRAY-VM-RESULT: FAIL"* ]]; then
	say "FAIL on $KREL: guest reported '${RESULT#TXRAY-VM-RESULT: }' (${ELAPSED}s wall)"
	exit 1
elif grep -a -q -E 'Kernel panic|end Kernel panic' "$CLEAN"; then
	say "FAIL on $KREL: kernel panic: $(grep -a -m1 'Kernel panic' "$CLEAN")"
	exit 3
elif [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
	say "FAIL on $KREL: timeout after ${TIMEOUT}s without a result marker (last guest line: $(grep -a -v '^qemu-system' "$CLEAN" | grep -a . | tail -n1))"
	exit 4
else
	say "FAIL on $KREL: VM ended (qemu exit $QRC) without a TXRAY-VM-RESULT marker"
	exit 5
fi
