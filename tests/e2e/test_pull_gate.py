"""End-to-end tests of pullsentryd's pull gate against a real registry and containerd.

One registry, one recording proxy and one containerd serve the whole module
(containerd is the slow part); pullsentryd runs in front of containerd with a
policy that requires cosign key signatures. Every image is fresh and random,
in its own repository, so tests do not see each other's state.

Pulls mostly name the proxy's host: its request log shows what containerd
itself fetched (User-Agent ``containerd/...``), which proves both that the
runtime only ever got a verified digest and that refused images never reached
it.

Run as root with Debian's interpreter, from the repository root::

    /usr/bin/python3 -m unittest discover -s tests/e2e -p 'test_*.py' -v
    /usr/bin/python3 tests/e2e/test_pull_gate.py -v

The daemon binary is ``$PULLSENTRYD``, else
``$PULLSENTRY_BUILD_DIR/plugin/pullsentryd`` (default build dir: ``build``).
The module is skipped, with the reason, when something is missing.
"""

from __future__ import annotations

import concurrent.futures
import secrets
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import CriError, PushedImage  # noqa: E402

try:
    import grpc
except ImportError:  # wrong interpreter: setUpModule skips, saying why
    grpc = None

# What refusals must say (the daemon's contract: one line naming the image,
# its digest and the reason).
NO_SIGNATURE = r"(?i)no signature"
DIGEST_MISMATCH = r"(?i)mismatch|does not match"
UNTRUSTED_KEY = r"(?i)untrusted key"

CONTAINERD_AGENT = "containerd/"
PULL_TIMEOUT = 60

ENV: harness.Environment | None = None
KEYS: dict[str, harness.SigningKey] = {}
ROGUE_KEY: harness.SigningKey | None = None  # valid signatures, trusted nowhere
CLIENT: harness.CriClient | None = None      # pullsentryd
PROXY = ""     # host:port of the recording proxy
REGISTRY = ""  # host:port of the registry itself


def setUpModule() -> None:
    global ENV, ROGUE_KEY, CLIENT, PROXY, REGISTRY
    problems = harness.missing_prerequisites()
    if problems:
        raise unittest.SkipTest("pullsentry e2e skipped: " + "; ".join(problems))

    ENV = harness.Environment()
    unittest.addModuleCleanup(ENV.close)  # runs even if the rest of set-up fails
    ENV.start()
    PROXY, REGISTRY = ENV.proxy.host, ENV.registry.host

    keys_dir = ENV.workdir / "keys"
    keys_dir.mkdir()
    policy = harness.Policy(default="reject")
    for kind in harness.SigningKey.KINDS:
        KEYS[kind] = harness.SigningKey(kind)
        KEYS[kind].write_public(keys_dir / f"{kind}.pub")
    ROGUE_KEY = harness.SigningKey("ecdsa-p256")
    for host in ENV.hosts:
        policy.sigstore_signed(f"{host}/demo", keys_dir / "ecdsa-p256.pub")
        for kind in ("ecdsa-p384", "rsa-2048", "ed25519"):
            policy.sigstore_signed(f"{host}/keys/{kind}", keys_dir / f"{kind}.pub")
        policy.accept_anything(f"{host}/open")
    policy_path = policy.write(ENV.workdir / "policy.json")

    ENV.start_pullsentryd(policy_path)
    CLIENT = ENV.pullsentryd.cri()
    unittest.addModuleCleanup(CLIENT.close)


def daemon_log_tail(lines: int = 30) -> str:
    if ENV is None or ENV.pullsentryd is None:
        return ""
    tail = ENV.pullsentryd.log_text().splitlines()[-lines:]
    return "\n--- pullsentryd log ---\n" + "\n".join(tail)


class PullGateTest(unittest.TestCase):
    # -- building blocks ----------------------------------------------------

    def push(self, namespace: str = "demo", name: str = "app", tag: str = "v1",
             platforms=None) -> PushedImage:
        repository = f"{namespace}/{name}-{secrets.token_hex(4)}"
        return harness.make_image(ENV.registry.client(), repository, tag, platforms=platforms)

    def push_sibling(self, image: PushedImage, tag: str) -> PushedImage:
        """Another random image in the same repository."""
        return harness.make_image(ENV.registry.client(), image.repository, tag)

    def sign(self, image: PushedImage, key: harness.SigningKey | None = None,
             host: str | None = None, **kwargs) -> harness.Signature:
        """Signs ``image`` for pulls that name ``host`` (default: the proxy)."""
        return harness.sign(image.ref(host or PROXY), image.digest,
                            key or KEYS["ecdsa-p256"], registry_url=ENV.registry.url,
                            **kwargs)

    def admit(self, ref: str) -> str:
        try:
            image_ref = CLIENT.pull(ref, timeout=PULL_TIMEOUT)
        except CriError as exc:
            self.fail(f"pull of {ref} refused: {exc}{daemon_log_tail()}")
        self.assertTrue(image_ref, f"empty image_ref for {ref}")
        return image_ref

    def runtime_requests(self, image: PushedImage) -> list[harness.ProxiedRequest]:
        return ENV.proxy.requests_for(image.repository, CONTAINERD_AGENT)

    def assert_runtime_fetched_only(self, image: PushedImage, digest: str) -> None:
        """containerd asked the registry for manifests by ``digest`` only."""
        manifests = [r for r in self.runtime_requests(image) if "/manifests/" in r.path]
        self.assertTrue(manifests, "containerd fetched no manifest through the proxy")
        for request in manifests:
            self.assertEqual(request.path.rsplit("/", 1)[-1], digest,
                             f"containerd fetched {request.method} {request.path}")

    def assert_refused(self, image: PushedImage, pattern: str | None, host: str | None = None,
                       names_digest: bool = True) -> CriError:
        """Pull is refused (PERMISSION_DENIED, one line naming image, digest and
        reason) and nothing of the image reached containerd."""
        ref = image.ref(host or PROXY)
        with self.assertRaises(CriError, msg=f"{ref} was admitted") as caught:
            CLIENT.pull(ref, timeout=PULL_TIMEOUT)
        error = caught.exception
        self.assertEqual(error.code, grpc.StatusCode.PERMISSION_DENIED, str(error))
        self.assertNotIn("\n", error.message)
        self.assertIn(ref, error.message)
        if names_digest:
            self.assertIn(image.digest, error.message)
        if pattern:
            self.assertRegex(error.message, pattern)
        self.assert_not_in_runtime(image, host or PROXY)
        return error

    def assert_not_in_runtime(self, image: PushedImage, host: str) -> None:
        leaked = image.blobs & ENV.containerd.content_digests()
        self.assertFalse(leaked, f"refused image's blobs in containerd: {leaked}")
        if host == PROXY:
            names = {*image.blobs, image.tag}
            fetched = [r for r in self.runtime_requests(image)
                       if r.path.rsplit("/", 1)[-1] in names]
            self.assertEqual(fetched, [], "containerd fetched the refused image")
        self.assertIsNone(CLIENT.image_status(image.ref(host)))

    def assert_status_by_tag(self, image: PushedImage, image_ref: str, host: str) -> None:
        status = CLIENT.image_status(image.ref(host))
        self.assertIsNotNone(status, f"ImageStatus({image.ref(host)}) found nothing"
                             + daemon_log_tail())
        self.assertEqual(status.id, image_ref)
        self.assertIn(image.ref(host), status.repo_tags)
        self.assertIn(image.digest_ref(host), status.repo_digests)

    # -- admitted -----------------------------------------------------------

    def test_signed_image_admitted_and_found_by_tag_without_second_pull(self) -> None:
        image = self.push()
        self.sign(image)
        image_ref = self.admit(image.ref(PROXY))

        self.assert_runtime_fetched_only(image, image.digest)
        self.assertLessEqual(set(image.layers), ENV.containerd.content_digests())
        with ENV.containerd.cri() as runtime:
            pinned = runtime.image_status(image.digest_ref(PROXY))
        self.assertIsNotNone(pinned, "containerd does not hold the pinned digest")
        self.assertEqual(pinned.id, image_ref)

        seen = len(ENV.proxy.requests_for(image.repository))
        self.assert_status_by_tag(image, image_ref, PROXY)
        self.assertEqual(len(ENV.proxy.requests_for(image.repository)), seen,
                         "ImageStatus by tag went to the registry")
        manifest_gets = [r for r in self.runtime_requests(image)
                         if r.method == "GET" and "/manifests/" in r.path]
        self.assertEqual(len(manifest_gets), 1, "containerd pulled more than once")

    def test_list_images_reports_the_tag(self) -> None:
        image = self.push()
        self.sign(image)
        image_ref = self.admit(image.ref(PROXY))
        listed = [i for i in CLIENT.list_images() if i.id == image_ref]
        self.assertEqual(len(listed), 1, "admitted image not listed once")
        self.assertIn(image.ref(PROXY), listed[0].repo_tags)
        self.assertIn(image.digest_ref(PROXY), listed[0].repo_digests)

    def test_other_key_types_admitted_only_with_their_key(self) -> None:
        for kind in ("ecdsa-p384", "rsa-2048", "ed25519"):
            with self.subTest(kind=kind):
                image = self.push(namespace=f"keys/{kind}")
                self.sign(image, KEYS[kind])
                image_ref = self.admit(image.ref(PROXY))
                self.assert_status_by_tag(image, image_ref, PROXY)
                # The P-256 key is trusted for demo/, not for this scope.
                other = self.push_sibling(image, "other")
                self.sign(other, KEYS["ecdsa-p256"])
                self.assert_refused(other, UNTRUSTED_KEY)

    def test_signed_index_pulled_from_registry_host(self) -> None:
        os_name, arch = harness.host_platform()
        foreign = "arm64" if arch != "arm64" else "amd64"
        image = self.push(platforms=[f"{os_name}/{arch}", f"{os_name}/{foreign}"])
        self.sign(image, host=REGISTRY)
        image_ref = self.admit(image.ref(REGISTRY))
        content = ENV.containerd.content_digests()
        self.assertLessEqual(set(image.platform_layers[f"{os_name}/{arch}"]), content)
        self.assertIn(image.digest, content)
        self.assert_status_by_tag(image, image_ref, REGISTRY)

    def test_insecure_accept_anything_scope_admits_unsigned(self) -> None:
        image = self.push(namespace="open")
        image_ref = self.admit(image.ref(PROXY))
        self.assert_status_by_tag(image, image_ref, PROXY)

    # -- refused ------------------------------------------------------------

    def test_unsigned_refused(self) -> None:
        self.assert_refused(self.push(), NO_SIGNATURE)

    def test_signature_over_another_digest_refused(self) -> None:
        with self.subTest("payload names another digest"):
            image = self.push()
            other = self.push_sibling(image, "other")
            self.sign(image, signed_digest=other.digest)
            self.assert_refused(image, DIGEST_MISMATCH)
        with self.subTest("signature copied from a signed image"):
            signed = self.push()
            self.sign(signed)
            copy = self.push_sibling(signed, "copy")
            harness.copy_signature(signed.ref(), signed.digest, copy.ref(), copy.digest)
            self.assert_refused(copy, DIGEST_MISMATCH)

    def test_untrusted_key_refused(self) -> None:
        image = self.push()
        self.sign(image, ROGUE_KEY)
        self.assert_refused(image, UNTRUSTED_KEY)

    def test_signature_for_another_repository_refused(self) -> None:
        image = self.push()
        self.sign(image, identity=f"{PROXY}/demo/somewhere-else")
        self.assert_refused(image, r"signature names \S*/demo/somewhere-else, policy requires ")

    def test_default_reject_scope_refused(self) -> None:
        image = self.push(namespace="elsewhere")
        self.sign(image)
        self.assert_refused(image, r"policy rejects images in scope ", names_digest=False)

    def test_tampered_payload_refused(self) -> None:
        image = self.push()
        other = self.push_sibling(image, "other")
        signed_payload = harness.simple_signing_payload(image.repo(PROXY), other.digest)
        # Signed: a payload for `other`; stored: the same payload edited to name `image`.
        self.sign(image, payload=signed_payload,
                  stored_payload=signed_payload.replace(other.digest.encode(),
                                                        image.digest.encode()))
        self.assert_refused(image, None)

    # -- failing to decide ---------------------------------------------------

    def test_registry_error_on_signature_fails_closed(self) -> None:
        image = self.push()
        self.sign(image)
        sig_path = f"/v2/{image.repository}/manifests/{harness.signature_tag(image.digest)}"
        fired = ENV.proxy.add_hook(lambda _m, path: path == sig_path,
                                   lambda _m, _p: 500, once=False)
        try:
            with self.assertRaises(CriError, msg="admitted without reading its signature") \
                    as caught:
                CLIENT.pull(image.ref(PROXY), timeout=PULL_TIMEOUT)
        finally:
            ENV.proxy.clear_hooks()
        # Not a verified "no": the gate could not decide (UNAVAILABLE or similar).
        self.assertNotEqual(caught.exception.code, grpc.StatusCode.PERMISSION_DENIED,
                            str(caught.exception))
        self.assertIn(image.ref(PROXY), caught.exception.message)
        self.assertGreaterEqual(fired(), 1, "pullsentryd never asked for the signature")
        self.assert_not_in_runtime(image, PROXY)
        # Once the registry answers again, the same image is admitted.
        self.admit(image.ref(PROXY))

    # -- the tag moves -------------------------------------------------------

    def test_tag_moved_after_signing_runtime_gets_verified_digest(self) -> None:
        verified = self.push()
        self.sign(verified)
        intruder = self.push_sibling(verified, "intruder")
        registry = ENV.registry.client()
        sig_path = f"/v2/{verified.repository}/manifests/{harness.signature_tag(verified.digest)}"

        def move_tag(_method: str, _path: str) -> None:
            registry.tag(verified.repository, verified.tag, intruder.digest)

        fired = ENV.proxy.add_hook(lambda _m, path: path == sig_path, move_tag)
        try:
            image_ref = self.admit(verified.ref(PROXY))
        finally:
            ENV.proxy.clear_hooks()

        self.assertEqual(fired(), 1, "pullsentryd never fetched the signature via the proxy")
        moved = registry.get_manifest(verified.repository, verified.tag)
        self.assertEqual(moved.digest, intruder.digest, "the tag did not move")
        self.assert_runtime_fetched_only(verified, verified.digest)
        content = ENV.containerd.content_digests()
        self.assertLessEqual(set(verified.layers), content)
        self.assertFalse(intruder.blobs & content, "the intruder reached containerd")
        self.assert_status_by_tag(verified, image_ref, PROXY)

    # -- ledger --------------------------------------------------------------

    def test_restart_keeps_tag_ledger(self) -> None:
        image = self.push()
        self.sign(image)
        image_ref = self.admit(image.ref(PROXY))
        ENV.pullsentryd.restart()
        self.assert_status_by_tag(image, image_ref, PROXY)
        tagged = [i for i in CLIENT.list_images() if image.ref(PROXY) in i.repo_tags]
        self.assertEqual([i.id for i in tagged], [image_ref])

    def test_remove_image_by_tag(self) -> None:
        image = self.push()
        self.sign(image)
        self.admit(image.ref(PROXY))
        CLIENT.remove_image(image.ref(PROXY))
        self.assertIsNone(CLIENT.image_status(image.ref(PROXY)))
        with ENV.containerd.cri() as runtime:
            self.assertIsNone(runtime.image_status(image.digest_ref(PROXY)))
        self.assertNotIn(image.digest_ref(PROXY), ENV.containerd.images())
        self.assertFalse([i for i in CLIENT.list_images() if image.ref(PROXY) in i.repo_tags])

    # -- concurrency ---------------------------------------------------------

    def test_concurrent_pulls(self) -> None:
        signed = [self.push() for _ in range(4)]
        for image in signed:
            self.sign(image)
        unsigned = [self.push() for _ in range(2)]
        same = signed[0]
        jobs = [*signed, *unsigned, same, same]

        def pull(image: PushedImage):
            try:
                return CLIENT.pull(image.ref(PROXY), timeout=PULL_TIMEOUT)
            except CriError as exc:
                return exc

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            results = list(pool.map(pull, jobs))

        refs = {}
        for image, result in zip(jobs, results):
            if image in unsigned:
                self.assertIsInstance(result, CriError, f"{image.ref(PROXY)} admitted")
                self.assertEqual(result.code, grpc.StatusCode.PERMISSION_DENIED, str(result))
                self.assertRegex(result.message, NO_SIGNATURE)
            else:
                self.assertIsInstance(result, str, f"{image.ref(PROXY)}: {result}"
                                      + daemon_log_tail())
                refs.setdefault(image.digest, set()).add(result)
        for image in signed:
            self.assertEqual(len(refs[image.digest]), 1, "one tag, several image_refs")
            self.assert_status_by_tag(image, refs[image.digest].pop(), PROXY)
        for image in unsigned:
            self.assert_not_in_runtime(image, PROXY)


if __name__ == "__main__":
    unittest.main()
