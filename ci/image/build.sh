#!/usr/bin/env bash
# Builds the `kube-sa:dev` image (or the tag given as $1) from the release binary, from
# the debug one with KUBE_SA_IMAGE_PROFILE=debug, or, with KUBE_SA_IMAGE_BINARY=<path>,
# from a binary built already, such as the `target/debug/kube-sa` that `cargo test` builds
# (CI's container suites use that: `cargo build` resolves the dependencies' features
# without the dev-dependencies, so it would build most of them a second time). Needs only
# cargo and a Docker engine: the base is `scratch`, nothing is pulled. The image is
# labelled with the digest of the sources (source-digest.sh), so that the test suites
# refuse a stale `kube-sa:dev`.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tag=${1:-kube-sa:dev}
profile=${KUBE_SA_IMAGE_PROFILE:-release}
cd "$top"
if [ -n "${KUBE_SA_IMAGE_BINARY:-}" ]; then
  binary=$KUBE_SA_IMAGE_BINARY
  [ -x "$binary" ] || { echo "$0: KUBE_SA_IMAGE_BINARY=$binary is not an executable file" >&2; exit 2; }
  profile="binary $binary"
else
  case "$profile" in
    release) cargo build --release --bin kube-sa ;;
    debug) cargo build --bin kube-sa ;;
    *) echo "$0: KUBE_SA_IMAGE_PROFILE must be release or debug, not $profile" >&2; exit 2 ;;
  esac
  binary=target/$profile/kube-sa
fi
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
