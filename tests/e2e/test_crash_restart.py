"""End-to-end tests of pullsentryd's shutdown and crash safety: SIGTERM lets
a pull in flight finish and exits 0 within --shutdown-timeout; kill -9 at
random points of 100 pulls, restarting each time, never lets anything
unsigned into containerd and never loses a tag the daemon acknowledged.

Run as root with Debian's interpreter::

    /usr/bin/python3 tests/e2e/test_crash_restart.py -v

``PULLSENTRY_CRASH_SEED=N`` replays one run of the kill -9 test.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import CriError, wait_for  # noqa: E402

ENV: harness.Environment | None = None
KEY: harness.SigningKey | None = None
KEY_PATH: Path | None = None


def setUpModule() -> None:
    global ENV, KEY, KEY_PATH
    ENV, KEY, KEY_PATH = harness.module_environment()


class CrashRestartTest(unittest.TestCase):
    def setUp(self) -> None:
        # Short: unix socket paths (the control socket's too) are limited to 107 bytes.
        self.workdir = Path(tempfile.mkdtemp(prefix="t", dir=ENV.workdir))
        self.policy_path = self.workdir / "policy.json"
        policy = harness.Policy(default="reject")
        for host in ENV.hosts:
            policy.sigstore_signed(f"{host}/crash", KEY_PATH)
        self.policy_path.write_text(json.dumps(policy.to_dict()))
        self.daemon: harness.Pullsentryd | None = None

    def tearDown(self) -> None:
        if self.daemon is not None:
            self.daemon.stop()

    def new_daemon(self, extra_args=()) -> harness.Pullsentryd:
        self.daemon = harness.Pullsentryd(ENV.containerd.endpoint, self.policy_path,
                                          insecure_registries=ENV.hosts,
                                          workdir=self.workdir / "daemon",
                                          extra_args=list(extra_args))
        return self.daemon.start()

    def signed_image(self, name: str, host: str | None = None) -> harness.PushedImage:
        """Pushed to the registry, signed for the name it is pulled by (``host``)."""
        image = harness.make_image(ENV.registry.client(), f"crash/{name}", "v1")
        harness.sign(image.ref(host or ENV.registry.host), image.digest, KEY, registry_url=ENV.registry.url)
        return image

    # -- SIGTERM --------------------------------------------------------------

    def test_sigterm_lets_the_pull_in_flight_finish_and_exits_zero(self) -> None:
        import grpc
        timeout = 10
        daemon = self.new_daemon(["--shutdown-timeout", str(timeout)])
        image = self.signed_image("slow", host=ENV.proxy.host)
        # The registry takes 3 s to answer the tag lookup of this one image.
        delay = 3.0
        fired = ENV.proxy.add_hook(
            lambda method, path: path == f"/v2/{image.repository}/manifests/{image.tag}",
            lambda method, path: time.sleep(delay))
        self.addCleanup(ENV.proxy.clear_hooks)
        ref = image.ref(ENV.proxy.host)

        outcome: dict = {}

        def pull() -> None:
            with daemon.cri() as client:
                try:
                    outcome["ref"] = client.pull(ref, timeout=60)
                except CriError as exc:
                    outcome["error"] = exc

        other = self.signed_image("during-drain")
        puller = threading.Thread(target=pull)
        puller.start()
        self.assertTrue(wait_for(lambda: fired() > 0, 10, 0.05), "the pull never reached the registry")
        process = daemon.process
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)

        # A new pull during the drain is turned away, retryable.
        self.assertTrue(wait_for(lambda: "draining" in daemon.log_text(), 10, 0.05), "no drain began")
        with daemon.cri() as client:
            with self.assertRaises(CriError) as refused:
                client.pull(other.ref(), timeout=10)
        self.assertEqual(refused.exception.code, grpc.StatusCode.UNAVAILABLE, refused.exception.message)

        puller.join(60)
        self.assertNotIn("error", outcome, f"the pull in flight failed: {outcome.get('error')}")
        self.assertIn(outcome.get("ref"), image.configs)  # containerd answers with the image id
        returncode = process.wait(timeout + 10)
        elapsed = time.monotonic() - stopped_at
        self.assertEqual(returncode, 0, daemon.log_text()[-2000:])
        self.assertLess(elapsed, timeout, "the drain overran --shutdown-timeout")
        self.assertIn("draining", daemon.log_text())

        # The acknowledged tag is in the ledger for the next daemon.
        daemon.start()
        with daemon.cri() as client:
            status = client.image_status(ref)
            self.assertIsNotNone(status, "a tag acknowledged during the drain was lost")
            self.assertTrue(any(image.digest in d for d in status.repo_digests))

    def test_drain_is_bounded_when_a_pull_does_not_finish(self) -> None:
        timeout = 2
        daemon = self.new_daemon(["--shutdown-timeout", str(timeout)])
        image = self.signed_image("stuck", host=ENV.proxy.host)
        stuck = threading.Event()
        self.addCleanup(stuck.set)
        fired = ENV.proxy.add_hook(
            lambda method, path: path == f"/v2/{image.repository}/manifests/{image.tag}",
            lambda method, path: stuck.wait(30))
        self.addCleanup(ENV.proxy.clear_hooks)

        def pull() -> None:
            with daemon.cri() as client:
                try:
                    client.pull(image.ref(ENV.proxy.host), timeout=60)
                except CriError:
                    pass

        threading.Thread(target=pull, daemon=True).start()
        self.assertTrue(wait_for(lambda: fired() > 0, 10, 0.05))
        process = daemon.process
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        elapsed = time.monotonic() - started
        # --shutdown-timeout plus the daemon's 5 s grace, with slack for a busy machine.
        self.assertLess(elapsed, timeout + 5 + 3, daemon.log_text()[-2000:])
        print(f"\nstuck pull: stopped after {elapsed:.1f} s with exit status {process.returncode}",
              file=sys.stderr)
        # Either gRPC cancelled the handler at the deadline (clean stop) or the
        # guard ended the process and said why; never a hang.
        if process.returncode != 0:
            self.assertEqual(process.returncode, 1)
            self.assertIn("pulls still running", daemon.log_text())
        stuck.set()

    # -- kill -9 --------------------------------------------------------------

    def test_kill_9_at_random_points_of_100_pulls(self) -> None:
        import grpc
        seed = int(os.environ.get("PULLSENTRY_CRASH_SEED", random.randrange(1 << 30)))
        print(f"\nkill -9 test seed: {seed} (PULLSENTRY_CRASH_SEED={seed} replays it)", file=sys.stderr)
        rng = random.Random(seed)
        signed = [self.signed_image(f"signed-{i}") for i in range(8)]
        unsigned = [harness.make_image(ENV.registry.client(), f"crash/unsigned-{i}", "v1") for i in range(4)]
        # Unsigned blobs are unique to their images (random layers).
        unsigned_blobs = set().union(*(image.blobs for image in unsigned))
        daemon = self.new_daemon()

        acknowledged: dict[str, str] = {}  # ref -> digest the daemon said it pulled
        kills = 0
        transient = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
                     grpc.StatusCode.DEADLINE_EXCEEDED)

        def attempt(ref: str, result: dict) -> None:
            client = harness.CriClient(daemon.endpoint)
            try:
                result["ref"] = client.pull(ref, timeout=20)
            except CriError as exc:
                result["error"] = exc
            finally:
                client.close()

        def check_ledger(client_daemon: harness.Pullsentryd) -> None:
            """Every tag acknowledged so far is answered by tag, pinned as acknowledged."""
            with client_daemon.cri() as client:
                for ref, digest in acknowledged.items():
                    status = client.image_status(ref)
                    self.assertIsNotNone(status, f"acknowledged {ref} lost from the ledger (seed {seed})")
                    self.assertTrue(any(digest in d for d in status.repo_digests), ref)

        started = time.monotonic()
        for n in range(100):
            image = rng.choice(signed + unsigned) if n >= len(signed) else signed[n]
            ref = image.ref()
            # kubelet-style: retry what failed for a transient reason, with a
            # short backoff, against whatever daemon is serving by then.
            for tries in range(1, 12):
                result: dict = {}
                puller = threading.Thread(target=attempt, args=(ref, result))
                puller.start()
                killed = rng.random() < 0.35 and tries < 10
                if killed:
                    time.sleep(rng.uniform(0.0, 0.25))  # a random point of the pull
                    daemon.process.kill()
                    daemon.process.wait()
                    kills += 1
                puller.join(30)
                self.assertFalse(puller.is_alive(), f"pull {n} of {ref} hung (seed {seed})")
                if "ref" in result:
                    self.assertIn(image, signed, f"unsigned {ref} admitted (seed {seed})")
                    self.assertIn(result["ref"], image.configs)
                    acknowledged[ref] = image.digest
                if killed:
                    daemon.start()
                    check_ledger(daemon)
                if "ref" in result:
                    break
                code = result["error"].code
                if code == grpc.StatusCode.PERMISSION_DENIED:
                    self.assertIn(image, unsigned, f"signed {ref} refused: {result['error']} (seed {seed})")
                    break
                self.assertIn(code, transient, f"{ref}: {result['error']} (seed {seed})")
                time.sleep(0.05 * tries)
            else:
                self.fail(f"{ref} neither admitted nor refused after retries (seed {seed})")

        # Nothing unsigned ever reached containerd's store.
        self.assertFalse(unsigned_blobs & ENV.containerd.content_digests(),
                         f"content of an unsigned image is in containerd (seed {seed})")
        for name in ENV.containerd.images():
            self.assertFalse(any(image.repository in name for image in unsigned), name)
        # Every signed image was admitted at least once.
        self.assertEqual(set(acknowledged), {image.ref() for image in signed}, f"seed {seed}")

        # One last crash: every acknowledged tag is still answered by tag.
        daemon.process.kill()
        daemon.process.wait()
        daemon.start()
        check_ledger(daemon)
        print(f"kill -9 test: 100 pulls, {kills} kills, {time.monotonic() - started:.1f} s",
              file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
