#!/usr/bin/env bash
# Regenerates ../src/apiserver/kubernetes.binpb, the descriptor set the API server decodes
# protobuf request bodies with, from the upstream generated.proto files below
# (k8s.io/api and k8s.io/apimachinery v1.35, Apache-2.0; package names and import paths
# as upstream's). core/v1, authentication/* and apimachinery are taken from the k8s-rs-pb
# crate's copy, of admissionregistration/v1 only the webhook configuration messages (its
# ValidatingAdmissionPolicy messages are written out from upstream's definitions);
# authorization/v1 and rbac/v1 are written out from upstream's message definitions,
# without their comments. apps/v1 (Deployment, DaemonSet, ReplicaSet, StatefulSet,
# ControllerRevision), autoscaling/v2, batch/v1, certificates/v1, coordination/v1,
# discovery/v1, events/v1, flowcontrol/v1, networking/v1, node/v1, policy/v1,
# scheduling/v1 and storage/v1 are written for this project with upstream's message and
# field names, numbers, types and `+optional` markers.
#
# Comments are dropped except the `+optional` markers, which the decoder reads to tell a
# required field (Go: no `omitempty`) from an optional one. Needs protoc (Debian:
# protobuf-compiler).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=(
  k8s.io/api/core/v1/generated.proto
  k8s.io/api/apps/v1/generated.proto
  k8s.io/api/autoscaling/v2/generated.proto
  k8s.io/api/batch/v1/generated.proto
  k8s.io/api/certificates/v1/generated.proto
  k8s.io/api/coordination/v1/generated.proto
  k8s.io/api/discovery/v1/generated.proto
  k8s.io/api/events/v1/generated.proto
  k8s.io/api/flowcontrol/v1/generated.proto
  k8s.io/api/networking/v1/generated.proto
  k8s.io/api/node/v1/generated.proto
  k8s.io/api/policy/v1/generated.proto
  k8s.io/api/scheduling/v1/generated.proto
  k8s.io/api/storage/v1/generated.proto
  k8s.io/api/authentication/v1/generated.proto
  k8s.io/api/authentication/v1beta1/generated.proto
  k8s.io/api/authentication/v1alpha1/generated.proto
  k8s.io/api/authorization/v1/generated.proto
  k8s.io/api/rbac/v1/generated.proto
  k8s.io/api/admissionregistration/v1/generated.proto
  k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
  k8s.io/apimachinery/pkg/runtime/generated.proto
  k8s.io/apimachinery/pkg/runtime/schema/generated.proto
  k8s.io/apimachinery/pkg/api/resource/generated.proto
  k8s.io/apimachinery/pkg/util/intstr/generated.proto
)
for f in "${files[@]}"; do
  mkdir -p "$work/$(dirname "$f")"
  # Keep `// +optional` lines, drop every other line comment.
  sed -E '/^[[:space:]]*\/\/[[:space:]]*\+optional[[:space:]]*$/!{/^[[:space:]]*\/\//d}' \
    "$here/$f" >"$work/$f"
done
(cd "$work" && protoc --include_source_info --descriptor_set_out="$here/../src/apiserver/kubernetes.binpb" "${files[@]}")
