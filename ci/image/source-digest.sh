#!/usr/bin/env bash
# Prints the digest of the sources the kube-sa binary is built from (Cargo.toml,
# Cargo.lock, src/): SHA-256 over each file's path, a NUL byte and its contents, in byte
# order of the paths. build.sh labels the image with it; the container backends compute
# the same in harness/backends/source_digest.rs and refuse a `kube-sa:dev` built from
# other sources.
set -euo pipefail
cd "$(dirname "$0")/../.."
{ printf '%s\n' Cargo.toml Cargo.lock; find src -type f; } | LC_ALL=C sort |
  while IFS= read -r f; do printf '%s\0' "$f"; cat "$f"; done | sha256sum | cut -d' ' -f1
