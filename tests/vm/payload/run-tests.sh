#!/bin/sh
# Default VM payload: the toolchain probe (fentry + kprobe on udp_sendmsg).
# Runs as root inside the guest, cwd = the payload directory.
# Contract: print one "TXRAY-VM-TEST: PASS|FAIL|SKIP <name> [detail]" line per
# test and exit non-zero on any failure (see tests/vm/README.md).
./udp_probe -n 5 all
