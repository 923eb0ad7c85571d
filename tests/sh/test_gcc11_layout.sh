#!/usr/bin/env bash
# gcc 11's libstdc++ (Amazon Linux 2023) must read as gcc 12's (Debian 12):
# the value reader finds every library layout by DWARF member names, never
# by offsets. Runs tests/e2e/test_cxx.py with g++-11 and gcc-11 standing in
# for /usr/bin/g++ and /usr/bin/gcc inside a private mount namespace, so
# nothing outside this script sees the swap, and with a PCH directory of its
# own. Checks first that the traced program was really built by gcc 11.
# Skips (exit 77, saying why) without g++-11 or without the right to make a
# mount namespace.
set -u
cd "$(dirname "$0")/../.."
skip() { echo "skip: $1"; echo "0 passed, 0 failed"; exit 77; }
[ -x /usr/bin/g++-11 ] && [ -x /usr/bin/gcc-11 ] || skip "g++-11 is not installed (apt-get install g++-11)"
unshare -m --propagation private true 2>/dev/null || skip "cannot create a mount namespace (needs root)"
work=$(mktemp -d)
chmod 755 "$work" # the compiler may run as another user (sandbox)
trap 'rm -rf "$work"' EXIT
printf 'int main() {\n    return __GNUC__;\n}\n' > "$work/version.cpp"
unshare -m --propagation private bash -c '
    set -u
    mount --bind /usr/bin/g++-11 /usr/bin/g++ && mount --bind /usr/bin/gcc-11 /usr/bin/gcc || exit 1
    export SPP_PCH_DIR="$1/pch" XDG_CACHE_HOME="$1/cache"
    mkdir -p "$SPP_PCH_DIR"
    major=$(build/spp-trace --no-cache --format response "$1/version.cpp" |
            python3 -c "import json, sys; print(json.load(sys.stdin)[\"exitCode\"])")
    if [ "$major" != 11 ]; then
        echo "FAIL the program was built by gcc $major, not 11"
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "ok built by gcc 11"
    exec python3 tests/e2e/test_cxx.py
' _ "$work"
