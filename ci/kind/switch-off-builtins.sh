#!/usr/bin/env bash
# Switches off the built-in service-account parts of a running kind (or kubeadm) control
# plane, once kube-sa runs from deploy/ and answers:
#   kube-apiserver:          --disable-admission-plugins=ServiceAccount
#   kube-controller-manager: --controllers=...,-serviceaccount-token,-serviceaccount,
#                            -root-ca-cert-publisher,-legacy-serviceaccount-token-cleaner
# The kubelet restarts both static pods when their manifests change.
#
# Not at cluster creation: pods made before kube-sa's webhook runs (kube-proxy, CoreDNS,
# kube-sa's own) would get no token, and without kube-proxy no pod reaches the API.
#
# usage: ci/kind/switch-off-builtins.sh [NODE]   (default kube-sa-control-plane;
#        NODE is a container name, or "local" to edit /etc/kubernetes/manifests here)
set -euo pipefail
node=${1:-kube-sa-control-plane}
manifests=/etc/kubernetes/manifests
on_node() { if [ "$node" = local ]; then bash -c "$1"; else docker exec "$node" bash -c "$1"; fi; }

on_node "grep -q -- '--disable-admission-plugins=ServiceAccount' $manifests/kube-apiserver.yaml ||
  sed -i 's|^\(\s*\)- kube-apiserver$|&\n\1- --disable-admission-plugins=ServiceAccount|' $manifests/kube-apiserver.yaml"
on_node "grep -q -- '-serviceaccount-token' $manifests/kube-controller-manager.yaml ||
  sed -i 's|^\(\s*- --controllers=.*\)$|\1,-serviceaccount-token,-serviceaccount,-root-ca-cert-publisher,-legacy-serviceaccount-token-cleaner|' $manifests/kube-controller-manager.yaml"
on_node "grep -n -- '--disable-admission-plugins\|--controllers=' $manifests/kube-apiserver.yaml $manifests/kube-controller-manager.yaml"
