#!/usr/bin/env bash
# check-source.sh [ROOT] - a rule about the project's own C sources (dwarf
# tracer targets run lambda cmd) that a script can see: a file past 800
# lines says in its opening comment why it is one file, recognised by the
# words "One file" there (the project's rule: "a file past ~800 lines says in
# its header why it is one file"; split it along a real seam otherwise).
# Prints one line per violation and exits 1; exits 0 with a summary line.
# Run by `make lint` (scripts/lint.sh).
set -u
cd "${1:-.}" || exit 2
status=0
n=0
while IFS= read -r f; do
    n=$((n + 1))
    lines=$(wc -l < "$f")
    if [ "$lines" -gt 800 ] && ! sed -n '1,/\*\//p' "$f" | grep -q "One file"; then
        echo "$f: $lines lines and its header does not say why it is one file (\"One file ...\")"
        status=1
    fi
done < <(find dwarf tracer targets run lambda cmd -name '*.[ch]' | sort)
[ $status -eq 0 ] && echo "check-source: $n files, each past 800 lines says why it is one file"
exit $status
