# lib_cases.sh NAME - sourced by the tests/sh tests that run a check of the
# tree on copies of it: $tmp (spp-NAME-*, removed at exit whatever
# happens), ok/ko to count the cases, and summary for the last line.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spp-$1-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; echo "$2" | sed 's/^/     | /'; fail=$((fail + 1)); }
summary() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
# failed NAME WANT RC OUT: a check that exited RC printing OUT must have
# failed (1) and said WANT.
failed() {
    if [ "$3" -ne 1 ]; then
        ko "$1: exit status $3, expected 1" "$4"
    elif ! grep -qF -- "$2" <<<"$4"; then
        ko "$1: the message does not say: $2" "$4"
    else
        ok "$1"
    fi
}
# passed NAME PATTERN RC OUT: a check that exited RC printing OUT must have
# passed (0) and said what the extended regex PATTERN matches.
passed() {
    if [ "$3" -eq 0 ] && grep -qE -- "$2" <<<"$4"; then
        ok "$1"
    else
        ko "$1: exit status $3, expected 0 and a line matching $2" "$4"
    fi
}
