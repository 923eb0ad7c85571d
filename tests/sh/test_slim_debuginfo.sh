#!/usr/bin/env bash
# scripts/slim-debuginfo.sh, as the Lambda image runs it, on a copy of this
# machine's /usr/lib/debug: ld.so's file stays whole, libc's keeps its
# symbol table (readelf finds __vfprintf_internal, the function a finding
# in printf is "in") without its DWARF, every other file goes; Valgrind
# still runs a program against it (its ld.so redirections need that file).
# Skipped (77) without libc6-dbg or valgrind.
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_cases.sh slimdbg

id_of() { readelf -n "$(readlink -f "$1")" 2>/dev/null | sed -n 's/.*Build ID: *//p' | head -n 1; }
path_in() { local id; id=$(id_of "$2"); echo "$1/.build-id/${id:0:2}/${id:2}.debug"; }
if [ ! -f "$(path_in /usr/lib/debug /lib/x86_64-linux-gnu/libc.so.6)" ] ||
    ! command -v valgrind >/dev/null; then
    echo "skip: libc6-dbg or valgrind is not installed"
    exit 77
fi
cp -r /usr/lib/debug "$tmp/debug"
ld_so=$(path_in "$tmp/debug" /lib64/ld-linux-x86-64.so.2)
libc=$(path_in "$tmp/debug" /lib/x86_64-linux-gnu/libc.so.6)
libc_size=$(stat -c %s "$libc")
ld_sum=$(md5sum <"$ld_so")
out=$(bash scripts/slim-debuginfo.sh "$tmp/debug" 2>&1)
passed "it runs and says what it kept" "kept [23] file" $? "$out"
[ "$(md5sum <"$ld_so")" = "$ld_sum" ] && ok "ld.so's file is whole" ||
    ko "ld.so's file is whole" "$(ls -l "$ld_so" 2>&1)"
syms=$(readelf -sW "$libc" 2>&1)
if grep -q ' __vfprintf_internal$' <<<"$syms" && ! readelf -S "$libc" | grep -q '\.debug_info' &&
    [ "$(stat -c %s "$libc")" -lt $((libc_size / 4)) ]; then
    ok "libc's file keeps its symbols, not its DWARF"
else
    ko "libc's file keeps its symbols, not its DWARF" "$(ls -l "$libc"; readelf -S "$libc" | grep debug)"
fi
n=$(find "$tmp/debug/.build-id" -type f | wc -l)
[ "$n" -le 3 ] && ok "nothing else is left ($n files)" ||
    ko "nothing else is left" "$(find "$tmp/debug" -type f | head)"
# Valgrind reads /usr/lib/debug only; run it with the slim copy there.
printf 'int main(void){return 0;}\n' >"$tmp/e.c" && gcc -g -O0 "$tmp/e.c" -o "$tmp/e"
out=$(unshare -m sh -c 'mount --bind "$1" /usr/lib/debug && valgrind -q --error-exitcode=9 "$2"' \
    sh "$tmp/debug" "$tmp/e" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
    ok "valgrind runs against it"
elif unshare -m true 2>/dev/null; then
    ko "valgrind runs against it" "exit $rc: $out"
else
    echo "     (no mount namespace here: valgrind not run against the copy)"
fi
summary
