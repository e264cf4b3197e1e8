"""End-to-end tests of pullsentry's own policy format through the real
daemon and containerd: namespaces, modes, break-glass, composition, and a
reload in the middle of concurrent pulls.

Run as root with Debian's interpreter::

    /usr/bin/python3 tests/e2e/test_native_policy.py -v
"""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import os
import signal
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import CriError  # noqa: E402

try:
    import grpc
except ImportError:
    grpc = None

ENV: harness.Environment | None = None
TEAM: harness.SigningKey | None = None
RELEASE: harness.SigningKey | None = None
POLICY_PATH: Path | None = None
CLIENT: harness.CriClient | None = None


def write_atomically(path: Path, document: dict) -> None:
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(json.dumps(document, indent=1))
    os.replace(tmp, path)


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def registry() -> str:
    return ENV.registry.host


def base_policy(break_glass: list | None = None, team_mode: str = "enforce") -> dict:
    """team/: signed by the team key (repository identity); dev relaxes to
    warn; payments needs both keys; audit/ only records; the rest is rejected."""
    return {
        "version": 1,
        "verifiers": {
            "team-key": {"type": "cosignKey", "keyPaths": ["team.pub"]},
            "release-key": {"type": "cosignKey", "keyPaths": ["release.pub"]},
        },
        "default": {"require": "reject"},
        "scopes": [
            {"match": f"{registry()}/team", "mode": team_mode, "require": "team-key",
             "identity": {"type": "repository"},
             "namespaces": {"dev": {"mode": "warn"},
                            "payments": {"require": {"allOf": ["team-key", "release-key"]}}}},
            {"match": f"{registry()}/audit", "mode": "audit", "require": "team-key"},
        ],
        "breakGlass": break_glass or [],
    }


def setUpModule() -> None:
    global ENV, TEAM, RELEASE, POLICY_PATH, CLIENT
    problems = harness.missing_prerequisites()
    if grpc is None:
        problems.append("Python module grpc missing (use /usr/bin/python3)")
    if problems:
        raise unittest.SkipTest("pullsentry e2e skipped: " + "; ".join(problems))
    ENV = harness.Environment()
    unittest.addModuleCleanup(ENV.close)
    ENV.start()
    TEAM = harness.SigningKey("ecdsa-p256")
    RELEASE = harness.SigningKey("ed25519")
    policy_dir = ENV.workdir / "policy"
    policy_dir.mkdir()
    TEAM.write_public(policy_dir / "team.pub")
    RELEASE.write_public(policy_dir / "release.pub")
    POLICY_PATH = policy_dir / "policy.json"
    write_atomically(POLICY_PATH, base_policy())
    ENV.start_pullsentryd(POLICY_PATH)
    CLIENT = ENV.pullsentryd.cri()
    unittest.addModuleCleanup(CLIENT.close)


class NativePolicyTest(unittest.TestCase):
    def push(self, namespace: str, *keys: harness.SigningKey) -> harness.PushedImage:
        image = harness.make_image(ENV.registry.client(), f"{namespace}/app-{os.urandom(4).hex()}", "v1")
        for key in keys:
            harness.sign(image.ref(registry()), image.digest, key, registry_url=ENV.registry.url)
        return image

    def code_of(self, image: harness.PushedImage, namespace: str | None = None):
        try:
            CLIENT.pull(image.ref(registry()), namespace=namespace, timeout=60)
            return None
        except CriError as exc:
            return exc.code

    def assert_nothing_pulled(self, image: harness.PushedImage) -> None:
        self.assertFalse(image.blobs & ENV.containerd.content_digests(),
                         "a refused image reached containerd")

    def test_signed_admitted_unsigned_refused_naming_the_scope(self) -> None:
        self.assertIsNone(self.code_of(self.push("team", TEAM)))
        unsigned = self.push("team")
        try:
            CLIENT.pull(unsigned.ref(registry()), timeout=60)
            self.fail("unsigned image admitted")
        except CriError as exc:
            self.assertEqual(exc.code, grpc.StatusCode.PERMISSION_DENIED)
            self.assertIn(f'scope "{registry()}/team"', exc.message)
            self.assertIn("no signature", exc.message)
            self.assertIn(unsigned.digest, exc.message)
        self.assert_nothing_pulled(unsigned)

    def test_namespace_override_relaxes_only_its_namespace(self) -> None:
        unsigned = self.push("team")
        self.assertEqual(self.code_of(unsigned, namespace="prod"), grpc.StatusCode.PERMISSION_DENIED)
        self.assert_nothing_pulled(unsigned)
        self.assertIsNone(self.code_of(unsigned, namespace="dev"))
        self.assertIn("warn mode, would refuse", ENV.pullsentryd.log_text())

    def test_namespace_override_tightens_to_both_keys(self) -> None:
        team_only = self.push("team", TEAM)
        both = self.push("team", TEAM, RELEASE)
        self.assertEqual(self.code_of(team_only, namespace="payments"), grpc.StatusCode.PERMISSION_DENIED)
        self.assertIsNone(self.code_of(both, namespace="payments"))
        self.assertIsNone(self.code_of(team_only, namespace="web"))

    def test_audit_scope_admits_and_records(self) -> None:
        unsigned = self.push("audit")
        self.assertIsNone(self.code_of(unsigned))
        self.assertIn("audit mode, would refuse", ENV.pullsentryd.log_text())

    def test_default_rejects_everything_else(self) -> None:
        other = self.push("elsewhere", TEAM)
        self.assertEqual(self.code_of(other), grpc.StatusCode.PERMISSION_DENIED)
        self.assert_nothing_pulled(other)

    def test_break_glass_admits_its_digest_until_it_expires(self) -> None:
        unsigned = self.push("elsewhere")
        self.assertEqual(self.code_of(unsigned), grpc.StatusCode.PERMISSION_DENIED)
        now = datetime.datetime.now(datetime.timezone.utc)

        def entry(expires: datetime.datetime) -> list:
            return [{"digest": unsigned.digest, "reason": "INC-1: hotfix",
                     "expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}]

        try:
            write_atomically(POLICY_PATH, base_policy(entry(now - datetime.timedelta(hours=1))))
            ENV.pullsentryd.process.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(
                lambda: ENV.pullsentryd.log_text().count("policy reloaded") >= 1, 10))
            self.assertEqual(self.code_of(unsigned), grpc.StatusCode.PERMISSION_DENIED, "expired entry admitted")

            before = ENV.pullsentryd.log_text().count("policy reloaded")
            write_atomically(POLICY_PATH, base_policy(entry(now + datetime.timedelta(hours=1))))
            self.assertTrue(wait_for(
                lambda: ENV.pullsentryd.log_text().count("policy reloaded") > before, 10))
            self.assertIsNone(self.code_of(unsigned))
            self.assertIn("INC-1", ENV.pullsentryd.log_text())
        finally:
            write_atomically(POLICY_PATH, base_policy())

    def test_reload_during_concurrent_pulls_never_admits_what_neither_policy_admits(self) -> None:
        """Flip team/ between enforce and warn while 100 pulls run: unsigned
        team images may go either way, but images that neither policy admits
        (signed by an unknown key outside any scope) are never admitted."""
        rogue = harness.SigningKey("ecdsa-p256")
        never = [self.push("elsewhere", rogue) for _ in range(5)]
        maybe = [self.push("team") for _ in range(5)]
        always = [self.push("team", TEAM) for _ in range(5)]
        jobs = [(img, "never") for img in never] + [(img, "maybe") for img in maybe] + \
               [(img, "always") for img in always]
        jobs = (jobs * 7)[:100]

        stop = False

        def flip() -> None:
            mode = "warn"
            while not stop:
                write_atomically(POLICY_PATH, base_policy(team_mode=mode))
                mode = "enforce" if mode == "warn" else "warn"
                time.sleep(0.05)

        flipper = concurrent.futures.ThreadPoolExecutor(1)
        flipping = flipper.submit(flip)
        try:
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                results = list(pool.map(lambda job: (job[1], self.code_of(job[0])), jobs))
        finally:
            stop = True
            flipping.result()
            flipper.shutdown()
            write_atomically(POLICY_PATH, base_policy())
        for kind, code in results:
            if kind == "never":
                self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED)
            if kind == "always":
                self.assertIsNone(code)
        for image in never:
            self.assert_nothing_pulled(image)
        self.assertIn("policy reloaded", ENV.pullsentryd.log_text())


if __name__ == "__main__":
    unittest.main()
