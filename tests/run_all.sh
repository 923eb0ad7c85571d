#!/usr/bin/env bash
# Runs every test and ends with one line "N passed, M failed, K skipped" (the
# sum of the "N passed, M failed" lines printed by each test program; K counts
# the programs that exited 77, skipped after saying why). A program that
# crashes or prints no summary counts as one failure.
# Usage: tests/run_all.sh ['name-filter ...'] (a test runs when its name contains any)
# SPP_BUILD_DIR=build-san runs the same tests against another build (make san-test).
#
# Every test runs with TMPDIR set to one directory of this run's own; a test
# (or a tracer it starts) that leaves anything there fails the suite, by name,
# and the directory is removed. /tmp itself is shared with other users'
# runs, so only what lands in our own directory can be checked.
set -u
cd "$(dirname "$0")/.."
filter="${1:-}"
build_dir="${SPP_BUILD_DIR:-build}"
if [ -n "${SPP_BUILD_DIR:-}" ]; then
    SPP_BUILD_DIR=$(cd "$SPP_BUILD_DIR" && pwd) || exit 2
    export SPP_BUILD_DIR
    # the runtime object is the same in every build (never sanitized)
    [ -n "${SPP_RT_OBJ:-}" ] || [ ! -f "$SPP_BUILD_DIR/rt/sppmon.o" ] ||
        export SPP_RT_OBJ="$SPP_BUILD_DIR/rt/sppmon.o"
fi
suite_tmp=$(mktemp -d "${TMPDIR:-/tmp}/spp-suite-XXXXXX") || exit 2
# 1777 like /tmp: run directories of a run's own uid go here too (run/run.c
# falls back to /tmp for a directory that uid cannot search).
chmod 1777 "$suite_tmp"
export TMPDIR="$suite_tmp"
unpriv_root=
cleanup() { rm -rf "$suite_tmp" ${unpriv_root:+"$unpriv_root"}; }
trap cleanup EXIT
# Sample programs and vectors: ../shared next to the repository when it is
# there, else the copy in tests/data/shared (a clone anywhere still works).
if [ -z "${SPP_SHARED_DIR:-}" ]; then
    if [ -d ../shared/programs ] && [ -d ../shared/vectors ]; then
        SPP_SHARED_DIR=$(cd ../shared && pwd)
    else
        SPP_SHARED_DIR=$PWD/tests/data/shared
    fi
fi
export SPP_SHARED_DIR
export SPP_PROGRAMS="${SPP_PROGRAMS:-$SPP_SHARED_DIR/programs}"
export SPP_VECTORS="${SPP_VECTORS:-$SPP_SHARED_DIR/vectors}"
echo "shared data: $SPP_SHARED_DIR"

# Tests that run spp-trace as an unprivileged user (tests/support/lambda_like,
# as AWS Lambda runs it) need a checkout that user can enter. Under a parent
# other users cannot enter (a clone in a 0700 home or mktemp -d) they run
# from a copy of this tree in a fresh 0755 directory, removed at the end.
open_to_others() {
    local d=$PWD
    while [ "$d" != / ]; do
        [ $(( 8#$(stat -c %a "$d") & 1 )) -eq 1 ] || return 1
        d=$(dirname "$d")
    done
}
closed=0
open_to_others || closed=1
open_copy() {
    [ -n "$unpriv_root" ] && return
    unpriv_root=$(mktemp -d /tmp/spp-open-copy-XXXXXX)
    chmod 755 "$unpriv_root"
    tar -C . --exclude=./.git --exclude=./build/pch --exclude=./build/obj \
        --exclude=./build/tests -cf - . | tar -C "$unpriv_root" -xf -
    echo "this checkout is closed to other users: the lambda_like tests run from a copy, $unpriv_root"
}
total_pass=0
total_fail=0
total_skip=0
failed_names=()
skipped_names=()

# Several filters, space-separated: a test runs when its name contains any.
wanted() {
    [ -z "$filter" ] && return 0
    local f
    for f in $filter; do [[ "$1" == *"$f"* ]] && return 0; done
    return 1
}

run_one() {
    local name="$1"; shift
    wanted "$name" || return
    echo "== $name"
    local out rc t0=$SECONDS left
    out=$("$@" 2>&1); rc=$?
    echo "   ($((SECONDS - t0)) s)"
    printf '%s\n' "$out"
    left=$(cd "$suite_tmp" && ls -A)
    if [ -n "$left" ]; then
        # checked after each program so the one that leaves it is named
        echo "!! $name left in TMPDIR: $(printf '%s\n' "$left" | head -5 | tr '\n' ' ')"
        find "$suite_tmp" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
        total_fail=$((total_fail + 1)); failed_names+=("$name")
    fi
    local summary
    summary=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$summary" ]; then
        echo "!! $name printed no summary (exit $rc)"
        total_fail=$((total_fail + 1)); failed_names+=("$name"); return
    fi
    local p f
    p=${summary%% passed*}; f=${summary#*, }; f=${f%% failed}
    if [ "$rc" -eq 77 ]; then
        # a whole program skipped (it said why above): counted, never hidden
        total_skip=$((total_skip + 1)); skipped_names+=("$name")
    fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "$f" -eq 0 ]; then
        echo "!! $name exited $rc"
        total_fail=$((total_fail + 1))
    fi
    [ "$f" -gt 0 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; } && failed_names+=("$name")
}

for t in "$build_dir"/tests/*; do
    [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
# A sanitized build: LeakSanitizer stops the world with ptrace, which the
# Lambda-like runs deny (it then fails every run); leaks are checked in the
# unit tests above, which free what they make.
[ "$build_dir" = build ] || export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
for t in tests/e2e/test_*.py; do
    [ -f "$t" ] || continue
    name="e2e/$(basename "$t" .py)"
    if [ "$closed" = 1 ] && grep -q lambda_like "$t" && wanted "$name"; then
        open_copy
        # its bundled sample programs: ../shared may be as closed
        s=$unpriv_root/tests/data/shared
        run_one "$name" env SPP_SHARED_DIR="$s" SPP_PROGRAMS="$s/programs" \
            SPP_VECTORS="$s/vectors" python3 "$unpriv_root/$t"
    else
        run_one "$name" python3 "$t"
    fi
done
for t in tests/sh/test_*.sh; do
    [ -f "$t" ] && run_one "sh/$(basename "$t" .sh)" bash "$t"
done

if [ ${#failed_names[@]} -gt 0 ]; then
    echo "failing: ${failed_names[*]}"
fi
if [ ${#skipped_names[@]} -gt 0 ]; then
    echo "skipped: ${skipped_names[*]}"
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
