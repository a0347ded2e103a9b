#!/usr/bin/env bash
# Makes what deploy/ needs and no manifest can carry, in the cluster kubectl points at:
#   * kube-sa-webhook-tls: a serving certificate for kube-sa-webhook.<namespace>.svc, signed
#     by a CA made here (openssl; no cert-manager), and that CA as the
#     MutatingWebhookConfiguration's caBundle;
#   * kube-sa-service-account-key: the private key the controller-manager signs legacy
#     Secret tokens with, which must be the one kube-apiserver's
#     --service-account-key-file verifies (kubeadm and kind: /etc/kubernetes/pki/sa.key);
#   * kube-root-ca.crt in the namespace, when no publisher has made it yet, so that the
#     components' own token volumes mount (the cluster CA of the current kubeconfig).
# Run after `kubectl apply -k deploy/`; running it again makes a new certificate.
set -euo pipefail

usage() {
  echo "usage: $0 --service-account-key-file PEM [--namespace kube-sa-system] [--kubectl kubectl]" >&2
  exit 2
}
namespace=kube-sa-system
kubectl=${KUBECTL:-kubectl}
sa_key=""
while [ $# -gt 0 ]; do
  case "$1" in
    --service-account-key-file) sa_key=${2:-}; shift 2 || usage ;;
    --service-account-key-file=*) sa_key=${1#*=}; shift ;;
    --namespace) namespace=${2:-}; shift 2 || usage ;;
    --namespace=*) namespace=${1#*=}; shift ;;
    --kubectl) kubectl=${2:-}; shift 2 || usage ;;
    --kubectl=*) kubectl=${1#*=}; shift ;;
    *) usage ;;
  esac
done
[ -n "$sa_key" ] || usage
[ -r "$sa_key" ] || { echo "$0: cannot read --service-account-key-file $sa_key" >&2; exit 1; }
command -v openssl >/dev/null || { echo "$0: openssl is needed to make the webhook certificate" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
service=kube-sa-webhook.$namespace.svc

# The CA and the serving certificate (ECDSA P-256, as kubeadm's own certificates may be).
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$work/ca.key" -out "$work/ca.crt" -days 3650 \
  -subj "/CN=kube-sa-webhook-ca" 2>/dev/null
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$work/tls.key" -out "$work/tls.csr" -subj "/CN=$service" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' \
  "$service" "$service" >"$work/ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -CAcreateserial -days 825 -extfile "$work/ext" -out "$work/tls.crt" 2>/dev/null

"$kubectl" create secret tls kube-sa-webhook-tls -n "$namespace" \
  --cert="$work/tls.crt" --key="$work/tls.key" --dry-run=client -o yaml | "$kubectl" apply -f -
"$kubectl" create secret generic kube-sa-service-account-key -n "$namespace" \
  --from-file=sa.key="$sa_key" --dry-run=client -o yaml | "$kubectl" apply -f -

if ! "$kubectl" get configmap kube-root-ca.crt -n "$namespace" >/dev/null 2>&1; then
  "$kubectl" config view --raw --minify \
    -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$work/cluster-ca.crt"
  if [ ! -s "$work/cluster-ca.crt" ]; then
    ca_file=$("$kubectl" config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority}')
    [ -n "$ca_file" ] && cp "$ca_file" "$work/cluster-ca.crt"
  fi
  [ -s "$work/cluster-ca.crt" ] || { echo "$0: the current kubeconfig names no cluster CA for kube-root-ca.crt" >&2; exit 1; }
  "$kubectl" create configmap kube-root-ca.crt -n "$namespace" --from-file=ca.crt="$work/cluster-ca.crt"
fi

ca_bundle=$(base64 <"$work/ca.crt" | tr -d '\n')
"$kubectl" patch mutatingwebhookconfiguration kube-sa-serviceaccount --type=json \
  -p "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$ca_bundle\"}]"
