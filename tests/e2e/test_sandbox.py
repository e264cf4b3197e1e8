"""End-to-end tests of pullsentryd's seccomp self-sandbox: the running daemon
is confined (Seccomp: 2, NoNewPrivs: 1) and still does its whole job under
the filter — admits, refuses, resolves host names, answers the other CRI
calls and reloads its policy; ``--no-seccomp`` runs unconfined and says so.

Run as root with Debian's interpreter::

    /usr/bin/python3 tests/e2e/test_sandbox.py -v
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
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


def proc_status(pid: int) -> dict[str, str]:
    return proc_status_path(Path(f"/proc/{pid}"))


def proc_status_path(process_dir: Path) -> dict[str, str]:
    """/proc/PID/status (or a task's) as a dict."""
    fields = {}
    for line in (process_dir / "status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


class SandboxTest(unittest.TestCase):
    def setUp(self) -> None:
        # Short: unix socket paths (the control socket's too) are limited to 107 bytes.
        self.workdir = Path(tempfile.mkdtemp(prefix="t", dir=ENV.workdir))
        self.policy_path = self.workdir / "policy.json"
        self.daemon: harness.Pullsentryd | None = None

    def tearDown(self) -> None:
        if self.daemon is not None:
            self.daemon.stop()

    def start_daemon(self, policy: harness.Policy, extra_args=(), hosts=()) -> harness.CriClient:
        write_atomically(self.policy_path, json.dumps(policy.to_dict()))
        self.daemon = harness.Pullsentryd(ENV.containerd.endpoint, self.policy_path,
                                          insecure_registries=ENV.hosts + list(hosts),
                                          workdir=self.workdir / "daemon",
                                          extra_args=list(extra_args))
        self.daemon.start()
        client = self.daemon.cri()
        self.addCleanup(client.close)
        return client

    def signed_image(self, name: str) -> harness.PushedImage:
        image = harness.make_image(ENV.registry.client(), f"team/{name}", "v1")
        harness.sign(image.ref(ENV.registry.host), image.digest, KEY, registry_url=ENV.registry.url)
        return image

    def team_policy(self) -> harness.Policy:
        return harness.Policy(default="reject").sigstore_signed(f"{ENV.registry.host}/team", KEY_PATH)

    def pull_code(self, client: harness.CriClient, ref: str):
        try:
            client.pull(ref, timeout=30)
            return None
        except CriError as exc:
            return exc.code

    def assert_confined(self) -> None:
        status = proc_status(self.daemon.process.pid)
        self.assertEqual(status.get("Seccomp"), "2", "pullsentryd runs without its seccomp filter")
        self.assertEqual(status.get("NoNewPrivs"), "1")
        # Every thread, not only the main one (the filter is installed with TSYNC).
        for task in Path(f"/proc/{self.daemon.process.pid}/task").iterdir():
            try:
                self.assertEqual(proc_status_path(task).get("Seccomp"), "2", f"thread {task.name}")
            except FileNotFoundError:
                pass  # the thread ended meanwhile

    def test_confined_daemon_still_admits_refuses_and_answers(self) -> None:
        import grpc
        client = self.start_daemon(self.team_policy())
        self.assert_confined()
        self.assertIn("seccomp filter installed", self.daemon.log_text())

        signed = self.signed_image("sandbox-signed")
        unsigned = harness.make_image(ENV.registry.client(), "team/sandbox-unsigned", "v1")
        self.assertIsNone(self.pull_code(client, signed.ref()))
        with self.assertRaises(CriError) as refused:
            client.pull(unsigned.ref(), timeout=30)
        self.assertEqual(refused.exception.code, grpc.StatusCode.PERMISSION_DENIED)
        self.assertNotIn(unsigned.digest, ENV.containerd.content_digests())

        # The pass-through and ledger-translated calls work under the filter.
        status = client.image_status(signed.ref())
        self.assertIsNotNone(status)
        self.assertTrue(any(signed.digest in d for d in status.repo_digests))
        self.assertTrue(client.list_images())
        client.image_fs_info()
        client.remove_image(signed.ref())
        self.assertIsNone(client.image_status(signed.ref()))
        # The removal rewrote the ledger (open, write, fsync, rename) under the filter.
        self.assertNotIn(f"{signed.repository}", (self.daemon.state_dir / "tag-ledger.json").read_text())
        self.assert_confined()
        self.assertTrue(self.daemon.running)

    def test_host_names_resolve_under_the_filter(self) -> None:
        import grpc
        # "localhost" goes through getaddrinfo (NSS, /etc/hosts) inside the
        # confined daemon; the refusal must be the verdict, not a lookup error.
        port = ENV.registry.host.rsplit(":", 1)[1]
        named = f"localhost:{port}"
        policy = self.team_policy().sigstore_signed(f"{named}/team", KEY_PATH)
        client = self.start_daemon(policy, hosts=[named])
        unsigned = harness.make_image(ENV.registry.client(), "team/sandbox-named", "v1")
        with self.assertRaises(CriError) as refused:
            client.pull(f"{named}/team/sandbox-named:v1", timeout=30)
        self.assertEqual(refused.exception.code, grpc.StatusCode.PERMISSION_DENIED,
                         refused.exception.message)
        self.assertIn(unsigned.digest, refused.exception.message,
                      "the daemon did not reach the registry by name: " + refused.exception.message)
        self.assert_confined()

    def test_policy_reload_works_under_the_filter(self) -> None:
        import grpc
        image = self.signed_image("sandbox-reload")
        client = self.start_daemon(harness.Policy(default="reject"))
        self.assert_confined()
        self.assertEqual(self.pull_code(client, image.ref()), grpc.StatusCode.PERMISSION_DENIED)

        # A file change (inotify, reading the policy and its key again).
        write_atomically(self.policy_path, json.dumps(self.team_policy().to_dict()))
        self.assertTrue(wait_for(lambda: self.pull_code(client, image.ref()) is None),
                        "changed policy not in force under the filter:\n" + self.daemon.log_text()[-2000:])
        # SIGHUP, back to refusing everything.
        write_atomically(self.policy_path, json.dumps(harness.Policy(default="reject").to_dict()))
        reloads = self.daemon.log_text().count("policy reloaded")
        self.daemon.process.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.daemon.log_text().count("policy reloaded") > reloads))
        self.assertTrue(wait_for(lambda: self.pull_code(client, image.ref()) == grpc.StatusCode.PERMISSION_DENIED))
        self.assert_confined()

    def test_no_seccomp_runs_unconfined_and_says_so(self) -> None:
        client = self.start_daemon(self.team_policy(), extra_args=["--no-seccomp"])
        status = proc_status(self.daemon.process.pid)
        self.assertEqual(status.get("Seccomp"), "0")
        log = self.daemon.log_text()
        self.assertIn("WITHOUT the seccomp filter", log)
        self.assertNotIn("seccomp filter installed", log)
        image = self.signed_image("sandbox-unconfined")
        self.assertIsNone(self.pull_code(client, image.ref()))
        # SIGTERM still ends it cleanly (the hourly reminder thread stops too).
        self.assertEqual(self.daemon.stop(timeout=15), 0)
        self.daemon = None


if __name__ == "__main__":
    unittest.main()
