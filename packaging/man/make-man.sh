#!/usr/bin/env bash
# Writes the man pages at build time from the programs' own --help (help2man),
# so they cannot drift from the CLI: txray.1 (with a COMMANDS section made of
# each subcommand's --help), txray-ui.1, and the hand-written txray-trace.5.
#   make-man.sh OUTDIR TXRAY_BIN [TXRAY_UI_BIN]
set -euo pipefail
out=$1 txray=$2 ui=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# roff-safe preformatted text: backslashes, and lines starting with . or '.
roff_verbatim() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

{
  echo "[COMMANDS]"
  # every subcommand the program lists, so a new one cannot be left out
  for sub in $("$txray" --help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }'); do
    echo ".SS \"txray $sub\""
    echo ".nf"
    "$txray" "$sub" --help | roff_verbatim
    echo ".fi"
  done
} >"$tmp/commands.h2m"

help2man --no-info --no-discard-stderr --section 1 --source "txray" \
  --name "per-packet send-path timelines from BPF" \
  --include "$here/txray.h2m" --include "$tmp/commands.h2m" --output "$tmp/txray.1" "$txray"
pages=(txray.1)
if [[ -n $ui ]]; then
  help2man --no-info --no-discard-stderr --section 1 --source "txray" \
    --name "replay a txray trace on a zoomable timeline" \
    --include "$here/txray-ui.h2m" --output "$tmp/txray-ui.1" "$ui"
  pages+=(txray-ui.1)
fi
cp "$here/txray-trace.5" "$tmp/txray-trace.5"
pages+=(txray-trace.5)
for p in "${pages[@]}"; do gzip -9n <"$tmp/$p" >"$out/$p.gz"; done
