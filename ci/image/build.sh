#!/usr/bin/env bash
# Builds the `kube-sa:dev` image (or the tag given as $1) from the release binary, or from
# the debug one with KUBE_SA_IMAGE_PROFILE=debug (no second build where the tests have
# built it already: CI's container suites use it). Needs only cargo and a Docker engine:
# the base is `scratch`, nothing is pulled. The image is labelled with the digest of the
# sources (source-digest.sh), so that the test suites refuse a stale `kube-sa:dev`.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tag=${1:-kube-sa:dev}
profile=${KUBE_SA_IMAGE_PROFILE:-release}
cd "$top"
case "$profile" in
  release) cargo build --release --bin kube-sa ;;
  debug) cargo build --bin kube-sa ;;
  *) echo "$0: KUBE_SA_IMAGE_PROFILE must be release or debug, not $profile" >&2; exit 2 ;;
esac
binary=target/$profile/kube-sa
digest=$(ci/image/source-digest.sh)
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
rootfs="$context/rootfs"
mkdir -p "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
cp "$binary" "$rootfs/kube-sa"
# The dynamic loader and every library the binary links, at the same paths.
for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
cp ci/image/Dockerfile "$context/Dockerfile"
docker build --quiet --label "dev.kube-sa.source-digest=$digest" -t "$tag" "$context" >/dev/null
echo "built $tag ($profile)"
