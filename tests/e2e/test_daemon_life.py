"""End-to-end tests of pullsentryd's life on a node: policy reload, start-up
failures, a damaged ledger, and a dead registry that must not stall other
pulls. Real registry, real containerd, real daemon, as in test_pull_gate.

Run as root with Debian's interpreter::

    /usr/bin/python3 tests/e2e/test_daemon_life.py -v
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import CriError, wait_for, write_atomically  # noqa: E402

ENV: harness.Environment | None = None
KEY: harness.SigningKey | None = None
KEY_PATH: Path | None = None


def setUpModule() -> None:
    global ENV, KEY, KEY_PATH
    ENV, KEY, KEY_PATH = harness.module_environment()


class DaemonLifeTest(unittest.TestCase):
    def setUp(self) -> None:
        self.workdir = ENV.workdir / self.id().rsplit(".", 1)[-1]
        self.workdir.mkdir()
        self.policy_path = self.workdir / "policy.json"
        self.daemon: harness.Pullsentryd | None = None

    def tearDown(self) -> None:
        if self.daemon is not None:
            self.daemon.stop()

    def start_daemon(self, policy: harness.Policy | str) -> harness.CriClient:
        text = policy if isinstance(policy, str) else json.dumps(policy.to_dict())
        write_atomically(self.policy_path, text)
        self.daemon = harness.Pullsentryd(ENV.containerd.endpoint, self.policy_path,
                                          insecure_registries=ENV.hosts,
                                          workdir=self.workdir / "daemon")
        self.daemon.start()
        client = self.daemon.cri()
        self.addCleanup(client.close)
        return client

    def signed_image(self, name: str) -> harness.PushedImage:
        image = harness.make_image(ENV.registry.client(), f"team/{name}", "v1")
        harness.sign(image.ref(ENV.registry.host), image.digest, KEY, registry_url=ENV.registry.url)
        return image

    def team_policy(self) -> harness.Policy:
        return harness.Policy(default="reject").sigstore_signed(
            f"{ENV.registry.host}/team", KEY_PATH)

    def pull_code(self, client: harness.CriClient, ref: str, timeout: float = 30):
        try:
            client.pull(ref, timeout=timeout)
            return None
        except CriError as exc:
            return exc.code

    # -- policy reload --------------------------------------------------------

    def test_changed_policy_file_takes_effect_without_restart(self) -> None:
        import grpc
        image = self.signed_image("reload-a")
        client = self.start_daemon(harness.Policy(default="reject"))
        ref = image.ref(ENV.registry.host)
        self.assertEqual(self.pull_code(client, ref), grpc.StatusCode.PERMISSION_DENIED)

        write_atomically(self.policy_path, json.dumps(self.team_policy().to_dict()))
        self.assertTrue(wait_for(lambda: self.pull_code(client, ref) is None),
                        "new policy not in force:\n" + self.daemon.log_text()[-2000:])
        self.assertIn("policy reloaded", self.daemon.log_text())

    def test_broken_policy_change_keeps_the_previous_policy_serving(self) -> None:
        import grpc
        client = self.start_daemon(self.team_policy())
        first, second = self.signed_image("keep-a"), self.signed_image("keep-b")
        self.assertIsNone(self.pull_code(client, first.ref(ENV.registry.host)))

        write_atomically(self.policy_path, '{"default": [{"type": "signedBy"}]}')
        self.assertTrue(wait_for(lambda: "keeping the previous policy" in self.daemon.log_text()),
                        "a broken policy change was not reported")
        self.daemon.process.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.daemon.log_text().count("keeping the previous policy") >= 2))
        self.assertIn(str(self.policy_path), self.daemon.log_text())
        self.assertTrue(self.daemon.running, "daemon died on a broken policy")
        # The old policy still decides: signed admitted, unsigned refused.
        self.assertIsNone(self.pull_code(client, second.ref(ENV.registry.host)))
        unsigned = harness.make_image(ENV.registry.client(), "team/keep-unsigned", "v1")
        self.assertEqual(self.pull_code(client, unsigned.ref(ENV.registry.host)),
                         grpc.StatusCode.PERMISSION_DENIED)

    def test_notation_trust_policy_loads_as_it_is_and_fails_closed(self) -> None:
        import grpc
        host = ENV.registry.host
        signed = harness.make_image(ENV.registry.client(), "notation/signed", "v1")
        open_image = harness.make_image(ENV.registry.client(), "notation/open", "v1")
        trust_policy = {"version": "1.0", "trustPolicies": [
            {"name": "team", "registryScopes": [f"{host}/notation/signed"],
             "signatureVerification": {"level": "strict"},
             "trustStores": ["ca:team"], "trustedIdentities": ["*"]},
            {"name": "open", "registryScopes": [f"{host}/notation/open"],
             "signatureVerification": {"level": "skip"}}]}
        client = self.start_daemon(json.dumps(trust_policy))
        self.assertIn("notation trustpolicy.json", self.daemon.log_text())
        # Notation signatures are not verified yet: a scope that needs them refuses.
        try:
            client.pull(signed.ref(host), timeout=30)
            self.fail("a Notation-verified scope admitted an image pullsentry cannot verify yet")
        except CriError as exc:
            self.assertEqual(exc.code, grpc.StatusCode.PERMISSION_DENIED)
            self.assertIn("not supported yet", exc.message)
        # skip admits, and the conversion's warning is in the log.
        self.assertIsNone(self.pull_code(client, open_image.ref(host)))
        self.assertIn("skip", self.daemon.log_text())
        # Nothing outside the policy's scopes is admitted (no "*" policy).
        other = harness.make_image(ENV.registry.client(), "elsewhere/app", "v1")
        self.assertEqual(self.pull_code(client, other.ref(host)), grpc.StatusCode.PERMISSION_DENIED)

    # -- start-up -------------------------------------------------------------

    def test_unloadable_policy_stops_start_up_naming_file_and_error(self) -> None:
        write_atomically(self.policy_path, '{"default": [{"type": "sigstoreSigned", '
                                           '"keyPath": "/nonexistent/key.pub"}]}')
        result = subprocess.run(
            [str(harness.default_pullsentryd_binary()), "--listen", f"unix://{self.workdir}/x.sock",
             "--runtime-endpoint", ENV.containerd.endpoint, "--policy", str(self.policy_path),
             "--state-dir", str(self.workdir / "state")],
            capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(str(self.policy_path), result.stderr)
        self.assertIn("/nonexistent/key.pub", result.stderr)
        self.assertFalse((self.workdir / "x.sock").exists())

    def test_missing_policy_needs_an_explicit_default(self) -> None:
        import grpc
        missing = self.workdir / "absent.json"
        result = subprocess.run(
            [str(harness.default_pullsentryd_binary()), "--listen", f"unix://{self.workdir}/x.sock",
             "--runtime-endpoint", ENV.containerd.endpoint, "--policy", str(missing),
             "--state-dir", str(self.workdir / "state")],
            capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(str(missing), result.stderr)
        self.assertIn("--default-policy", result.stderr)

        # With --default-policy=reject it serves, refusing everything, until
        # the policy file appears.
        self.daemon = harness.Pullsentryd(ENV.containerd.endpoint, self.policy_path,
                                          insecure_registries=ENV.hosts, workdir=self.workdir / "daemon",
                                          extra_args=["--default-policy", "reject"])
        self.daemon.start()
        client = self.daemon.cri()
        self.addCleanup(client.close)
        image = self.signed_image("default-policy")
        ref = image.ref(ENV.registry.host)
        self.assertEqual(self.pull_code(client, ref), grpc.StatusCode.PERMISSION_DENIED)
        write_atomically(self.policy_path, json.dumps(self.team_policy().to_dict()))
        self.assertTrue(wait_for(lambda: self.pull_code(client, ref) is None),
                        "the new policy file was not picked up:\n" + self.daemon.log_text()[-2000:])

    # -- the ledger -----------------------------------------------------------

    def test_damaged_ledger_is_set_aside_and_never_admits(self) -> None:
        client = self.start_daemon(self.team_policy())
        image = self.signed_image("ledger")
        ref = image.ref(ENV.registry.host)
        self.assertIsNone(self.pull_code(client, ref))
        self.assertIsNotNone(client.image_status(ref))

        self.daemon.stop()
        ledger = self.daemon.state_dir / "tag-ledger.json"
        ledger.write_text(ledger.read_text()[:-20])  # torn write
        self.daemon.start()
        client = self.daemon.cri()
        self.addCleanup(client.close)
        self.assertIn("damaged", self.daemon.log_text())
        self.assertTrue(list(self.daemon.state_dir.glob("tag-ledger.json.damaged-*")))
        # By tag the image is unknown again (kubelet would pull, and verify) ...
        self.assertIsNone(client.image_status(ref))
        # ... and a pull verifies again and restores the entry.
        self.assertIsNone(self.pull_code(client, ref))
        self.assertIsNotNone(client.image_status(ref))

    # -- a dead registry ------------------------------------------------------

    def test_dead_registry_delays_only_its_own_pulls(self) -> None:
        import grpc
        # A registry that accepts connections and never answers.
        blackhole = socket.socket()
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(16)
        self.addCleanup(blackhole.close)
        dead_host = f"127.0.0.1:{blackhole.getsockname()[1]}"
        policy = self.team_policy().accept_anything(dead_host)
        write_atomically(self.policy_path, json.dumps(policy.to_dict()))
        self.daemon = harness.Pullsentryd(ENV.containerd.endpoint, self.policy_path,
                                          insecure_registries=ENV.hosts + [dead_host],
                                          workdir=self.workdir / "daemon")
        self.daemon.start()
        client = self.daemon.cri()
        self.addCleanup(client.close)
        image = self.signed_image("alive")

        outcome = {}

        def stuck_pull() -> None:
            started = time.monotonic()
            outcome["code"] = self.pull_code(client, f"{dead_host}/stuck/app:v1", timeout=4)
            outcome["seconds"] = time.monotonic() - started

        stuck = threading.Thread(target=stuck_pull)
        stuck.start()
        time.sleep(0.5)
        self.assertIsNone(self.pull_code(client, image.ref(ENV.registry.host)))
        self.assertTrue(stuck.is_alive(), "the dead registry answered?")
        stuck.join(30)
        self.assertFalse(stuck.is_alive())
        self.assertIn(outcome["code"], (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE))
        # The caller's 4 s deadline was honoured (with slack for a busy machine).
        self.assertLess(outcome["seconds"], 10)


if __name__ == "__main__":
    unittest.main()
