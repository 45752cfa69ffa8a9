#!/usr/bin/env bash
# Prints one of the README's two set-up commands, so CI runs exactly what the
# README says (they cannot drift):
#   scripts/readme-commands.sh live    install, build and run `txray live`
#   scripts/readme-commands.sh tests   install and run the whole test suite
# In README.md each is the first line of the ```sh block after a
# "<!-- readme-command: NAME -->" marker.
set -euo pipefail
name=${1:?usage: readme-commands.sh live|tests}
readme="$(dirname "$0")/../README.md"
cmd=$(awk -v marker="<!-- readme-command: $name -->" '
  $0 == marker { found = 1; next }
  found && /^```/ { if (inblock) exit; inblock = 1; next }
  found && inblock { print; exit }' "$readme")
if [[ -z $cmd ]]; then
  echo "readme-commands: no \"$name\" command in $readme" >&2
  exit 1
fi
printf '%s\n' "$cmd"
