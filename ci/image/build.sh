#!/usr/bin/env bash
# Builds the `kube-sa:dev` image (or the tag given as $1) from the release binary.
# Needs only cargo and a Docker engine: the base is `scratch`, nothing is pulled.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tag=${1:-kube-sa:dev}
cd "$top"
cargo build --release --bin kube-sa
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
rootfs="$context/rootfs"
mkdir -p "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
cp target/release/kube-sa "$rootfs/kube-sa"
# The dynamic loader and every library the binary links, at the same paths.
for lib in $(ldd target/release/kube-sa | grep -o '/[^ ]*'); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
cp ci/image/Dockerfile "$context/Dockerfile"
docker build --quiet -t "$tag" "$context" >/dev/null
echo "built $tag"
