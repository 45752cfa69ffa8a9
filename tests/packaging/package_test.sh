#!/usr/bin/env bash
# Builds the Debian package, installs it with apt, runs the installed
# programs, purges it and checks that none of its files is left.
#   package_test.sh BUILD_DIR SOURCE_DIR     (exit 77: skipped)
# The machine is restored (the package purged) even when a check fails.
set -uo pipefail
build=$1 src=$2
skip() { echo "skipped: $*"; exit 77; }
[[ ${TXRAY_TEST_PACKAGE:-0} == 1 ]] || skip "set TXRAY_TEST_PACKAGE=1 to let it install and remove the txray package here (scripts/test.sh does)"
[[ $(id -u) -eq 0 ]] || skip "needs root (apt install)"
dpkg-query -W -f='${Status}' txray 2>/dev/null | grep -q "ok installed" &&
  skip "a txray package is already installed on this machine; not touching it"

failures=0
check() {  # check DESCRIPTION CMD...: runs CMD, counts a failure
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
tmp=$(mktemp -d)
apt_opts=(-o DPkg::Lock::Timeout=300 -y -qq)
installed=0
restore() {
  ((installed)) && apt-get purge "${apt_opts[@]}" txray >/dev/null 2>&1
  rm -rf "$tmp"
}
trap restore EXIT

# --- build it
rm -f "$build"/txray_*.deb
cmake --build "$build" --target package >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; echo "FAIL: package build"; exit 1; }
debs=("$build"/txray_*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || { echo "FAIL: expected one build/txray_*.deb, got: ${debs[*]}"; exit 1; }
deb=${debs[0]}
want="txray_$(dpkg-deb -f "$deb" Version)_$(dpkg-deb -f "$deb" Architecture).deb"
check "file name $(basename "$deb") is <name>_<version>_<arch>.deb ($want)" test "$(basename "$deb")" = "$want"
check "architecture is this machine's ($(dpkg --print-architecture))" \
  test "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)"

dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$tmp/contents"
for f in /usr/bin/txray /usr/bin/txray-ui /usr/share/man/man1/txray.1.gz /usr/share/man/man1/txray-ui.1.gz \
         /usr/share/man/man5/txray-trace.5.gz /usr/share/bash-completion/completions/txray \
         /usr/share/bash-completion/completions/txray-ui /usr/share/doc/txray/trace-format.md; do
  check "package holds $f" grep -qx "$f" "$tmp/contents"
done
if [[ -f $src/packaging/systemd/txray-agent.service ]]; then
  check "package holds the agent's unit" grep -qx /lib/systemd/system/txray-agent.service "$tmp/contents"
fi
if [[ -f $src/packaging/systemd/txray-agent.default ]]; then
  check "package holds /etc/default/txray-agent" grep -qx /etc/default/txray-agent "$tmp/contents"
  dpkg-deb -e "$deb" "$tmp/control"
  check "/etc/default/txray-agent is a conffile" grep -qx /etc/default/txray-agent "$tmp/control/conffiles"
fi

# --- Depends names the package of every library the binaries link
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
sed -e 's/ ([^)]*)//g' -e 's/, /\n/g' -e 's/ | /\n/g' <<<"$depends" >"$tmp/depends"  # package names, one a line
dpkg-deb -x "$deb" "$tmp/root"
needed_ok=1
for bin in "$tmp/root/usr/bin/txray" "$tmp/root/usr/bin/txray-ui"; do
  for lib in $(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}')
    pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null)
    pkg=${pkg%%:*}
    if [[ -z $pkg ]] || ! grep -qxF "$pkg" "$tmp/depends"; then
      echo "  $(basename "$bin") needs $lib ($path, package '${pkg:-?}'), not in Depends"
      needed_ok=0
    fi
  done
done
check "Depends covers every NEEDED library" test $needed_ok = 1

# --- install with apt, run what it installed
# What of the package's paths exists already (/lib, /usr/share/man, ...): not its to remove.
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's#^\./#/#; s#/$##' | grep -v '^$' | sort -u |
  while read -r f; do [[ -e $f || -L $f ]] && echo "$f"; done >"$tmp/preexisting"
apt-get install "${apt_opts[@]}" "$deb" >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log"; echo "FAIL: apt install"; exit 1; }
installed=1
dpkg -L txray | sort >"$tmp/files"
check "txray --version" bash -c '/usr/bin/txray --version | grep -qx "txray $0"' "$(dpkg-deb -f "$deb" Version)"
/usr/bin/txray doctor >"$tmp/doctor.out" 2>&1
rc=$?
check "txray doctor exits 0 (rc $rc)" test $rc -eq 0
check "txray doctor lists the stages" grep -q "dev_queue_xmit" "$tmp/doctor.out"
xvfb-run -a -s "-screen 0 1024x768x24" /usr/bin/txray-ui "$src/examples/veth-trace.json" \
  --screenshot "$tmp/shot.png" --size 800x600 >"$tmp/ui.out" 2>&1
rc=$?
check "txray-ui --screenshot exits 0 (rc $rc)" test $rc -eq 0
check "txray-ui wrote a PNG" bash -c 'head -c 8 "$0" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a"' "$tmp/shot.png"
check "man -w txray" test "$(man -w txray)" = /usr/share/man/man1/txray.1.gz
check "man -w txray-ui" test "$(man -w txray-ui)" = /usr/share/man/man1/txray-ui.1.gz
check "man -w 5 txray-trace" test "$(man -w 5 txray-trace)" = /usr/share/man/man5/txray-trace.5.gz
LC_ALL=C MANWIDTH=200 man -P cat txray >"$tmp/man.txt" 2>/dev/null
subs=$(/usr/bin/txray --help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }')
check "txray --help lists the subcommands (agent among them)" bash -c 'grep -qx agent <<<"$0"' "$subs"
for sub in $subs; do
  check "txray(1) has '$sub' and every option of its --help" bash -c '
    grep -q "txray $1" "$2" || exit 1
    for o in $(/usr/bin/txray "$1" --help | grep -oE -- "--[a-z][a-z0-9-]+" | sort -u); do
      grep -qe "$o" "$2" || { echo "  missing $o"; exit 1; }
    done' _ "$sub" "$tmp/man.txt"
done
complete_words() {  # the bash completion's answer for a command line
  bash -c 'source /usr/share/bash-completion/completions/txray; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _txray; echo "${COMPREPLY[*]}"' _ "$@"
}
check "completion: txray li -> live" test "$(complete_words txray li)" = live
check "completion: txray live --dur -> --duration" test "$(complete_words txray live --dur)" = --duration

# --- remove, purge: nothing of it is left
apt-get remove "${apt_opts[@]}" txray >/dev/null 2>&1
check "txray removed" bash -c '! test -e /usr/bin/txray'
apt-get purge "${apt_opts[@]}" txray >/dev/null 2>&1
installed=0
check "txray purged (dpkg knows no txray)" bash -c '! dpkg-query -W txray >/dev/null 2>&1'
left=0
while read -r f; do
  grep -qxF "$f" "$tmp/preexisting" && continue
  if [[ -e $f || -L $f ]]; then echo "  left behind: $f"; left=1; fi
done <"$tmp/files"
check "no file of the package is left" test $left = 0
check "no /usr/share/doc/txray left" test ! -e /usr/share/doc/txray

echo "package test: $failures failed"
((failures == 0))
