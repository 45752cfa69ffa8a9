#!/usr/bin/env bash
# End-to-end checks of `report` and `export` through the CLI registration:
# live pipe, exit codes, one-line errors, both export formats.
# Usage: cli_test.sh TXRAY SAMPLE_TRACE_TOOL HEADERS_TRACE_TOOL
set -u
txray=$1 sample=$2 headers=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() {  # check NAME CONDITION...
    local name=$1; shift
    if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}

# A live pipe: the recorder writes to stdout, report reads "-".
"$sample" - 400 | "$txray" report - >"$dir/pipe.txt" 2>"$dir/pipe.err"
check "report from a pipe exits 0" test $? -eq 0
check "report from a pipe saw all packets" grep -q "packets   400 of 400" "$dir/pipe.txt"
check "report from a pipe has the histogram" grep -q "|#" "$dir/pipe.txt"

"$sample" "$dir/t.json" 400
"$txray" report --json --pid 1000 --since 100us --until 2ms "$dir/t.json" >"$dir/r.json"
check "report --json exits 0" test $? -eq 0
check "report --json is JSON with a narrowed count" python3 -c "
import json,sys; j=json.load(open('$dir/r.json')); m=j['packets']['matched']; sys.exit(0 if 0 < m < 400 else 1)"

# Bad inputs: one line on stderr, exit 1.
one_error() {  # one_error NAME EXPECTED_SUBSTRING FILE
    "$txray" report "$3" >"$dir/out" 2>"$dir/err"
    local rc=$?
    check "$1: exit 1" test $rc -eq 1
    check "$1: one line" test "$(wc -l <"$dir/err")" -eq 1
    check "$1: says '$2'" grep -qF "$2" "$dir/err"
}
: >"$dir/empty.json"
echo '{"name":"left-pad","version":"1.0.0"}' >"$dir/package.json"
head -c 3000 /dev/urandom >"$dir/random.bin"; printf '\0' >>"$dir/random.bin"
one_error "missing file" "cannot open $dir/nope.json: No such file or directory" "$dir/nope.json"
one_error "empty file" "empty file: no trace header" "$dir/empty.json"
one_error "other JSON" "not a txray trace" "$dir/package.json"
one_error "binary file" "not a txray trace" "$dir/random.bin"
sed -E 's/"version":"1\.[0-9]+"/"version":"2.0"/' "$dir/t.json" >"$dir/v2.json"
one_error "newer major" "newer than this txray reads" "$dir/v2.json"

# Truncated: loads what is complete, says where it stopped, exit 0.
head -n -1 "$dir/t.json" | head -c -50 >"$dir/cut.json"
"$txray" report "$dir/cut.json" >"$dir/out" 2>"$dir/err"
check "truncated: exit 0" test $? -eq 0
check "truncated: stopped at line 401" grep -q "stopped at line 401: truncated record" "$dir/err"

# Strict stops at a corrupt line.
sed '5s/.*/{oops/' "$dir/t.json" >"$dir/bad.json"
"$txray" report "$dir/bad.json" >/dev/null 2>"$dir/err"
check "corrupt line: warning names line 5" grep -q "line 5: not valid JSON, skipped" "$dir/err"
"$txray" report --strict "$dir/bad.json" >/dev/null 2>"$dir/err"
check "corrupt line --strict: exit 1" test $? -eq 1
check "corrupt line --strict: stopped at line 5" grep -q "stopped at line 5: not valid JSON" "$dir/err"

# Exports.
"$txray" export --format perfetto "$dir/t.json" -o "$dir/p.json" 2>"$dir/err"
check "perfetto export exits 0" test $? -eq 0
check "perfetto export is JSON with traceEvents" python3 -c "
import json; j=json.load(open('$dir/p.json')); assert len(j['traceEvents']) > 400"
"$txray" export --format pcapng "$dir/t.json" -o "$dir/t.pcapng" 2>"$dir/err"
check "pcapng export of a trace with some headers exits 0" test $? -eq 0
check "pcapng export says how many lacked headers" grep -q "had no captured headers" "$dir/err"
"$sample" - 400 | grep -v '"headers"' >"$dir/nohdr.json"
"$txray" export --format pcapng "$dir/nohdr.json" -o "$dir/x.pcapng" 2>"$dir/err"
check "pcapng export without headers: exit 1" test $? -eq 1
check "pcapng export without headers: says so" grep -q "record with \`txray record --headers\`" "$dir/err"
"$txray" export --format perfetto "$dir/t.json" -o /nonexistent/dir/x.json 2>"$dir/err"
check "unwritable output: exit 1" test $? -eq 1
check "unwritable output: says so" grep -q "cannot write /nonexistent/dir/x.json" "$dir/err"
exit $fail
