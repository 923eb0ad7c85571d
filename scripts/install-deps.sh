#!/usr/bin/env bash
# Installs Debian 12 packages from lists in scripts/ (one package a line,
# '#' comments): by default what building and testing spp-trace needs,
# packages-runtime.txt, packages-build.txt and packages-dev.txt. The Lambda
# image (lambda/Dockerfile) installs the first two from the same files, so
# the two cannot drift. `make image` passes packages-image.txt.
#   scripts/install-deps.sh [LIST...]
set -euo pipefail
cd "$(dirname "$0")"
[ $# -gt 0 ] || set -- packages-runtime.txt packages-build.txt packages-dev.txt
mapfile -t pkgs < <(sed 's/#.*//' "$@" | xargs -n1)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
