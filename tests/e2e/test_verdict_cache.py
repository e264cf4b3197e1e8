"""End-to-end tests of pullsentryd's verdict cache and shared verification:
concurrent pulls of one image verify once, a repeated pull of a digest is
decided from the cache, the cache survives a restart, a policy change
invalidates it, and a tampered cache file is set aside. Real registry
(behind the recording proxy, which counts signature fetches), real
containerd, real daemon.

Run as root with Debian's interpreter::

    /usr/bin/python3 tests/e2e/test_verdict_cache.py -v
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import CriError, wait_for, write_atomically  # noqa: E402

ENV: harness.Environment | None = None
KEY: harness.SigningKey | None = None
KEY_PATH: Path | None = None
PULL_TIMEOUT = 60


def setUpModule() -> None:
    global ENV, KEY, KEY_PATH
    ENV, KEY, KEY_PATH = harness.module_environment()


class VerdictCacheTest(unittest.TestCase):
    def setUp(self) -> None:
        # Short: unix socket paths inside must stay under 108 bytes.
        self.workdir = Path(tempfile.mkdtemp(prefix="vc-", dir=ENV.workdir))
        self.policy_path = self.workdir / "policy.json"
        self.daemon: harness.Pullsentryd | None = None
        self.clients: list[harness.CriClient] = []

    def tearDown(self) -> None:
        self.stop_daemon()

    def stop_daemon(self) -> None:
        # Clients first: an open connection holds the daemon's drain.
        for client in self.clients:
            client.close()
        self.clients.clear()
        if self.daemon is not None:
            self.daemon.stop()

    # -- building blocks ------------------------------------------------------

    def team_policy(self) -> harness.Policy:
        return harness.Policy(default="reject").sigstore_signed(f"{ENV.proxy.host}/team", KEY_PATH)

    def start_daemon(self, policy: harness.Policy, extra_args=()) -> harness.CriClient:
        write_atomically(self.policy_path, json.dumps(policy.to_dict()))
        self.daemon = harness.Pullsentryd(ENV.containerd.endpoint, self.policy_path,
                                          insecure_registries=ENV.hosts,
                                          workdir=self.workdir / "daemon", extra_args=extra_args)
        self.daemon.start()
        return self.client()

    def client(self) -> harness.CriClient:
        client = self.daemon.cri()
        self.clients.append(client)
        return client

    def push(self, name: str, signed: bool = True) -> harness.PushedImage:
        image = harness.make_image(ENV.registry.client(), f"team/{name}-{os.urandom(3).hex()}", "v1")
        if signed:
            self.sign(image)
        return image

    def sign(self, image: harness.PushedImage) -> None:
        harness.sign(image.ref(ENV.proxy.host), image.digest, KEY, registry_url=ENV.registry.url)

    def signature_fetches(self, image: harness.PushedImage) -> int:
        """How often anyone asked the proxy for the image's signature manifest."""
        path = f"/v2/{image.repository}/manifests/{harness.signature_tag(image.digest)}"
        return sum(1 for r in ENV.proxy.requests_for(image.repository) if r.path == path)

    def pull(self, client: harness.CriClient, image: harness.PushedImage):
        """The image_ref when admitted, else the CriError."""
        try:
            return client.pull(image.ref(ENV.proxy.host), timeout=PULL_TIMEOUT)
        except CriError as exc:
            return exc

    def admit(self, client: harness.CriClient, image: harness.PushedImage) -> str:
        result = self.pull(client, image)
        self.assertIsInstance(result, str, f"{image.ref(ENV.proxy.host)} refused: {result}\n"
                              + self.daemon.log_text()[-2000:])
        return result

    def refuse(self, client: harness.CriClient, image: harness.PushedImage) -> CriError:
        result = self.pull(client, image)
        self.assertIsInstance(result, CriError, f"{image.ref(ENV.proxy.host)} admitted")
        return result

    def cache_file(self) -> Path:
        return self.daemon.state_dir / "verdict-cache.json"

    # -- tests ----------------------------------------------------------------

    def test_concurrent_pulls_share_one_verification(self) -> None:
        client = self.start_daemon(self.team_policy())
        image = self.push("together")
        # Hold the signature fetch, so every pull arrives while the first
        # verification is still in progress.
        sig_path = f"/v2/{image.repository}/manifests/{harness.signature_tag(image.digest)}"
        ENV.proxy.add_hook(lambda _m, path: path == sig_path, lambda _m, _p: time.sleep(1.0), once=False)
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
                results = list(pool.map(lambda _i: self.pull(client, image), range(20)))
        finally:
            ENV.proxy.clear_hooks()
        for result in results:
            self.assertIsInstance(result, str, f"refused: {result}\n" + self.daemon.log_text()[-2000:])
        self.assertEqual(len(set(results)), 1, "one digest, several image_refs")
        self.assertEqual(self.signature_fetches(image), 1,
                         "20 concurrent pulls of one image must share one verification")

    def test_a_second_pull_of_the_digest_is_decided_from_the_cache(self) -> None:
        client = self.start_daemon(self.team_policy())
        image = self.push("again")
        first = self.admit(client, image)
        self.assertEqual(self.signature_fetches(image), 1)
        self.assertEqual(self.admit(client, image), first)
        self.assertEqual(self.signature_fetches(image), 1, "the second pull verified again")
        # The tag is still resolved at the registry each time: a moved tag
        # is never answered from the cache.
        tag_path = f"/v2/{image.repository}/manifests/{image.tag}"
        daemon_tag_requests = [r for r in ENV.proxy.requests_for(image.repository)
                               if r.path == tag_path and not r.user_agent.startswith("containerd/")]
        self.assertEqual(len(daemon_tag_requests), 2, [r.path for r in daemon_tag_requests])
        self.assertIn("verdict-cache.json", os.listdir(self.daemon.state_dir))

    def test_a_moved_tag_is_verified_at_its_new_digest(self) -> None:
        client = self.start_daemon(self.team_policy())
        image = self.push("moved")
        self.admit(client, image)
        # The tag now names an unsigned image: the cached yes for the old
        # digest must not answer for it.
        intruder = harness.make_image(ENV.registry.client(), image.repository, "other")
        ENV.registry.client().tag(image.repository, image.tag, intruder.digest)
        error = self.refuse(client, image)
        self.assertIn(intruder.digest, error.message)

    def test_a_restart_keeps_the_cache(self) -> None:
        client = self.start_daemon(self.team_policy())
        image = self.push("restart")
        self.admit(client, image)
        self.assertEqual(self.signature_fetches(image), 1)
        self.stop_daemon()
        self.daemon.start()
        client = self.client()
        self.admit(client, image)
        self.assertEqual(self.signature_fetches(image), 1, "the restarted daemon verified again")

    def test_refusals_are_cached_only_for_the_refusal_ttl(self) -> None:
        client = self.start_daemon(self.team_policy(), extra_args=["--cache-refused-ttl", "2s"])
        image = self.push("late-signature", signed=False)
        self.refuse(client, image)
        self.sign(image)  # the signature arrives after the first refusal
        fetches = self.signature_fetches(image)
        self.refuse(client, image)
        self.assertEqual(self.signature_fetches(image), fetches, "a cached refusal was not used")
        time.sleep(2.2)
        self.admit(client, image)
        self.assertEqual(self.signature_fetches(image), fetches + 1)

    def test_a_policy_change_invalidates_cached_verdicts(self) -> None:
        client = self.start_daemon(self.team_policy())
        image = self.push("policy")
        self.admit(client, image)

        # Same rules plus one more scope: a new hash, so the image is verified again.
        write_atomically(self.policy_path, json.dumps(
            self.team_policy().accept_anything(f"{ENV.proxy.host}/elsewhere").to_dict()))
        self.assertTrue(wait_for(lambda: self.daemon.log_text().count("policy reloaded") >= 1),
                        self.daemon.log_text()[-2000:])
        self.admit(client, image)
        self.assertEqual(self.signature_fetches(image), 2, "the cached verdict outlived its policy")

        # A policy that refuses the image: the cached yes must not answer.
        write_atomically(self.policy_path, json.dumps(harness.Policy(default="reject").to_dict()))
        self.assertTrue(wait_for(lambda: isinstance(self.pull(client, image), CriError)),
                        "a cached admission survived a policy that rejects the image")

    def test_a_tampered_cache_file_is_set_aside_and_decisions_stay_right(self) -> None:
        client = self.start_daemon(self.team_policy())
        signed, unsigned = self.push("kept"), self.push("unsigned", signed=False)
        # The refusal first, so its line is not the journal's last (a bad
        # last line reads as a store cut off by a crash and is only dropped).
        self.refuse(client, unsigned)
        self.admit(client, signed)
        self.stop_daemon()

        # Turn the cached refusal into an admission by hand; keep the line's
        # checksum as it was.
        lines = self.cache_file().read_text().splitlines()
        flipped = []
        for i, line in enumerate(lines[1:], start=1):
            record = json.loads(line)
            if not record["put"]["verdict"]["admitted"]:
                record["put"]["verdict"]["admitted"] = True
                record["put"]["verdict"]["action"] = "verified"
                lines[i] = json.dumps(record)
                flipped.append(i)
        self.assertEqual(len(flipped), 1, "\n".join(lines)[:2000])
        self.assertLess(flipped[0], len(lines) - 1, "the flipped line must not be the last")
        self.cache_file().write_text("\n".join(lines) + "\n")

        self.daemon.start()
        client = self.client()
        self.assertIn("verdict cache", self.daemon.log_text())
        self.assertIn("damaged", self.daemon.log_text())
        self.assertTrue(list(self.daemon.state_dir.glob("verdict-cache.json.damaged-*")))
        error = self.refuse(client, unsigned)
        self.assertIn("no signature", error.message)
        self.admit(client, signed)
        self.assertEqual(self.signature_fetches(signed), 2, "an entry of the damaged file was trusted")


if __name__ == "__main__":
    unittest.main()
