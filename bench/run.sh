#!/usr/bin/env bash
# make bench: spp-trace against g++ + valgrind and See++'s pipeline, as Lambda
# and as an always-on server; writes bench/results/<date>.{md,json,svg}.
# Arguments go to bench/bench.py (make bench BENCH_ARGS=--quick).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/bench.py "$@"
