#!/usr/bin/env bash
# make bench: measure spp-trace against the plain g++ + valgrind pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/bench.py "$@"
