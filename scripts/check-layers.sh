#!/usr/bin/env bash
# check-layers.sh [ROOT] - the include graph of the C sources points down.
#
# Each line of ORDER below is one layer, bottom first; folders on one line
# sit side by side. A file may include headers of its own folder and of
# folders on lower lines only: never a folder above it, never a sibling
# (the targets do not know each other). With a strict order like this no
# folder-level cycle can exist, since a cycle needs an edge that does not
# point down. DENY adds edges that point down but are still not wanted.
# Every folder holding a .c or .h must be named here, so a new folder is a
# decision, not an accident; include paths are written from the repository
# root ("tracer/target.h"), which is what makes them checkable.
#
# Prints one line per violation and exits 1; exits 0 with a summary line.
# Run by `make lint` (scripts/lint.sh) and tests/sh/test_layers.sh.
set -u
shopt -s nullglob
cd "${1:-.}" || exit 2

ORDER=(
    "dwarf tracer/rt"   # DWARF index (knows no processes); the runtime linked into programs
    "tracer"            # target.h, stepper, values, trace model, encoders, compile, sandbox
    "targets/*"         # one folder per target, side by side behind tracer/target.h
    "run"               # engine choice, memcheck pairing, request -> result
    "lambda"            # HTTP, AWS Lambda runtime, cache (knows no DWARF)
    "cmd"               # the process entry points and the command line
)
DENY=(
    "lambda dwarf"      # lambda/ works on requests and responses, never on a program's DWARF
)

declare -A level
names=()
for i in "${!ORDER[@]}"; do
    line=""
    for pat in ${ORDER[$i]}; do
        for d in $pat; do
            [ -d "$d" ] || continue
            level[$d]=$i
            line+="${line:+ }$d"
        done
    done
    names+=("$line")
done
order_text=$(IFS='<'; echo "${names[*]}" | sed 's/</ < /g')

bad=0
nfiles=0
fail() {
    echo "$1"
    bad=$((bad + 1))
}

while IFS= read -r f; do
    f=${f#./}
    dir=${f%/*}
    [ "$dir" = "$f" ] && dir=.
    nfiles=$((nfiles + 1))
    if [ -z "${level[$dir]+x}" ]; then
        fail "$f: folder $dir/ is not in the layer order of scripts/check-layers.sh (add it where it belongs)"
        continue
    fi
    from=${level[$dir]}
    while IFS=: read -r ln inc; do
        [ -n "$ln" ] || continue
        to_dir=${inc%/*}
        if [ "$to_dir" = "$inc" ]; then
            fail "$f:$ln: #include \"$inc\": write include paths from the repository root (\"folder/file.h\")"
            continue
        fi
        [ "$to_dir" = "$dir" ] && continue
        if [ -z "${level[$to_dir]+x}" ]; then
            fail "$f:$ln: #include \"$inc\": folder $to_dir/ is not in the layer order of scripts/check-layers.sh"
            continue
        fi
        to=${level[$to_dir]}
        if [ "$to" -gt "$from" ]; then
            fail "$f:$ln: #include \"$inc\": $dir/ may not include $to_dir/, a layer above it ($order_text)"
        elif [ "$to" -eq "$from" ]; then
            fail "$f:$ln: #include \"$inc\": $dir/ and $to_dir/ sit side by side and may not include each other"
        else
            for pair in "${DENY[@]}"; do
                if [ "$pair" = "$dir $to_dir" ]; then
                    fail "$f:$ln: #include \"$inc\": $dir/ may not include $to_dir/ (DENY in scripts/check-layers.sh)"
                fi
            done
        fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
             sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/')
done < <(find . \( -path ./tests -o -path ./bench -o -path ./build -o -path "./build-*" -o -path ./examples \
                   -o -path ./.git \) -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print |
         sort)

if [ "$bad" -gt 0 ]; then
    echo "check-layers: $bad include(s) break the layer order ($order_text)"
    exit 1
fi
if [ "$nfiles" -eq 0 ]; then
    echo "check-layers: no C sources found under $(pwd)"
    exit 1
fi
echo "check-layers: $nfiles files, every include points down ($order_text)"
