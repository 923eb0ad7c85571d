#!/usr/bin/env bash
# Installs what building and testing spp-trace needs on Debian 12.
# Kept in step by hand with lambda/Dockerfile (Amazon Linux 2023).
set -euo pipefail
pkgs=(build-essential binutils pkg-config
      libdwarf-dev libelf-dev zlib1g-dev libcjson-dev libcurl4-openssl-dev libssl-dev
      libmicrohttpd-dev libseccomp-dev libexpat1-dev
      valgrind clang curl
      libclang-rt-14-dev) # libFuzzer for tests/sh/test_fuzz.sh (clang only recommends it)
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
