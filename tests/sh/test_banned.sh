#!/usr/bin/env bash
# No banned call (style.md) in the project's own C (scripts/check-banned.sh):
# the tree as it is passes; a copy of it with one banned call added fails,
# naming the file, the line and the call - in a layer, in tracer/rt, in a
# unit test, in bench/; a name that only contains a banned one (snprintf,
# fgets, strtok_r), a banned name in a comment or a string, and a banned
# call in a traced program (tests/hostile) pass. Each case works on its own
# copy in a temporary directory, removed at the end whatever happens.
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_cases.sh banned

# A fresh copy of the checked folders (and a traced program's) in $tmp/NAME.
copy() {
    mkdir -p "$tmp/$1/tests"
    cp -r dwarf tracer targets run lambda cmd bench "$tmp/$1"/
    cp -r tests/unit tests/fuzz tests/support tests/hostile "$tmp/$1/tests"/
}

# add NAME FILE TEXT: FILE in a fresh copy gets TEXT (C, may span lines)
# at its end; prints the check's output, returns its exit status.
add() {
    copy "$1"
    printf '%b\n' "$3" >>"$tmp/$1/$2"
    bash scripts/check-banned.sh "$tmp/$1" 2>&1
}

# bad NAME FILE TEXT EXPECTED: the check must fail and say EXPECTED.
bad() {
    local out rc
    out=$(add "$1" "$2" "$3")
    rc=$?
    failed "$1" "$4" "$rc" "$out"
}

# good NAME FILE TEXT: the check passes.
good() {
    local out rc
    out=$(add "$1" "$2" "$3")
    rc=$?
    passed "$1" 'none calls a banned function' "$rc" "$out"
}

out=$(bash scripts/check-banned.sh . 2>&1)
passed "the tree passes" 'none calls a banned function' $? "$out"

lines() { wc -l <"$1"; }
bad strcpy tracer/enc_text.c 'static void f(char *d) { strcpy(d, "x"); }' \
    "tracer/enc_text.c:$(($(lines tracer/enc_text.c) + 1)): strcpy(): banned"
bad atoi_in_rt tracer/rt/sppmon.c 'static int g(const char *s) { return atoi (s); }' \
    "tracer/rt/sppmon.c:$(($(lines tracer/rt/sppmon.c) + 1)): atoi(): banned"
bad sprintf_in_a_unit_test tests/unit/vg_decode.c '/* two */\nstatic void h(char *b)\n{\n    sprintf(b, "%d", 1);\n}' \
    "tests/unit/vg_decode.c:$(($(lines tests/unit/vg_decode.c) + 4)): sprintf(): banned"
bad alloca_in_bench "$(cd bench && ls ./*.c | head -1 | sed 's|^\./|bench/|')" 'static void *k(void) { return alloca(8); }' \
    "alloca(): banned"
bad two_on_one_line lambda/handler.c 'static void m(char *a) { strcat(a, "b"); gets(a); }' \
    "gets(): banned"
good bounded_names tracer/value.c 'static void n(char *b, char **s) { snprintf(b, 2, "x"); fgets(b, 2, 0); strtok_r(b, " ", s); }'
good in_comments_and_strings run/run.c '/* strcpy(a, b) is banned; so is\n   atoi(s) */\n// sprintf(b, "x")\nstatic const char *doc = "alloca(n) and gets(s)";'
good traced_programs_may tests/hostile/fork_bomb.c 'static void p(char *d) { strcpy(d, "x"); }'

summary
