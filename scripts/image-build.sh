#!/usr/bin/env bash
# scripts/image-build.sh - `make image`: builds the Lambda image from
# lambda/Dockerfile with podman, from Debian's packages only.
#
# No container registry is reachable here, so the base is made on this
# machine: a Debian 12 minbase root file system from mmdebstrap, imported
# as $SPP_IMAGE_BASE (made once, reused; SPP_IMAGE_REBASE=1 makes it anew).
# Prints the image's size. Needs root (podman's root storage).
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTAINERS_CONF="$PWD/scripts/containers.conf"
IMAGE=${SPP_IMAGE:-localhost/spp-trace:latest}
BASE=${SPP_IMAGE_BASE:-localhost/spp-debian:bookworm}
MIRROR=${SPP_DEBIAN_MIRROR:-http://deb.debian.org}

if [ "$(id -u)" -ne 0 ]; then
    echo "image-build: run as root (or with sudo): podman keeps the image in root's storage" >&2
    exit 2
fi
bash scripts/install-deps.sh packages-image.txt

if [ -n "${SPP_IMAGE_REBASE:-}" ] || ! podman image exists "$BASE"; then
    echo "image-build: making the base $BASE with mmdebstrap"
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    # merged-usr hook: /usr merged without the usrmerge package (and perl);
    # dpkg-slim.cfg: as in the Dockerfile. Like Debian's bookworm-slim.
    if ! mmdebstrap --variant=minbase --quiet bookworm - \
            --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
            --dpkgopt=scripts/dpkg-slim.cfg \
            "deb $MIRROR/debian bookworm main" \
            "deb $MIRROR/debian bookworm-updates main" \
            "deb $MIRROR/debian-security bookworm-security main" 2>"$log" \
            | podman import --quiet --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null; then
        tail -n 30 "$log" >&2
        echo "image-build: could not make the base image $BASE (mmdebstrap's log above)" >&2
        exit 1
    fi
fi

# --network host: apt in the build reaches Debian's mirror as this machine
# does. The ulimits stay under the machine's hard limits.
nice podman build --quiet --network host --pull=never \
    --ulimit nofile=8192:8192 --ulimit nproc=8192:8192 \
    --build-arg BASE="$BASE" -f lambda/Dockerfile -t "$IMAGE" . >/dev/null
podman image prune -f >/dev/null   # the build stage's dangling layers

size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "image-build: $IMAGE built, $((size / 1048576)) MiB uncompressed"
