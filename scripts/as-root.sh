#!/usr/bin/env bash
# Runs a command as root: directly when already root (a fresh Debian machine
# has no sudo), else through sudo.   scripts/as-root.sh CMD [ARGS...]
if [[ $(id -u) -eq 0 ]]; then
  exec "$@"
fi
if ! command -v sudo >/dev/null; then
  echo "as-root: '$*' needs root, and sudo is not installed: run it as root" >&2
  exit 1
fi
exec sudo -- "$@"
