#!/usr/bin/env bash
# Fuzz every parser of hostile input for a bounded time (tests/fuzz/fuzz_*.c,
# libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer, clang):
# requests and Lambda events; vgdb's GDB remote frames, memcheck's XML stream
# and monitor replies; the agent's packets; the ELF + DWARF reader.
#
# The library is built once with the sanitizers into build/fuzz/; each
# harness replays its regression inputs (tests/fuzz/regressions/NAME/: every
# crash ever found, kept) and then fuzzes for SPP_FUZZ_SECONDS (default 20)
# from its seed corpus (tests/fuzz/corpus/NAME/, plus shared/vectors/events
# for the event adapters, and for the DWARF reader every sample program
# compiled here with g++ -g -O0), working on a copy so the repository is not
# written. `make test` fuzzes 10 s per harness; CI runs `make fuzz`, longer. A crash leaves its input in build/fuzz/artifacts/NAME/: fix the
# bug, then copy the input into the regressions directory.
# Ends with "N passed, M failed" (one per harness); exits 77 without clang's
# libFuzzer runtime (scripts/install-deps.sh installs it).
set -u
cd "$(dirname "$0")/../.."
# Seeds from ../shared when it is next to the repository, else the copy in
# tests/data/shared (as tests/run_all.sh does): a clone anywhere fuzzes the
# same corpus, so what CI finds is found here too.
if [ -z "${SPP_SHARED_DIR:-}" ]; then
    if [ -d ../shared/programs ] && [ -d ../shared/vectors ]; then
        SPP_SHARED_DIR=../shared
    else
        SPP_SHARED_DIR=tests/data/shared
    fi
fi
secs="${SPP_FUZZ_SECONDS:-10}"
out=build/fuzz
CC_FUZZ="${CC_FUZZ:-clang}"
FLAGS=(-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
       -fno-sanitize-recover=undefined -D_GNU_SOURCE -I. -I/usr/include/libdwarf
       "-DSPP_VERSION=\"fuzz\"")
LIBS=(-ldwarf -lelf -lz -lcjson -lcurl -lcrypto -lmicrohttpd -lseccomp -lexpat -lpthread -lm)

if ! command -v "$CC_FUZZ" >/dev/null ||
   ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n){return 0;}' |
     "$CC_FUZZ" -x c - -fsanitize=fuzzer -o /dev/null 2>/dev/null; then
    echo "skip: no clang with libFuzzer (apt-get install clang libclang-rt-14-dev)"
    echo "0 passed, 0 failed"
    exit 77
fi

mkdir -p "$out/obj" "$out/artifacts"
# The library, instrumented for coverage; every *.c but the entry points.
objs=()
jobs_max=$(nproc 2>/dev/null || echo 2)
for src in dwarf/*.c tracer/*.c targets/*/*.c run/*.c lambda/*.c cmd/*.c; do
    case "$src" in *_main.c) continue ;; esac
    o="$out/obj/${src//\//_}.o"
    if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ -n "$(find dwarf tracer targets run lambda cmd -name '*.h' -newer "$o" | head -1)" ]; then
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
        "$CC_FUZZ" "${FLAGS[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$o" || rm -f "$o" &
    fi
    objs+=("$o")
done
wait
for o in "${objs[@]}"; do
    [ -f "$o" ] || { echo "!! cannot build ${o##*/}"; echo "0 passed, 1 failed"; exit 1; }
done
rm -f "$out/libspp-fuzz.a"
ar rcs "$out/libspp-fuzz.a" "${objs[@]}"

# Seeds for the DWARF reader: each sample program as the tracer compiles it
# (main.c or main.cpp, -g -O0), so the index finds its compile unit.
compile_programs() {
    local dst="$1" src work n=0
    work=$(mktemp -d) || return
    for src in "${SPP_PROGRAMS:-$SPP_SHARED_DIR/programs}"/*.c "${SPP_PROGRAMS:-$SPP_SHARED_DIR/programs}"/*.cpp; do
        [ -f "$src" ] || continue
        local ext=${src##*.} cc=gcc
        [ "$ext" = cpp ] && cc=g++
        cp "$src" "$work/main.$ext"
        (cd "$work" && "$cc" -g -O0 -o "prog" "main.$ext" 2>/dev/null) &&
            mv "$work/prog" "$dst/$(basename "$src" ."$ext")" && n=$((n + 1))
    done
    rm -rf "$work"
    echo "dwarf corpus: $n sample programs compiled"
}

pass=0
fail=0
for harness in tests/fuzz/fuzz_*.c; do
    name=$(basename "$harness" .c)
    short=${name#fuzz_}
    bin="$out/$name"
    if ! "$CC_FUZZ" "${FLAGS[@]}" -fsanitize=fuzzer "$harness" "$out/libspp-fuzz.a" "${LIBS[@]}" -o "$bin"; then
        echo "FAIL $name (does not build)"; fail=$((fail + 1)); continue
    fi
    regs="tests/fuzz/regressions/$short"
    if [ -d "$regs" ] && [ -n "$(ls -A "$regs")" ]; then
        if ! "$bin" -runs=0 "$regs"/* >"$out/$name.regressions.log" 2>&1; then
            echo "FAIL $name: a kept regression input crashes again"
            tail -20 "$out/$name.regressions.log"
            fail=$((fail + 1)); continue
        fi
    fi
    corpus=$(mktemp -d)
    [ -d "tests/fuzz/corpus/$short" ] && cp -r "tests/fuzz/corpus/$short/." "$corpus/"
    [ "$short" = events ] && [ -d "$SPP_SHARED_DIR/vectors/events" ] && cp "$SPP_SHARED_DIR"/vectors/events/*.json "$corpus/" 2>/dev/null
    [ "$short" = dwarf ] && compile_programs "$corpus"
    mkdir -p "$out/artifacts/$short"
    t0=$SECONDS
    # -timeout: one input running 30 s is a hang; 10 s was reached by a
    # 0.2 s input on a machine at load 16.
    "$bin" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/artifacts/$short/" "$corpus" >"$out/$name.log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$name.log" | grep -o '[0-9]*$')
    rm -rf "$corpus"
    if [ "$rc" -eq 0 ]; then
        echo "ok $name: ${runs:-?} runs in $((SECONDS - t0)) s, no crash"
        pass=$((pass + 1))
    else
        echo "FAIL $name (exit $rc): see $out/$name.log and $out/artifacts/$short/"
        grep -E "ERROR|runtime error|SUMMARY" "$out/$name.log" | head -5
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
