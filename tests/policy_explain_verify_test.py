#!/usr/bin/python3
"""`pullsentry policy explain --verify` against a scripted loopback registry.

Usage: policy_explain_verify_test.py PATH/TO/pullsentry

Serves one image (an OCI manifest for acme/app:v1) and its cosign key
signature (sha256-<hex>.sig with a simple-signing payload) over plain HTTP on
127.0.0.1, signed with a P-256 key made here by python3-cryptography, never
by the code under test. Checks that explain --verify admits it with the
policy's key, refuses it with another key, and reports both in text and JSON.
"""
import base64
import hashlib
import http.server
import json
import pathlib
import subprocess
import sys
import tempfile
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def pub_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def build_registry(host, signer):
    config = b"{}"
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(config),
                   "digest": sha256(config)},
        "layers": [],
    }).encode()
    digest = sha256(manifest)
    payload = json.dumps({
        "critical": {"identity": {"docker-reference": host + "/acme/app"},
                     "image": {"docker-manifest-digest": digest},
                     "type": "cosign container image signature"},
        "optional": None,
    }, separators=(",", ":")).encode()
    signature = signer.sign(payload, ec.ECDSA(hashes.SHA256()))
    sig_manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(config),
                   "digest": sha256(config)},
        "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "size": len(payload),
                    "digest": sha256(payload),
                    "annotations": {"dev.cosignproject.cosign/signature": base64.b64encode(signature).decode()}}],
    }).encode()
    oci = "application/vnd.oci.image.manifest.v1+json"
    routes = {
        "/v2/": (b"{}", "application/json"),
        "/v2/acme/app/manifests/v1": (manifest, oci),
        "/v2/acme/app/manifests/" + digest: (manifest, oci),
        "/v2/acme/app/manifests/" + digest.replace(":", "-") + ".sig": (sig_manifest, oci),
        "/v2/acme/app/blobs/" + sha256(payload): (payload, "application/octet-stream"),
    }
    return routes, digest


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    routes = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body, media_type = routes.get(self.path, (None, None))
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            if "/manifests/" in self.path:
                self.send_header("Docker-Content-Digest", sha256(body))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = "127.0.0.1:%d" % server.server_address[1]
    signer = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    served, digest = build_registry(host, signer)
    routes.update(served)

    failures = []

    def check(name, condition, output):
        print(("ok   " if condition else "FAIL ") + name)
        if not condition:
            failures.append(name)
            print(output)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "signer.pub").write_bytes(pub_pem(signer))
        (tmp / "other.pub").write_bytes(pub_pem(other))
        for name, key in (("good", "signer.pub"), ("wrong-key", "other.pub")):
            (tmp / (name + ".json")).write_text(json.dumps({
                "default": [{"type": "reject"}],
                "transports": {"docker": {host + "/acme": [
                    {"type": "sigstoreSigned", "keyPath": key, "signedIdentity": {"type": "matchRepository"}}]}},
            }))

        def explain(policy, *extra):
            return subprocess.run([binary, "policy", "explain", host + "/acme/app:v1", "--policy", str(tmp / policy),
                                   "--verify", "--insecure-registry", host, "--timeout", "20", *extra],
                                  capture_output=True, text=True, timeout=60)

        good = explain("good.json")
        out = good.stdout + good.stderr
        check("admitted with the policy's key: exit 0", good.returncode == 0, out)
        check("admitted: verdict line names the digest",
              "verdict:    ADMITTED (%s)" % digest in good.stdout, out)
        check("admitted: scope and rule", "scope:      %s/acme\n" % host in good.stdout
              and "rule:       parent namespace" in good.stdout, out)
        check("admitted: checks are listed", "\n  - " in good.stdout.split("verdict:")[-1], out)

        wrong = explain("wrong-key.json")
        out = wrong.stdout + wrong.stderr
        check("refused with another key: exit 1", wrong.returncode == 1, out)
        check("refused: untrusted key reason", "verdict:    REFUSED" in wrong.stdout
              and "signed by an untrusted key" in wrong.stdout, out)

        as_json = explain("good.json", "--output", "json")
        try:
            doc = json.loads(as_json.stdout)
        except ValueError:
            doc = {}
        verdict = doc.get("verdict", {})
        check("json: admitted, decided, digest and checks",
              as_json.returncode == 0 and verdict.get("admitted") is True and verdict.get("decided") is True
              and verdict.get("digest") == digest and len(verdict.get("checks", [])) > 0,
              as_json.stdout + as_json.stderr)

        # The same checks with pullsentry's own policy format.
        for name, key, mode in (("native-good", "signer.pub", "enforce"), ("native-wrong-key", "other.pub", "enforce"),
                                ("native-warn", "other.pub", "warn")):
            (tmp / (name + ".json")).write_text(json.dumps({
                "version": 1,
                "verifiers": {"team-key": {"type": "cosignKey", "keyPaths": [key]}},
                "default": {"require": "reject"},
                "scopes": [{"match": host + "/acme", "mode": mode, "require": "team-key",
                            "identity": {"type": "repository"}}],
            }))
        good = explain("native-good.json")
        out = good.stdout + good.stderr
        check("native: admitted with the policy's key: exit 0", good.returncode == 0, out)
        check("native: verdict line names action and digest",
              "verdict:     ADMITTED [verified] (%s)" % digest in good.stdout, out)
        check("native: checks are listed", "\n  - " in good.stdout.split("verdict:")[-1], out)
        wrong = explain("native-wrong-key.json")
        out = wrong.stdout + wrong.stderr
        check("native: refused with another key: exit 1", wrong.returncode == 1
              and "verdict:     REFUSED" in wrong.stdout, out)
        warn = explain("native-warn.json", "--output", "json")
        try:
            doc = json.loads(warn.stdout)
        except ValueError:
            doc = {}
        verdict = doc.get("verdict", {})
        check("native json: warn mode admits what it would refuse",
              warn.returncode == 0 and verdict.get("admitted") is True and verdict.get("action") == "warn"
              and verdict.get("mode") == "warn" and verdict.get("digest") == digest, warn.stdout + warn.stderr)

    server.shutdown()
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
