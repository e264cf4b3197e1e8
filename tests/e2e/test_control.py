"""End-to-end tests of the control socket, `pullsentry status|cache|doctor`
and pullsentry-containerd-verifier, against the real daemon, containerd and
registry.

The verifier hook is run exactly as containerd's image verifier plugin runs
it (containerd 2.1's bindir: argv, the OCI descriptor on stdin, exit status
and stdout); Debian's containerd 1.6 has no such plugin to run it for us.

Run as root with Debian's interpreter::

    /usr/bin/python3 tests/e2e/test_control.py -v
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

FIXTURES = harness.REPO_ROOT / "tests" / "fixtures" / "doctor"
DESCRIPTOR_TYPE = "application/vnd.oci.descriptor.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"

ENV: harness.Environment | None = None
TEAM: harness.SigningKey | None = None
CLI: Path | None = None
HOOK: Path | None = None
WORK: Path | None = None


def registry() -> str:
    return ENV.registry.host


def control_socket() -> str:
    return str(ENV.pullsentryd.control_socket)


def run(argv: list, *, stdin: str | None = None, env: dict | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], input=stdin, capture_output=True, text=True,
                          env=env, timeout=timeout)


def setUpModule() -> None:
    global ENV, TEAM, CLI, HOOK, WORK
    problems = harness.missing_prerequisites()
    CLI = harness.default_cli_binary("pullsentry")
    HOOK = harness.default_cli_binary("control/pullsentry-containerd-verifier")
    for binary in (CLI, HOOK):
        if not os.access(binary, os.X_OK):
            problems.append(f"{binary} not built")
    if problems:
        raise unittest.SkipTest("pullsentry e2e skipped: " + "; ".join(problems))
    ENV = harness.Environment()
    unittest.addModuleCleanup(ENV.close)
    ENV.start()
    WORK = ENV.workdir / "control-test"
    WORK.mkdir()
    TEAM = harness.SigningKey("ecdsa-p256")
    policy_dir = ENV.workdir / "policy"
    policy_dir.mkdir()
    TEAM.write_public(policy_dir / "team.pub")
    policy = {
        "version": 1,
        "verifiers": {"team-key": {"type": "cosignKey", "keyPaths": ["team.pub"]}},
        "default": {"require": "reject"},
        "scopes": [{"match": f"{registry()}/team", "require": "team-key", "identity": {"type": "repository"}}],
    }
    (policy_dir / "policy.json").write_text(json.dumps(policy))
    ENV.start_pullsentryd(policy_dir / "policy.json", extra_args=["--trust-store", str(trust_store())])


def push(name: str, signed: bool) -> harness.PushedImage:
    image = harness.make_image(ENV.registry.client(), f"team/{name}-{os.urandom(4).hex()}", "v1")
    if signed:
        harness.sign(image.ref(registry()), image.digest, TEAM, registry_url=ENV.registry.url)
    return image


def policy_hash() -> str:
    hashes = re.findall(r"hash (sha256:[0-9a-f]{64})", ENV.pullsentryd.log_text())
    assert hashes, "the daemon's log names no policy hash"
    return hashes[-1]


def hook(image: harness.PushedImage, *, digest: str | None = None,
         socket: str | None = None) -> subprocess.CompletedProcess:
    """Runs the hook as containerd's bindir verifier does: these flags, the
    descriptor of the resolved manifest on stdin, containerd's environment
    (here only the control socket's location)."""
    digest = digest or image.digest
    manifest = ENV.registry.client().get_manifest(image.repository, image.digest)
    descriptor = {"mediaType": image.media_type, "digest": digest, "size": len(manifest.body)}
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
           "PULLSENTRY_CONTROL_SOCKET": socket or control_socket()}
    return run([HOOK, "-name", image.ref(registry()), "-digest", digest, "-stdin-media-type", DESCRIPTOR_TYPE],
               stdin=json.dumps(descriptor), env=env, timeout=15)


def kubelet_config(endpoint: str) -> Path:
    path = WORK / f"kubelet-{os.urandom(3).hex()}.yaml"
    path.write_text("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                    "containerRuntimeEndpoint: " + ENV.containerd.endpoint + "\n"
                    "imageServiceEndpoint: " + endpoint + "\n")
    return path


def good_containerd_config() -> Path:
    """The good fixture, its verifier bin_dir holding the hook."""
    bin_dir = WORK / "verifier-bin"
    bin_dir.mkdir(exist_ok=True)
    shutil.copy2(HOOK, bin_dir / "pullsentry-containerd-verifier")
    path = WORK / "containerd-good.toml"
    path.write_text((FIXTURES / "containerd-good.toml").read_text().replace("@BIN_DIR@", str(bin_dir)))
    return path


def trust_store() -> Path:
    """The daemon's trust store (written once: the daemon reloads on changes)."""
    path = WORK / "truststore"
    if not (path / "keys" / "team.pub").exists():
        (path / "keys").mkdir(parents=True, exist_ok=True)
        TEAM.write_public(path / "keys" / "team.pub")
    return path


def doctor(*args) -> subprocess.CompletedProcess:
    return run([CLI, "doctor", "--control-socket", control_socket(), "--trust-store", trust_store(), *args],
               timeout=120)


class StatusAndCacheTest(unittest.TestCase):
    def test_status_shows_the_policy_hash(self) -> None:
        result = run([CLI, "status", "--control-socket", control_socket()])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(policy_hash(), result.stdout)
        self.assertIn("native", result.stdout)
        as_json = run([CLI, "status", "--control-socket", control_socket(), "--json"])
        self.assertEqual(as_json.returncode, 0, as_json.stderr)
        status = json.loads(as_json.stdout)
        self.assertEqual(status["policy"]["hash"], policy_hash())
        self.assertEqual(status["trust_store"], str(trust_store()))
        self.assertRegex(status["trust_hash"], r"^sha256:[0-9a-f]{64}$")
        self.assertIn(status["trust_hash"], result.stdout)
        self.assertEqual(status["listen"], ENV.pullsentryd.endpoint)
        self.assertGreaterEqual(status["uptime_seconds"], 0)

    def test_counters_follow_decisions(self) -> None:
        def counters() -> dict:
            out = run([CLI, "status", "--control-socket", control_socket(), "--json"])
            return json.loads(out.stdout)["counters"]
        before = counters()
        with ENV.pullsentryd.cri() as client:
            with self.assertRaises(harness.CriError):
                client.pull(push("counted", signed=False).ref(registry()), timeout=60)
        after = counters()
        self.assertEqual(after["decisions_refused"], before["decisions_refused"] + 1)

    def test_cache_list_and_flush(self) -> None:
        image = push("cached", signed=True)
        with ENV.pullsentryd.cri() as client:
            client.pull(image.ref(registry()), timeout=60)
        listed = run([CLI, "cache", "list", "--control-socket", control_socket(), "--json"])
        if "cache not enabled" in listed.stderr:
            self.skipTest("this daemon runs without a verdict cache")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        entries = json.loads(listed.stdout)
        mine = [e for e in entries if e["digest"] == image.digest]
        self.assertTrue(mine, entries)
        self.assertTrue(mine[0]["admitted"])
        self.assertEqual(mine[0]["policy_hash"], policy_hash())
        text = run([CLI, "cache", "list", "--control-socket", control_socket()])
        self.assertIn(image.digest, text.stdout)

        flushed = run([CLI, "cache", "flush", "--control-socket", control_socket()])
        self.assertEqual(flushed.returncode, 0, flushed.stderr)
        count = int(re.search(r"flushed (\d+)", flushed.stdout).group(1))
        self.assertGreaterEqual(count, 1)
        after = json.loads(run([CLI, "cache", "list", "--control-socket", control_socket(), "--json"]).stdout)
        self.assertEqual(after, [])

    def test_non_root_peer_is_refused(self) -> None:
        if shutil.which("setpriv") is None:
            self.skipTest("setpriv missing")
        # The CLI must be reachable for uid 65534, or the refusal proves nothing.
        cli = WORK / "pullsentry-for-nobody"
        shutil.copy2(CLI, cli)
        os.chmod(WORK, 0o755)
        as_nobody = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", cli]
        result = run(as_nobody + ["status", "--control-socket", control_socket()])
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("root-only", result.stderr)
        self.assertNotIn(policy_hash(), result.stdout + result.stderr)

        # Even with the socket's mode and directory opened up, the daemon
        # checks the peer's credentials and answers nothing.
        socket = Path(control_socket())
        saved = [(p, stat.S_IMODE(p.stat().st_mode)) for p in (socket, socket.parent, socket.parent.parent)]
        try:
            os.chmod(socket, 0o666)
            for directory in (socket.parent, socket.parent.parent):
                os.chmod(directory, 0o755)
            opened = run(as_nobody + ["status", "--control-socket", str(socket)])
        finally:
            for path, mode in saved:
                os.chmod(path, mode)
        self.assertEqual(opened.returncode, 1, opened.stdout + opened.stderr)
        self.assertIn("answers root only", opened.stderr)
        self.assertIn("uid 65534", opened.stderr)
        self.assertNotIn(policy_hash(), opened.stdout + opened.stderr)
        self.assertIn("refused a peer with uid 65534", ENV.pullsentryd.log_text())


    def test_usage_errors_exit_2(self) -> None:
        for argv in (["status", "--bogus"], ["cache"], ["cache", "drop"], ["doctor", "--endpoint", "tcp://x:1"],
                     ["doctor", "--probe"]):
            result = run([CLI, *argv])
            self.assertEqual(result.returncode, 2, f"{argv}: {result.stdout}{result.stderr}")
            self.assertTrue(result.stderr.strip(), argv)


class ContainerdVerifierHookTest(unittest.TestCase):
    def test_signed_image_is_allowed(self) -> None:
        image = push("hook-signed", signed=True)
        result = hook(image)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("admitted", result.stdout)
        self.assertIn(image.digest, result.stdout)

    def test_unsigned_image_is_blocked_with_a_reason(self) -> None:
        image = push("hook-unsigned", signed=False)
        result = hook(image)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("refused", result.stdout)
        self.assertIn("no signature", result.stdout)
        self.assertLessEqual(len(result.stdout.encode()), 32 * 1024)

    def test_descriptor_for_another_digest_is_blocked(self) -> None:
        signed = push("hook-mismatch", signed=True)
        manifest = ENV.registry.client().get_manifest(signed.repository, signed.digest)
        other = "sha256:" + "0" * 64
        descriptor = {"mediaType": MANIFEST_TYPE, "digest": other, "size": len(manifest.body)}
        result = run([HOOK, "-name", signed.ref(registry()), "-digest", signed.digest,
                      "-stdin-media-type", DESCRIPTOR_TYPE], stdin=json.dumps(descriptor),
                     env={"PULLSENTRY_CONTROL_SOCKET": control_socket()}, timeout=15)
        self.assertNotEqual(result.returncode, 0, result.stdout)

    def test_blocked_when_the_daemon_is_stopped(self) -> None:
        image = push("hook-down", signed=True)
        self.assertEqual(hook(image).returncode, 0)
        ENV.pullsentryd.stop()
        try:
            started = time.monotonic()
            result = hook(image)
            self.assertLess(time.monotonic() - started, 10)
            self.assertNotEqual(result.returncode, 0, result.stdout)
            self.assertIn("no verdict from pullsentryd", result.stdout)
        finally:
            ENV.pullsentryd.start()
        self.assertEqual(hook(image).returncode, 0)


class DoctorTest(unittest.TestCase):
    def test_good_configuration_has_no_broken_link(self) -> None:
        result = doctor("--kubelet-config", kubelet_config(ENV.pullsentryd.endpoint),
                        "--containerd-config", good_containerd_config())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no broken link", result.stdout)
        self.assertIn(policy_hash(), result.stdout)

    def test_kubelet_past_pullsentryd_is_named(self) -> None:
        result = doctor("--kubelet-config", kubelet_config(ENV.containerd.endpoint),
                        "--containerd-config", good_containerd_config())
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("broken link: kubelet", result.stdout)

    def test_local_pull_fallback_in_containerd_is_named(self) -> None:
        result = doctor("--kubelet-config", kubelet_config(ENV.pullsentryd.endpoint),
                        "--containerd-config", FIXTURES / "containerd-local-pull.toml")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("broken link: containerd", result.stdout)
        self.assertIn("use_local_image_pull = true", result.stdout)

    def test_daemon_not_answering_is_named(self) -> None:
        result = run([CLI, "doctor", "--control-socket", str(WORK / "nothing.sock"),
                      "--kubelet-config", kubelet_config(ENV.pullsentryd.endpoint),
                      "--containerd-config", good_containerd_config(), "--trust-store", trust_store()])
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertRegex(result.stdout, r"broken links?: (.*, )?daemon")
        self.assertRegex(result.stdout, r"FAIL\s+daemon\s+pullsentryd does not answer")

    def test_probe_is_refused_through_pullsentryd(self) -> None:
        unsigned = push("probe", signed=False)
        result = doctor("--kubelet-config", kubelet_config(ENV.pullsentryd.endpoint),
                        "--containerd-config", good_containerd_config(),
                        "--probe", unsigned.ref(registry()))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"ok\s+probe\s+refused as it should be")
        self.assertFalse(unsigned.blobs & ENV.containerd.content_digests())

    def test_probe_straight_to_containerd_fails(self) -> None:
        unsigned = push("probe-bypass", signed=False)
        result = doctor("--kubelet-config", kubelet_config(ENV.pullsentryd.endpoint),
                        "--containerd-config", good_containerd_config(),
                        "--probe", unsigned.ref(registry()), "--endpoint", ENV.containerd.endpoint)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("broken link: probe", result.stdout)
        self.assertIn("NOT verified", result.stdout)


if __name__ == "__main__":
    unittest.main()
