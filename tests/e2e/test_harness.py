"""Self-test of the e2e harness, without pullsentryd.

Proves the pieces the pull-gate suite stands on: images pushed with the
registry HTTP API pull into containerd over CRI (directly, through the
recording proxy), cosign signature artifacts have the expected shape and
verify with the public key read back from its PEM, and the proxy's hooks and
the policy writer do what they say.

    /usr/bin/python3 -m unittest tests/e2e/test_harness.py -v
"""

from __future__ import annotations

import base64
import json
import sys
import unittest
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

ENV: harness.Environment | None = None


def setUpModule() -> None:
    global ENV
    problems = harness.missing_prerequisites(need_daemon=False)
    if problems:
        raise unittest.SkipTest("e2e harness self-test skipped: " + "; ".join(problems))
    ENV = harness.Environment()
    unittest.addModuleCleanup(ENV.close)
    ENV.start()


def verify_with_pem(pem: bytes, signature: bytes, payload: bytes) -> bool:
    """cosign's verification, from the public key file alone."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    key = serialization.load_pem_public_key(pem)
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, payload)
        else:
            return False
    except InvalidSignature:
        return False
    return True


class HarnessTest(unittest.TestCase):
    def test_pushed_image_pulls_into_containerd_through_proxy(self) -> None:
        image = harness.make_image(ENV.registry.client(), "selftest/plain")
        with ENV.containerd.cri() as runtime:
            image_ref = runtime.pull(image.ref(ENV.proxy.host))
            status = runtime.image_status(image.ref(ENV.proxy.host))
        self.assertEqual(status.id, image_ref)
        self.assertEqual(image_ref, image.configs[0])  # containerd's id: the config digest
        self.assertIn(image.digest_ref(ENV.proxy.host), status.repo_digests)
        self.assertLessEqual(set(image.layers), ENV.containerd.content_digests())
        self.assertIn(image.ref(ENV.proxy.host), ENV.containerd.images())
        agents = {r.user_agent.split("/")[0] for r in ENV.proxy.requests_for(image.repository)}
        self.assertEqual(agents, {"containerd"})

    def test_index_pull_fetches_only_the_host_platform(self) -> None:
        os_name, arch = harness.host_platform()
        foreign = f"{os_name}/{'arm64' if arch != 'arm64' else 'amd64'}"
        image = harness.make_image(ENV.registry.client(), "selftest/multi",
                                   platforms=[f"{os_name}/{arch}", foreign])
        with ENV.containerd.cri() as runtime:
            runtime.pull(image.digest_ref())
        content = ENV.containerd.content_digests()
        self.assertLessEqual(set(image.platform_layers[f"{os_name}/{arch}"]), content)
        self.assertFalse(set(image.platform_layers[foreign]) & content)

    def test_signature_artifact_shape_and_verification(self) -> None:
        client = ENV.registry.client()
        for kind in harness.SigningKey.KINDS:
            with self.subTest(kind=kind):
                key = harness.SigningKey(kind)
                image = harness.make_image(client, f"selftest/signed-{kind}")
                harness.sign(image.ref(), image.digest, key)
                manifest = client.get_manifest(image.repository,
                                               harness.signature_tag(image.digest))
                self.assertIsNotNone(manifest)
                body = json.loads(manifest.body)
                self.assertEqual(body["mediaType"], harness.OCI_MANIFEST)
                self.assertEqual(body["config"]["mediaType"], harness.OCI_CONFIG)
                [layer] = body["layers"]
                self.assertEqual(layer["mediaType"], harness.COSIGN_SIMPLESIGNING)
                payload = client.get_blob(image.repository, layer["digest"])
                self.assertEqual(layer["size"], len(payload))
                critical = json.loads(payload)["critical"]
                self.assertEqual(critical["image"]["docker-manifest-digest"], image.digest)
                self.assertEqual(critical["identity"]["docker-reference"], image.repo())
                self.assertEqual(critical["type"], "cosign container image signature")
                signature = base64.b64decode(
                    layer["annotations"][harness.COSIGN_SIGNATURE_ANNOTATION])
                self.assertTrue(verify_with_pem(key.public_pem(), signature, payload))
                self.assertFalse(verify_with_pem(key.public_pem(), signature, payload + b" "))
                other = harness.SigningKey(kind)
                self.assertFalse(verify_with_pem(other.public_pem(), signature, payload))

    def test_second_signature_appends_a_layer_and_copy_replays(self) -> None:
        client = ENV.registry.client()
        image = harness.make_image(client, "selftest/two-sigs")
        harness.sign(image.ref(), image.digest, harness.SigningKey("ecdsa-p256"))
        second = harness.sign(image.ref(), image.digest, harness.SigningKey("ed25519"))
        self.assertEqual(len(second.layers), 2)
        target = harness.make_image(client, "selftest/replayed")
        copied = harness.copy_signature(image.ref(), image.digest, target.ref(), target.digest)
        self.assertEqual(copied, second.manifest_digest)
        replayed = client.get_manifest(target.repository, harness.signature_tag(target.digest))
        self.assertEqual(replayed.digest, second.manifest_digest)

    def test_proxy_hook_answers_instead_of_forwarding(self) -> None:
        fired = ENV.proxy.add_hook(lambda _m, path: path == "/v2/", lambda _m, _p: 503)
        try:
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(ENV.proxy.url + "/v2/", timeout=5)
            self.assertEqual(caught.exception.code, 503)
            with urllib.request.urlopen(ENV.proxy.url + "/v2/", timeout=5) as response:
                self.assertEqual(response.status, 200)  # once: forwarded again
        finally:
            ENV.proxy.clear_hooks()
        self.assertEqual(fired(), 1)

    def test_policy_writer(self) -> None:
        policy = harness.Policy().sigstore_signed("h:1/demo", "/k.pub")
        policy.sigstore_signed("h:1/two", ["/a.pub", "/b.pub"]).accept_anything("h:1/open")
        self.assertEqual(policy.to_dict(), {
            "default": [{"type": "reject"}],
            "transports": {"docker": {
                "h:1/demo": [{"type": "sigstoreSigned", "keyPath": "/k.pub",
                              "signedIdentity": {"type": "matchRepository"}}],
                "h:1/two": [{"type": "sigstoreSigned", "keyPaths": ["/a.pub", "/b.pub"],
                             "signedIdentity": {"type": "matchRepository"}}],
                "h:1/open": [{"type": "insecureAcceptAnything"}],
            }},
        })

    def test_split_reference(self) -> None:
        self.assertEqual(harness.split_reference("127.0.0.1:5000/a/b:v1"),
                         ("127.0.0.1:5000", "a/b", "v1", None))
        self.assertEqual(harness.split_reference("h:1/a/b@sha256:00"),
                         ("h:1", "a/b", None, "sha256:00"))
        self.assertEqual(harness.split_reference("h:1/a/b"), ("h:1", "a/b", None, None))


if __name__ == "__main__":
    unittest.main()
