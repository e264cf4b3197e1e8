"""pullsentryd against a registry that misbehaves on purpose.

For every misbehaviour in tests/e2e/hostile_registry.py, a pull through the
real daemon (in front of a real containerd) must be refused with a clear
reason within a stated time, nothing from the hostile registry may reach
containerd, and a pull of a good signed image from an honest registry, made
through the same daemon at the same moment, must still be admitted. At the
end the daemon's peak memory must stay under a stated bound.

Bounds (the daemon runs with ``--registry-timeout 5``):

* every refusal arrives within ``REFUSAL_BOUND`` seconds (registry timeout
  plus slack for a loaded 2-core machine);
* peak resident memory (VmHWM) of pullsentryd over the whole module stays
  under ``MEMORY_BOUND_MIB`` MiB, although the registry offers 1 GiB bodies,
  endless bodies and a gzip bomb.

Run as root with Debian's interpreter::

    /usr/bin/python3 tests/e2e/test_hostile_registry.py -v
"""

from __future__ import annotations

import concurrent.futures
import re
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import CriError  # noqa: E402
import hostile_registry  # noqa: E402

REGISTRY_TIMEOUT = 5
REFUSAL_BOUND = 15.0
GOOD_PULL_BOUND = 30.0
MEMORY_BOUND_MIB = 64

ENV: harness.Environment | None = None
DAEMON: harness.Pullsentryd | None = None
HOSTILE: hostile_registry.HostileRegistry | None = None
TLS_WRONG_NAME: hostile_registry.HostileRegistry | None = None
TLS_RIGHT_NAME: hostile_registry.HostileRegistry | None = None
KEY: harness.SigningKey | None = None
FIGURES: list[str] = []


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_tls_material(directory: Path) -> dict[str, Path]:
    """A test CA and two server certificates, made with the openssl CLI."""
    directory.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=pullsentry test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
             cwd=directory)
    for name, san in (("wrong", "DNS:wrong.invalid"), ("right", "IP:127.0.0.1")):
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}",
                 cwd=directory)
        (directory / f"{name}.ext").write_text(
            f"subjectAltName={san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
                 cwd=directory)
    return {name: directory / name for name in ("ca.pem", "wrong.pem", "wrong.key", "right.pem", "right.key")}


def setUpModule() -> None:
    global ENV, DAEMON, HOSTILE, TLS_WRONG_NAME, TLS_RIGHT_NAME, KEY
    problems = harness.missing_prerequisites()
    if problems:
        raise unittest.SkipTest("pullsentry e2e skipped: " + "; ".join(problems))
    ENV = harness.Environment()
    unittest.addModuleCleanup(ENV.close)
    ENV.start()
    HOSTILE = hostile_registry.HostileRegistry().start()
    unittest.addModuleCleanup(HOSTILE.stop)
    tls = make_tls_material(ENV.workdir / "tls")
    TLS_WRONG_NAME = hostile_registry.HostileRegistry(str(tls["wrong.pem"]), str(tls["wrong.key"])).start()
    unittest.addModuleCleanup(TLS_WRONG_NAME.stop)
    TLS_RIGHT_NAME = hostile_registry.HostileRegistry(str(tls["right.pem"]), str(tls["right.key"])).start()
    unittest.addModuleCleanup(TLS_RIGHT_NAME.stop)

    KEY = harness.SigningKey("ecdsa-p256")
    key_path = KEY.write_public(ENV.workdir / "cosign.pub")
    policy = harness.Policy(default="reject")
    for host in (*ENV.hosts, HOSTILE.host, TLS_WRONG_NAME.host, TLS_RIGHT_NAME.host):
        policy.sigstore_signed(host, key_path)
    policy_path = policy.write(ENV.workdir / "policy.json")
    DAEMON = harness.Pullsentryd(
        ENV.containerd.endpoint, policy_path,
        insecure_registries=[*ENV.hosts, HOSTILE.host],
        workdir=ENV.workdir / "pullsentryd",
        extra_args=["--registry-timeout", str(REGISTRY_TIMEOUT), "--registry-ca-file", str(tls["ca.pem"])])
    ENV.pullsentryd = DAEMON  # stopped first by ENV.close
    DAEMON.start()


def tearDownModule() -> None:
    if FIGURES:
        print("\nhostile registry figures:\n  " + "\n  ".join(FIGURES), file=sys.stderr)


def good_signed_image() -> str:
    """A fresh image in the honest registry, signed with the trusted key."""
    client = ENV.registry.client()
    image = harness.make_image(client, f"good/{harness.secrets.token_hex(4)}")
    harness.sign(image.ref(), image.digest, KEY)
    return image.ref()


def daemon_status(field: str) -> int:
    for line in Path(f"/proc/{DAEMON.process.pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB
    raise AssertionError(f"{field} missing from /proc status")


class HostileRegistryTest(unittest.TestCase):

    def refused_while_others_pull(self, image: str, reason: str, auth: dict | None = None) -> str:
        """Pulls ``image`` (must be refused, matching ``reason``) beside a good pull."""
        good = good_signed_image()
        with harness.CriClient(DAEMON.endpoint) as hostile_client, \
                harness.CriClient(DAEMON.endpoint) as good_client, \
                concurrent.futures.ThreadPoolExecutor(2) as pool:
            started = time.monotonic()
            hostile_future = pool.submit(hostile_client.pull, image, auth, None, 120)
            time.sleep(0.2)  # the hostile pull is under way first
            good_started = time.monotonic()
            good_ref = good_client.pull(good, timeout=GOOD_PULL_BOUND)
            good_elapsed = time.monotonic() - good_started
            with self.assertRaises(CriError) as caught:
                hostile_future.result()
            elapsed = time.monotonic() - started
        message = caught.exception.message
        FIGURES.append(f"{image.split('/', 1)[1]:<28} refused in {elapsed:5.2f} s "
                       f"(good pull beside it {good_elapsed:4.2f} s): {message}")
        self.assertRegex(message, reason)
        self.assertRegex(message, r"^pullsentry refused ", "the refusal must say who refused")
        self.assertNotIn("\n", message, "one line")
        self.assertLessEqual(elapsed, REFUSAL_BOUND, f"refusal of {image} took {elapsed:.1f} s")
        self.assertTrue(good_ref, "the good pull beside it returns an image ref")
        host = image.split("/", 1)[0]
        self.assertFalse([i for i in ENV.containerd.images() if i.startswith(host)],
                         "nothing from the hostile registry reaches containerd")
        return message

    # -- the image manifest --------------------------------------------------

    def test_content_not_matching_its_digest(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/mismatch:v1", r"(?i)digest")

    def test_manifest_of_5_mib(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/big5m:v1", r"exceeds \d+ bytes")

    def test_manifest_of_1_gib(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/big1g:v1", r"exceeds \d+ bytes")

    def test_body_that_never_ends(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/endless:v1", r"exceeds \d+ bytes")

    def test_one_byte_a_second(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/trickle:v1", r"(?i)timed? ?out|timeout")

    def test_registry_that_never_answers(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/silent:v1", r"(?i)timed? ?out|timeout")

    def test_redirect_loop(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/redirectloop:v1", r"more than \d+ redirects")

    def test_redirect_to_another_host_keeps_credentials_home(self):
        secret = "hostile-secret-" + harness.secrets.token_hex(4)
        self.refused_while_others_pull(f"{HOSTILE.host}/redirectaway:v1", r"(?i)no signature",
                                       auth={"username": "someone", "password": secret})
        self.assertGreater(HOSTILE.count("redirectaway"), 0)
        self.assertGreater(HOSTILE.count("away"), 0, "the redirect was followed")
        self.assertEqual(HOSTILE.away_authorization, [], "credentials must not follow a redirect to another host")
        self.assertNotIn(secret, DAEMON.log_text(), "credentials never appear in the log")

    def test_401_challenge_loop(self):
        before = HOSTILE.count("token")
        self.refused_while_others_pull(f"{HOSTILE.host}/authloop:v1", r"(?i)401|unauthori[sz]ed|authenticat")
        self.assertLessEqual(HOSTILE.count("token") - before, 4, "a bounded number of token requests")

    # -- the signature manifest ----------------------------------------------

    def test_malformed_json(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/malformed:v1", r"(?i)json|malformed|parse")

    def test_deep_nesting(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/deep:v1", r"(?i)deep|depth|nest")

    def test_signature_manifest_with_10000_layers(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/manylayers:v1", r"(?i)layers")

    def test_gzip_bomb(self):
        self.refused_while_others_pull(f"{HOSTILE.host}/gzipbomb:v1", r"(?i)digest|json|exceeds|malformed")

    # -- TLS -------------------------------------------------------------------

    def test_tls_certificate_for_another_host_name(self):
        self.refused_while_others_pull(f"{TLS_WRONG_NAME.host}/unsigned:v1",
                                       r"(?i)subject name|host ?name|does not match")
        self.assertEqual(TLS_WRONG_NAME.count("unsigned"), 0, "no request is sent over the bad TLS session")

    def test_tls_with_the_right_host_name_gets_through_to_the_signature_check(self):
        # The control for the case above: same CA, right name, so the refusal
        # is about the missing signature, not TLS.
        self.refused_while_others_pull(f"{TLS_RIGHT_NAME.host}/unsigned:v1", r"(?i)no signature")
        self.assertGreater(TLS_RIGHT_NAME.count("unsigned"), 0)

    # -- the daemon itself -----------------------------------------------------

    def test_zz_memory_stays_bounded(self):
        # Runs last (alphabetical order): after every hostile case above.
        peak_mib = daemon_status("VmHWM") / 1024
        now_mib = daemon_status("VmRSS") / 1024
        FIGURES.append(f"pullsentryd memory: peak {peak_mib:.1f} MiB, now {now_mib:.1f} MiB "
                       f"(bound {MEMORY_BOUND_MIB} MiB)")
        self.assertLess(peak_mib, MEMORY_BOUND_MIB)
        self.assertTrue(DAEMON.running, "the daemon survived every case")


if __name__ == "__main__":
    unittest.main()
