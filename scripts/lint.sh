#!/usr/bin/env bash
# lint.sh - every rule a script can check (style.md: "Any rule a script can
# check is checked by a script"). `make lint` runs it; add a check as one
# more line below. Exits non-zero when any check fails.
set -u
cd "$(dirname "$0")/.."
status=0
bash scripts/check-layers.sh . || status=1
bash scripts/check-source.sh . || status=1
bash scripts/check-banned.sh . || status=1
exit $status
