#!/usr/bin/env bash
# Validates template.yaml (AWS SAM) offline with cfn-lint, which also runs the
# SAM translator, so a malformed Serverless resource fails here too.
# Prints "1 passed, 0 failed" or "0 passed, 1 failed" (tests/run_all.sh adds
# these up); exits 0, 1, or 77 when cfn-lint is not installed.
set -u
cd "$(dirname "$0")/../.."
if ! command -v cfn-lint >/dev/null 2>&1; then
    echo "skip: cfn-lint is not installed"
    echo "0 passed, 0 failed"
    exit 77
fi
if out=$(cfn-lint template.yaml 2>&1); then
    echo "ok cfn-lint template.yaml"
    echo "1 passed, 0 failed"
    exit 0
fi
printf '%s\n' "$out"
echo "FAIL cfn-lint template.yaml"
echo "0 passed, 1 failed"
exit 1
