#!/usr/bin/env bash
# check-banned.sh [ROOT] - no call of a function style.md bans (strcpy,
# strcat, sprintf, vsprintf, gets, strtok, atoi, atol, atoll, alloca) in
# the project's own C: the layers, bench/ and the tests' own code
# (tests/unit, tests/fuzz, tests/support). The programs the tests trace
# (tests/programs, tests/hostile) are students' and attackers' code and
# may call anything. Comments and string literals are not code: they are
# blanked first (lines kept, so the line numbers are the file's).
# Prints FILE:LINE: the call, and exits 1; exits 0 with a summary line.
# Run by `make lint` (scripts/lint.sh); tests/sh/test_lint.sh proves it
# fails.
set -u
cd "${1:-.}" || exit 2
banned='strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|alloca'
status=0
n=0
while IFS= read -r f; do
    n=$((n + 1))
    hits=$(perl -0777 -ne '
        # blank comments and string/char literals, keeping newlines
        s{(/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'"'"'(?:\\.|[^'"'"'\\\n])*'"'"')}
         { (my $k = $1) =~ s/[^\n]/ /g; $k }gse;
        my $line = 1;
        for (split /\n/, $_, -1) {
            print "$line: $1()\n" while /(?<![A-Za-z0-9_])('"$banned"')\s*\(/g;
            $line++;
        }' "$f")
    if [ -n "$hits" ]; then
        sed "s|^|$f:|; s|()\$|(): banned (style.md); use the bounded form|" <<<"$hits"
        status=1
    fi
done < <(find dwarf tracer targets run lambda cmd bench tests/unit tests/fuzz tests/support \
              -name '*.[ch]' 2>/dev/null | sort)
[ $status -eq 0 ] && echo "check-banned: $n files, none calls a banned function"
exit $status
