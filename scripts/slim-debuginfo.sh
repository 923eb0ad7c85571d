#!/bin/sh
# slim-debuginfo.sh [DIR] - keep in DIR (default /usr/lib/debug, where
# libc6-dbg puts its files by build-id) only what Valgrind's memcheck needs:
# all of the dynamic linker's debuginfo (its mandatory redirections of
# ld.so's strlen & co.), the symbol tables of libc's and libm's (the library
# function a finding is "in"), nothing else. Their DWARF costs ~220 ms of
# every Valgrind start-up and names nothing we show
# (targets/valgrind/vg_debuginfo.c, which does the same per run with a
# mount namespace). For the Lambda image (lambda/Dockerfile), where there is
# none; tests/sh/test_slim_debuginfo.sh runs it on a copy.
set -eu
dir=${1:-/usr/lib/debug}
file_of() { # the debuginfo file of the object $1 in $dir, by its build-id
    id=$(readelf -n "$(readlink -f "$1")" 2>/dev/null | sed -n 's/.*Build ID: *//p' | head -n 1)
    [ -n "$id" ] || return 1
    printf '%s/.build-id/%s/%s.debug\n' "$dir" "$(printf %s "$id" | cut -c1-2)" \
        "$(printf %s "$id" | cut -c3-)"
}
ld_so=$(file_of /lib64/ld-linux-x86-64.so.2)
[ -f "$ld_so" ] || { echo "slim-debuginfo: no debuginfo for ld.so in $dir" >&2; exit 1; }
keep="$ld_so"
for lib in /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6; do
    f=$(file_of "$lib") || continue
    [ -f "$f" ] || continue
    objcopy --strip-debug "$f" "$f.syms"
    mv -f "$f.syms" "$f"
    keep="$keep $f"
done
find "$dir/.build-id" -type f | while read -r f; do
    case " $keep " in *" $f "*) ;; *) rm -f "$f" ;; esac
done
find "$dir/.build-id" -type l -exec rm -f {} +
find "$dir/.build-id" -mindepth 1 -type d -empty -delete
echo "slim-debuginfo: kept $(find "$dir/.build-id" -type f | wc -l) file(s) in $dir"
