# Helpers for a payload's run-tests.sh inside the txray test VM:
#   . "$TXRAY_VM_LIB"
#   vm_test NAME CMD [ARGS...]   run CMD, PASS if it exits 0, FAIL otherwise
#   vm_pass NAME [DETAIL] / vm_fail NAME [DETAIL] / vm_skip NAME [REASON]
#   vm_export FILE [NAME]        copy FILE to the host (appears in the run's
#                                .files/ directory next to the console log)
#   vm_done                      exit 1 if any vm_fail/vm_test failed, else 0
#   wait_for FILE PATTERN SECS   wait (0.1 s steps) until FILE holds PATTERN
VM_FAILED=0

vm_pass() { echo "TXRAY-VM-TEST: PASS $*"; }
vm_fail() { echo "TXRAY-VM-TEST: FAIL $*"; VM_FAILED=$((VM_FAILED + 1)); }
vm_skip() { echo "TXRAY-VM-TEST: SKIP $*"; }

vm_test() {
	_vm_name=$1
	shift
	if "$@"; then
		vm_pass "$_vm_name"
	else
		vm_fail "$_vm_name (exit $?: $*)"
	fi
}

vm_export() {
	_vm_f=$1
	_vm_n=${2:-$(basename "$1")}
	if [ ! -f "$_vm_f" ]; then
		echo "TXRAY-VM-WARN: vm_export: $_vm_f is not a file"
		return 1
	fi
	echo "TXRAY-VM-FILE-BEGIN $_vm_n $(md5sum <"$_vm_f" | cut -d' ' -f1) $(wc -c <"$_vm_f")"
	gzip -c "$_vm_f" | base64 | sed 's/^/TXRAY-VM-B64 /'
	echo "TXRAY-VM-FILE-END $_vm_n"
}

vm_done() {
	[ "$VM_FAILED" = 0 ]
	exit $?
}

wait_for() {
	_vm_i=0
	while [ $_vm_i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		usleep 100000
		_vm_i=$((_vm_i + 1))
	done
	return 1
}
