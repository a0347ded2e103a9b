#!/usr/bin/env python3
"""Writes the seed corpus, corpus/<target>/seed-*, from the fixture keys in fixtures/.

Tokens are signed as kube-sa signs them (RS256/ES256, `kid` = unpadded base64url of
SHA-256 over the key's PKIX DER) and are valid at the fake clock's time the targets run
on (2026-01-01T00:00:00Z). The first byte of a seed is the target's variant selector
(see src/lib.rs). Rerun after changing a fixture: `python3 make-seeds.py`.
"""

import base64
import hashlib
import json
import os
import subprocess

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
ISSUER = "https://kubernetes.default.svc.cluster.local"
NOW = 1_767_225_600
NS = "default"
SA_UID = "11111111-1111-1111-1111-111111111111"
SECRET_UID = "22222222-2222-2222-2222-222222222222"
POD_UID = "33333333-3333-3333-3333-333333333333"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load(name):
    with open(os.path.join(HERE, "fixtures", name), "rb") as f:
        return f.read()


RSA = serialization.load_pem_private_key(load("sa-rsa.key"), None)
EC = serialization.load_pem_private_key(load("sa-ec.key"), None)


def kid(key):
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b64(hashlib.sha256(der).digest())


def sign(claims, key=RSA, with_kid=True, alg=None):
    alg = alg or ("RS256" if key is RSA else "ES256")
    header = {"alg": alg}
    if with_kid:
        header["kid"] = kid(key)
    signing_input = (
        b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64(json.dumps(claims, separators=(",", ":")).encode())
    )
    if key is RSA:
        sig = RSA.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(EC.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return signing_input + "." + b64(sig)


LEGACY = {
    "iss": "kubernetes/serviceaccount",
    "kubernetes.io/serviceaccount/namespace": NS,
    "kubernetes.io/serviceaccount/secret.name": "default-token-abcde",
    "kubernetes.io/serviceaccount/service-account.name": "default",
    "kubernetes.io/serviceaccount/service-account.uid": SA_UID,
    "sub": "system:serviceaccount:default:default",
}


def bound(pod=True, secret=False, node=False, exp=NOW + 3600):
    k8s = {"namespace": NS, "serviceaccount": {"name": "default", "uid": SA_UID}}
    if pod:
        k8s["pod"] = {"name": "web", "uid": POD_UID}
    if secret:
        k8s["secret"] = {"name": "default-token-abcde", "uid": SECRET_UID}
    if node:
        k8s["node"] = {"name": "node-1", "uid": "44444444-4444-4444-4444-444444444444"}
    return {
        "aud": [ISSUER],
        "exp": exp,
        "iat": NOW,
        "nbf": NOW,
        "iss": ISSUER,
        "jti": "55555555-5555-5555-5555-555555555555",
        "kubernetes.io": k8s,
        "sub": "system:serviceaccount:default:default",
    }


def pod(**spec):
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": NS, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec},
    }
    return body


def review(obj, operation="CREATE", version="admission.k8s.io/v1", old=None):
    request = {
        "uid": "66666666-6666-6666-6666-666666666666",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "requestResource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "web",
        "namespace": NS,
        "operation": operation,
        "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters"]},
        "object": obj,
        "oldObject": old,
        "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    }
    return {"apiVersion": version, "kind": "AdmissionReview", "request": request}


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def j(value):
    return json.dumps(value, separators=(",", ":"))


def pb(fields):
    """Protobuf wire bytes for [(field number, bytes or nested list)] (length-delimited)."""
    out = b""
    for number, value in fields:
        if isinstance(value, list):
            value = pb(value)
        elif isinstance(value, str):
            value = value.encode()
        out += varint(number << 3 | 2) + varint(len(value)) + value
    return out


def varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def main():
    # JWT authenticators: byte 0 bit 0 = mode (legacy authenticator), bit 1 = sign here.
    legacy_rsa = sign(LEGACY)
    write("jwt_legacy", "rs256-legacy-mode", b"\x00" + legacy_rsa.encode())
    write("jwt_legacy", "rs256-bound-mode", b"\x01" + legacy_rsa.encode())
    write("jwt_legacy", "es256-no-kid", b"\x00" + sign(LEGACY, EC, with_kid=False).encode())
    write("jwt_legacy", "alg-none", b"\x00" + (legacy_rsa.rsplit(".", 2)[0].replace(
        b64(j({"alg": "RS256", "kid": kid(RSA)}).encode()), b64(b'{"alg":"none"}')) + ".").encode())
    write("jwt_legacy", "bad-signature", b"\x01" + (legacy_rsa[:-4] + "AAAA").encode())
    write("jwt_legacy", "claims-legacy", b"\x02" + j(LEGACY).encode())
    write("jwt_legacy", "claims-bound-mode", b"\x03" + j(LEGACY).encode())
    write("jwt_bound", "pod-bound", b"\x00" + sign(bound()).encode())
    write("jwt_bound", "secret-bound", b"\x00" + sign(bound(pod=False, secret=True), EC).encode())
    write("jwt_bound", "expired", b"\x00" + sign(bound(exp=NOW - 3600)).encode())
    write("jwt_bound", "claims-pod", b"\x02" + j(bound()).encode())
    write("jwt_bound", "claims-node", b"\x02" + j(bound(pod=False, node=True)).encode())
    write("jwt_bound", "claims-secret", b"\x02" + j(bound(pod=False, secret=True)).encode())

    # Keys: the fixture PEMs and their DER forms, and a certificate.
    for name in ["sa-rsa.key", "sa-rsa.pub", "sa-ec.key", "sa-ec.pub"]:
        write("key_loading", name.replace(".", "-") + "-pem", load(name))
    write("key_loading", "bundle-pem", load("sa-rsa.pub") + load("sa-ec.pub"))
    pub = serialization.Encoding.DER, serialization.PublicFormat
    write("key_loading", "rsa-pkix-der", RSA.public_key().public_bytes(pub[0], pub[1].SubjectPublicKeyInfo))
    write("key_loading", "rsa-pkcs1-der", RSA.public_key().public_bytes(pub[0], pub[1].PKCS1))
    write("key_loading", "ec-pkix-der", EC.public_key().public_bytes(pub[0], pub[1].SubjectPublicKeyInfo))
    write("key_loading", "ec-pkcs8-der", EC.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    cert = subprocess.run(
        ["openssl", "req", "-x509", "-key", os.path.join(HERE, "fixtures", "sa-ec.key"),
         "-subj", "/CN=service-accounts", "-days", "3650", "-outform", "DER"],
        check=True, capture_output=True).stdout
    write("key_loading", "ec-certificate-der", cert)
    write("key_loading", "ec-certificate-pem", "-----BEGIN CERTIFICATE-----\n"
          + base64.encodebytes(cert).decode() + "-----END CERTIFICATE-----\n")

    # AdmissionReviews: byte 0 bit 0 = mode.
    for mode, prefix in [(0, "legacy"), (1, "bound")]:
        m = bytes([mode])
        write("admission_review", prefix + "-create", m + j(review(pod())).encode())
        write("admission_review", prefix + "-create-secret-volume", m + j(review(pod(
            serviceAccountName="default",
            volumes=[{"name": "t", "secret": {"secretName": "default-token-abcde"}}],
            imagePullSecrets=[{"name": "regcred"}]))).encode())
    write("admission_review", "legacy-update", b"\x00" + j(review(pod(), "UPDATE", old=pod())).encode())
    write("admission_review", "bound-v1beta1-no-automount", b"\x01" + j(review(
        pod(automountServiceAccountToken=False, initContainers=[{"name": "init", "image": "busybox"}]),
        version="admission.k8s.io/v1beta1")).encode())
    write("admission_review", "mirror-pod", b"\x00" + j(review({**pod(), "metadata": {
        "name": "web", "namespace": NS,
        "annotations": {"kubernetes.io/config.mirror": "x"}}})).encode())

    # Request bodies: byte 0 = media (0 JSON, 1 YAML, 2 protobuf) + 3 * kind (pod, sa, secret, ns).
    write("request_body", "pod-json", b"\x00" + j(pod(serviceAccountName="default")).encode())
    write("request_body", "pod-yaml", b"\x01" + (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
        "  - name: app\n    image: nginx\n    ports:\n    - containerPort: 80\n").encode())
    pod_pb = b"k8s\x00" + pb([(1, [(1, "v1"), (2, "Pod")]), (2, [
        (1, [(1, "web"), (3, NS)]),
        (2, [(2, [(1, "app"), (2, "nginx")]), (8, "default")])])])
    write("request_body", "pod-protobuf", b"\x02" + pod_pb)
    write("request_body", "serviceaccount-json", b"\x03" + j({
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder"},
        "secrets": [{"name": "builder-token"}], "automountServiceAccountToken": False}).encode())
    write("request_body", "serviceaccount-protobuf", b"\x05" + bytes.fromhex(
        "6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200380042001a002200"))
    write("request_body", "secret-yaml", b"\x07" + (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\n  annotations:\n"
        "    kubernetes.io/service-account.name: default\n"
        "type: kubernetes.io/service-account-token\nstringData:\n  a: b\n").encode())
    write("request_body", "secret-protobuf", b"\x08" + bytes.fromhex(
        "6b3873000a0c0a0276311206536563726574121d0a110a017312001a0022002a0032003800420012060a01611201621a001a002200"))
    write("request_body", "namespace-protobuf", b"\x0b" + bytes.fromhex(
        "6b3873000a0f0a02763112094e616d65737061636512190a110a017812001a0022002a0032003800420012001a020a001a002200"))

    # Patches: byte 0 = kind (0 Pod, 1 ServiceAccount, 2 Secret, 3 Namespace), then [original, patch].
    base = pod(serviceAccountName="default", volumes=[{"name": "data", "emptyDir": {}}])
    base["spec"]["containers"].append({"name": "sidecar", "image": "envoy", "env": [{"name": "A", "value": "1"}]})
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": NS},
          "secrets": [{"name": "default-token-abcde"}], "imagePullSecrets": [{"name": "regcred"}]}
    write("patch_json", "pod-ops", b"\x00" + j([base, [
        {"op": "add", "path": "/metadata/labels/tier", "value": "1"},
        {"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:1.28"},
        {"op": "remove", "path": "/spec/volumes/0"},
        {"op": "test", "path": "/spec/serviceAccountName", "value": "default"},
        {"op": "copy", "from": "/metadata/name", "path": "/metadata/labels/name"},
        {"op": "move", "from": "/metadata/labels/app", "path": "/metadata/labels/role"}]]).encode())
    write("patch_json", "sa-secrets", b"\x01" + j([sa, [
        {"op": "add", "path": "/secrets/-", "value": {"name": "other"}}]]).encode())
    write("patch_merge", "pod-labels", b"\x00" + j([base, {"metadata": {"labels": {"app": None, "tier": "1"}},
                                                          "spec": {"containers": [{"name": "app", "image": "x"}]}}]).encode())
    write("patch_merge", "sa-automount", b"\x01" + j([sa, {"automountServiceAccountToken": False, "secrets": None}]).encode())
    write("patch_strategic", "pod-containers", b"\x00" + j([base, {"spec": {
        "containers": [{"name": "sidecar", "image": "envoy:2"}, {"name": "new", "image": "busybox"}],
        "$setElementOrder/containers": [{"name": "new"}, {"name": "app"}, {"name": "sidecar"}],
        "volumes": [{"name": "data", "$patch": "delete"}]}}]).encode())
    write("patch_strategic", "pod-retain-keys", b"\x00" + j([base, {"spec": {
        "volumes": [{"name": "data", "configMap": {"name": "c"}, "$retainKeys": ["configMap", "name"]}]}}]).encode())
    write("patch_strategic", "pod-replace", b"\x00" + j([base, {"metadata": {"$patch": "replace", "name": "web"},
        "$deleteFromPrimitiveList/finalizers": ["a"]}]).encode())
    write("patch_strategic", "sa-secrets", b"\x01" + j([sa, {"secrets": [{"name": "other"}],
        "imagePullSecrets": [{"$patch": "delete", "name": "regcred"}]}]).encode())
    applied = pod(serviceAccountName="default")
    write("patch_apply", "create", b"\x00" + j([None, applied]).encode())
    existing = {**base, "metadata": {**base["metadata"], "uid": POD_UID, "resourceVersion": "5",
        "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
            "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}},
                         "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {}}}}}},
            {"manager": "other", "operation": "Update", "apiVersion": "v1",
             "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:spec": {"f:serviceAccountName": {}}}}]}}
    write("patch_apply", "update-conflict", b"\x00" + j([existing, {**applied, "spec": {**applied["spec"], "serviceAccountName": "builder"}}]).encode())
    write("patch_apply", "update-force", b"\x04" + j([existing, {**applied, "spec": {**applied["spec"], "serviceAccountName": "builder"}}]).encode())
    write("patch_apply", "sa", b"\x01" + j([sa, {"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "default"}, "automountServiceAccountToken": False}]).encode())

    # Selectors.
    for i, s in enumerate(["app=web,tier!=2", "app in (web, api),!canary", "env", "tier>0,tier<5",
                           "app notin (db)", "a==b"]):
        write("label_selector", f"string-{i}", s)
    write("label_selector", "object", j({"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["1", "2"]},
        {"key": "canary", "operator": "DoesNotExist"}]}))
    for i, s in enumerate(["spec.nodeName=node-1", "status.phase!=Failed,metadata.namespace=default",
                           "spec.serviceAccountName==default", "metadata.name=web\\,x"]):
        write("field_selector", f"pods-{i}", b"\x00" + s.encode())
    write("field_selector", "secrets-type", b"\x01type=kubernetes.io/service-account-token")

    # TokenRequests for serviceaccounts/default/token.
    def tr(**spec):
        return j({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec})
    write("token_request", "default", tr())
    write("token_request", "pod-bound", tr(audiences=["api", "vault"], expirationSeconds=3600,
        boundObjectRef={"apiVersion": "v1", "kind": "Pod", "name": "web"}))
    write("token_request", "secret-bound", tr(boundObjectRef={"apiVersion": "v1", "kind": "Secret", "name": "db"}))
    write("token_request", "node-bound", tr(boundObjectRef={"apiVersion": "v1", "kind": "Node", "name": "node-1"}))
    write("token_request", "too-short", tr(expirationSeconds=60))
    write("token_request", "name-mismatch", j({"metadata": {"name": "other"}, "spec": {}}))


if __name__ == "__main__":
    main()
