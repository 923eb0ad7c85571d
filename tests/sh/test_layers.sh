#!/usr/bin/env bash
# The include graph points down (scripts/check-layers.sh): the tree as it
# is passes, and a copy of it with one bad include added fails, naming the
# file, the line and the two folders - an upward include, a sibling target,
# a folder-level cycle, lambda/ reaching for DWARF, an unlisted folder and
# a relative include path. Each case works on its own copy in a temporary
# directory, removed at the end whatever happens.
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_cases.sh layers

# A fresh copy of the source folders in $tmp/NAME.
copy() {
    mkdir -p "$tmp/$1"
    cp -r dwarf tracer targets run lambda cmd "$tmp/$1"/
}

# case NAME FILE LINE-TO-ADD EXPECTED-TEXT: FILE in a fresh copy gets the
# line at its top; the check must fail and print the expected text.
bad_case() {
    local name=$1 file=$2 line=$3 want=$4
    copy "$name"
    mkdir -p "$(dirname "$tmp/$name/$file")"
    if [ -f "$tmp/$name/$file" ]; then
        sed -i "1i $line" "$tmp/$name/$file"
    else
        printf '%s\n' "$line" >"$tmp/$name/$file"
    fi
    local out rc
    out=$(bash scripts/check-layers.sh "$tmp/$name" 2>&1)
    rc=$?
    failed "$name" "$want" "$rc" "$out"
}

out=$(bash scripts/check-layers.sh . 2>&1)
passed "the tree passes, in the order dwarf < tracer < targets < run < lambda < cmd" \
    'dwarf tracer/rt < tracer < (targets/[a-z]+ )*targets/ptrace (targets/[a-z]+ )*targets/valgrind < run < lambda < cmd' \
    $? "$out"

bad_case upward tracer/step.c '#include "run/run.h"' \
    'tracer/step.c:1: #include "run/run.h": tracer/ may not include run/, a layer above it'
bad_case value_knows_a_target tracer/value.c '#include "targets/ptrace/ptrace_target.h"' \
    'tracer/value.c:1: #include "targets/ptrace/ptrace_target.h": tracer/ may not include targets/ptrace/'
bad_case sibling_targets targets/ptrace/ptrace_target.c '#include "targets/valgrind/vg_target.h"' \
    'targets/ptrace/ and targets/valgrind/ sit side by side'
bad_case cycle dwarf/dw_index.c '#include "tracer/target.h"' \
    'dwarf/dw_index.c:1: #include "tracer/target.h": dwarf/ may not include tracer/'
bad_case lambda_dwarf lambda/handler.c '#include "dwarf/dw_index.h"' \
    'lambda/handler.c:1: #include "dwarf/dw_index.h": lambda/ may not include dwarf/'
bad_case run_from_lambda run/run.c '#include "lambda/cache.h"' \
    'run/run.c:1: #include "lambda/cache.h": run/ may not include lambda/'
bad_case unlisted_folder util/clock.c '#include "tracer/err.h"' \
    'util/clock.c: folder util/ is not in the layer order'
bad_case relative_path run/merge.c '#include "run.h"' \
    'run/merge.c:1: #include "run.h": write include paths from the repository root'

# A new target folder is a sibling of the others without any edit.
copy new_target
mkdir -p "$tmp/new_target/targets/zz_new"
printf '#include "tracer/target.h"\n#include "targets/zz_new/zz.h"\n' >"$tmp/new_target/targets/zz_new/zz.c"
printf '#include "tracer/err.h"\n' >"$tmp/new_target/targets/zz_new/zz.h"
out=$(bash scripts/check-layers.sh "$tmp/new_target" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && grep -qF 'targets/valgrind targets/zz_new < run' <<<"$out"; then
    ok "a new folder under targets/ is a layer-2 sibling"
else
    ko "a new folder under targets/ is not accepted as a sibling (exit $rc)" "$out"
fi

summary
