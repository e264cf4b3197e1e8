"""End-to-end tests of pullsentryd's metrics and audit log.

The real daemon runs between a CRI client and a real containerd, in front of
a real docker-registry reached through a small proxy that demands HTTP Basic
credentials - so the pull requests' AuthConfig passwords are really used by
the daemon (and by containerd), and the test can then look for them in every
file pullsentryd wrote.

Checked here: counters scraped over HTTP move by exactly the decisions made
(parsed with an exposition reader of this file's own), the audit file holds
one JSON line per decision with the right fields, logrotate's rename + SIGHUP
starts a new audit file, the node_exporter textfile is written, and no
credential appears anywhere. Run as root with Debian's interpreter::

    /usr/bin/python3 tests/e2e/test_observability.py -v
"""

from __future__ import annotations

import base64
import http.client
import http.server
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import CriError  # noqa: E402

USER = "obs-user"
PASSWORD = "pw-" + secrets.token_hex(12)        # the right one
WRONG_PASSWORD = "wrong-" + secrets.token_hex(12)


def secrets_to_find() -> list[str]:
    """Every spelling of a credential that must never be written anywhere."""
    found = []
    for password in (PASSWORD, WRONG_PASSWORD):
        found.append(password)
        found.append(base64.b64encode(f"{USER}:{password}".encode()).decode())
    return found


# ---------------------------------------------------------------------------
# A registry front that wants Basic credentials
# ---------------------------------------------------------------------------

class BasicAuthProxy:
    """Forwards to ``upstream`` only requests that carry USER:PASSWORD;
    answers anything else with 401 and a Basic challenge."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream  # host:port
        self.authorized = 0       # requests that came with the right credentials
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "BasicAuthProxy":
        proxy = self
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="pullsentry-e2e"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                proxy.authorized += 1
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "authorization", "host")}
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                    self.send_response(response.status)
                    for key, value in response.getheaders():
                        if key.lower() not in ("connection", "content-length", "transfer-encoding"):
                            self.send_header(key, value)
                    self.send_header("Content-Length",
                                     response.getheader("Content-Length", "0")
                                     if self.command == "HEAD" else str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_HEAD = _forward

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="basic-auth-proxy",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# ---------------------------------------------------------------------------
# The exposition format, read independently of the daemon's renderer
# ---------------------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|\})')


def parse_exposition(text: str) -> tuple[dict[str, str], dict[tuple, float]]:
    """(family -> type, (name, frozenset(labels)) -> value); raises on bad syntax."""
    types: dict[str, str] = {}
    samples: dict[tuple, float] = {}
    if text and not text.endswith("\n"):
        raise ValueError("exposition does not end with a newline")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            if kind not in ("counter", "gauge", "histogram", "summary", "untyped"):
                raise ValueError(f"bad type line: {line!r}")
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            raise ValueError(f"unexpected line: {line!r}")
        match = _SAMPLE.match(line)
        if not match:
            raise ValueError(f"bad sample line: {line!r}")
        name, label_text, value = match.groups()
        labels = {}
        if label_text:
            rest = label_text[1:]
            while rest:
                label = _LABEL.match(rest)
                if not label:
                    raise ValueError(f"bad labels: {line!r}")
                raw = label.group(2)
                labels[label.group(1)] = re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n"
                                                else m.group(1), raw)
                rest = rest[label.end():]
                if label.group(3) == "}":
                    if rest:
                        raise ValueError(f"text after labels: {line!r}")
                    break
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and types.get(name[:-len(suffix)]) == "histogram":
                family = name[:-len(suffix)]
        if family not in types:
            raise ValueError(f"sample of an undeclared family: {line!r}")
        samples[(name, frozenset(labels.items()))] = float(value)
    return types, samples


def total(samples: dict[tuple, float], name: str, **labels: str) -> float:
    """Sum of ``name`` over the series whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def check_histograms(test: unittest.TestCase, types: dict[str, str],
                     samples: dict[tuple, float]) -> None:
    """Buckets cumulative with +Inf equal to _count, per series."""
    for family, kind in types.items():
        if kind != "histogram":
            continue
        series: dict[frozenset, list[tuple[float, float]]] = {}
        for (name, labels), value in samples.items():
            if name == family + "_bucket":
                rest = frozenset(kv for kv in labels if kv[0] != "le")
                series.setdefault(rest, []).append((float(dict(labels)["le"]), value))
        for rest, buckets in series.items():
            buckets.sort()
            counts = [c for _, c in buckets]
            test.assertEqual(counts, sorted(counts), f"{family} buckets not cumulative")
            test.assertTrue(math.isinf(buckets[-1][0]), f"{family} has no +Inf bucket")
            test.assertEqual(buckets[-1][1], samples[(family + "_count", rest)])


def scrape(port: int, method: str = "GET", path: str = "/metrics") -> tuple[int, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------

WORKDIR: Path | None = None
REGISTRY: harness.Registry | None = None
AUTH: BasicAuthProxy | None = None
CONTAINERD: harness.Containerd | None = None
KEY_PATH: Path | None = None
KEY: harness.SigningKey | None = None


def setUpModule() -> None:
    global WORKDIR, REGISTRY, AUTH, CONTAINERD, KEY, KEY_PATH
    problems = harness.missing_prerequisites()
    if problems:
        raise unittest.SkipTest("pullsentry e2e skipped: " + "; ".join(problems))
    root = harness.TempDir(prefix="pullsentry-e2e-observe-")
    unittest.addModuleCleanup(root.close)
    WORKDIR = root.path
    REGISTRY = harness.Registry(WORKDIR / "registry")
    unittest.addModuleCleanup(REGISTRY.close)
    REGISTRY.start()
    AUTH = BasicAuthProxy(REGISTRY.host).start()
    unittest.addModuleCleanup(AUTH.stop)
    # containerd reaches the registry only through the credential-checking front.
    CONTAINERD = harness.Containerd([AUTH.host], WORKDIR / "containerd")
    unittest.addModuleCleanup(CONTAINERD.close)
    CONTAINERD.start()
    KEY = harness.SigningKey("ecdsa-p256")
    KEY_PATH = KEY.write_public(WORKDIR / "team.pub")


class ObservabilityTest(unittest.TestCase):
    def setUp(self) -> None:
        # Short: socket paths inside it must fit in sun_path.
        self.workdir = Path(harness.tempfile.mkdtemp(prefix="t", dir=WORKDIR))
        self.policy = harness.Policy(default="reject").sigstore_signed(
            f"{AUTH.host}/team", KEY_PATH).write(self.workdir / "policy.json")

    def start_daemon(self, *extra: str) -> harness.Pullsentryd:
        daemon = harness.Pullsentryd(CONTAINERD.endpoint, self.policy,
                                     insecure_registries=[AUTH.host],
                                     workdir=self.workdir / "daemon", extra_args=list(extra))
        self.addCleanup(daemon.close)
        daemon.start()
        return daemon

    def image(self, name: str, signed: bool) -> str:
        image = harness.make_image(REGISTRY.client(), f"team/{name}", "v1")
        if signed:  # the signature names the image as the daemon will see it
            harness.sign(image.ref(AUTH.host), image.digest, KEY, registry_url=REGISTRY.url)
        return image.ref(AUTH.host)

    def test_metrics_audit_log_rotation_and_no_credentials(self) -> None:
        import grpc
        port = harness.free_port()
        audit = self.workdir / "audit.log"
        textfile_dir = self.workdir / "textfile"
        textfile_dir.mkdir()
        textfile = textfile_dir / "pullsentry.prom"
        daemon = self.start_daemon("--metrics-listen", f"127.0.0.1:{port}",
                                   "--audit-log", str(audit),
                                   "--metrics-textfile", str(textfile),
                                   "--metrics-textfile-interval", "1",
                                   "--log-level", "debug")  # the chattiest logs must not leak either
        client = daemon.cri()
        self.addCleanup(client.close)
        signed, unsigned = self.image("signed", True), self.image("unsigned", False)
        other_unsigned = self.image("unsigned-later", False)
        right = {"username": USER, "password": PASSWORD}
        wrong = {"username": USER, "password": WRONG_PASSWORD}
        cri_messages: list[str] = []

        status, content_type, before_text = scrape(port)
        self.assertEqual(status, 200)
        self.assertEqual(content_type, "text/plain; version=0.0.4; charset=utf-8")
        _, before = parse_exposition(before_text)
        self.assertEqual(total(before, "pullsentry_pulls_total"), 0)
        self.assertEqual(total(before, "pullsentry_build_info"), 1)
        self.assertGreater(total(before, "pullsentry_start_time_seconds"), 1.7e9)

        # 1. signed, right credentials: admitted.
        authorized_before = AUTH.authorized
        client.pull(signed, auth=right, namespace="team-ns")
        self.assertGreater(AUTH.authorized, authorized_before, "the credentials were never used")
        # 2. unsigned, right credentials: refused, no signature.
        with self.assertRaises(CriError) as refused:
            client.pull(unsigned, auth=right)
        self.assertEqual(refused.exception.code, grpc.StatusCode.PERMISSION_DENIED)
        cri_messages.append(refused.exception.message)
        # 3. wrong credentials: no decision can be reached - refused as an error.
        with self.assertRaises(CriError) as failed:
            client.pull(signed, auth=wrong)
        self.assertNotEqual(failed.exception.code, grpc.StatusCode.PERMISSION_DENIED)
        cri_messages.append(failed.exception.message)

        types, after = parse_exposition(scrape(port)[2])
        check_histograms(self, types, after)
        self.assertEqual(types["pullsentry_pulls_total"], "counter")
        self.assertEqual(types["pullsentry_verification_duration_seconds"], "histogram")
        self.assertEqual(total(after, "pullsentry_pulls_total"), 3)
        self.assertEqual(total(after, "pullsentry_pulls_total", verdict="admitted",
                               reason="signed"), 1)
        self.assertEqual(total(after, "pullsentry_pulls_total", verdict="refused",
                               action="refused", reason="no-signature"), 1)
        self.assertEqual(total(after, "pullsentry_pulls_total", verdict="error",
                               reason="unauthenticated"), 1)
        self.assertEqual(total(after, "pullsentry_registry_errors_total"), 1)
        self.assertEqual(total(after, "pullsentry_cache_hits_total")
                         + total(after, "pullsentry_cache_misses_total"), 3)
        # Two signature checks; the undecided pull has no signature kind.
        self.assertEqual(total(after, "pullsentry_verification_duration_seconds_count",
                               kind="cosign-key"), 2)
        decided = total(after, "pullsentry_verification_duration_seconds_count")
        self.assertEqual(decided, total(after, "pullsentry_cache_misses_total"))
        self.assertGreater(total(after, "pullsentry_verification_duration_seconds_sum"), 0)
        # No image name or free-text reason became a label.
        for (_, labels) in after:
            for _, value in labels:
                self.assertNotIn("team/", value)

        # The audit file: one JSON line per decision.
        records = [json.loads(line) for line in audit.read_text().splitlines()]
        self.assertEqual([r["verdict"] for r in records], ["admitted", "refused", "error"])
        admitted = records[0]
        self.assertEqual(admitted["requested"], signed)
        self.assertEqual(admitted["namespace"], "team-ns")
        self.assertRegex(admitted["digest"], r"^sha256:[0-9a-f]{64}$")
        self.assertEqual(admitted["scope"], f"{AUTH.host}/team")
        self.assertEqual(admitted["mode"], "enforce")
        self.assertEqual(admitted["action"], "verified")
        self.assertEqual(len(admitted["signers"]), 1)
        self.assertIn("team.pub", admitted["signers"][0])
        self.assertIn("signed by", admitted["reason"])
        self.assertRegex(admitted["policy_hash"], r"\S")
        self.assertEqual(admitted["origin"], "cri")
        self.assertIs(admitted["cache_hit"], False)
        self.assertRegex(admitted["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertEqual(records[1]["requested"], unsigned)
        self.assertIn("no signature", records[1]["reason"])
        self.assertEqual(records[1]["signers"], [])
        self.assertEqual(records[2]["action"], "refused")
        self.assertEqual(records[2]["error_code"], "UNAUTHENTICATED")
        # The same records reach the journal (stderr) as "audit {...}" lines.
        journal = [json.loads(line.split("audit ", 1)[1])
                   for line in daemon.log_text().splitlines() if ": audit {" in line]
        self.assertEqual(journal, records)

        # logrotate: rename, SIGHUP, and the next record goes to a new file.
        rotated = self.workdir / "audit.log.1"
        os.rename(audit, rotated)
        daemon.process.send_signal(signal.SIGHUP)
        harness.wait_until(audit.exists, 10, "a new audit file after SIGHUP")
        with self.assertRaises(CriError):
            client.pull(other_unsigned, auth=right)
        self.assertEqual(len(rotated.read_text().splitlines()), 3)
        fresh = [json.loads(line) for line in audit.read_text().splitlines()]
        self.assertEqual([r["requested"] for r in fresh], [other_unsigned])
        self.assertEqual(os.stat(audit).st_mode & 0o777, 0o600)

        # The textfile catches up within its interval.
        def textfile_total() -> float:
            try:
                return total(parse_exposition(textfile.read_text())[1], "pullsentry_pulls_total")
            except (FileNotFoundError, ValueError):
                return -1
        harness.wait_until(lambda: textfile_total() == 4, 10, "textfile with 4 decisions")
        _, samples = parse_exposition(scrape(port)[2])
        self.assertEqual(total(samples, "pullsentry_policy_reloads_total", result="ok"), 1)

        # The endpoint answers nothing but GET/HEAD /metrics.
        self.assertEqual(scrape(port, path="/")[0], 404)
        self.assertEqual(scrape(port, method="POST")[0], 405)

        lint = shutil.which("promtool")
        if lint:  # Debian's prometheus package, when installed
            result = subprocess.run([lint, "check", "metrics"], input=scrape(port)[2],
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

        self.assertEqual(daemon.stop(), 0)
        self.assertEqual(textfile_total(), 4)  # the final write at shutdown
        self.assertEqual(sorted(p.name for p in textfile_dir.iterdir()), ["pullsentry.prom"])

        # No credential anywhere pullsentryd wrote or answered.
        places = {"daemon log": daemon.log_text(), "scrape": before_text,
                  "textfile": textfile.read_text(), "CRI refusals": "\n".join(cri_messages)}
        for path in [audit, rotated, *sorted(daemon.state_dir.rglob("*"))]:
            if path.is_file():
                places[str(path)] = path.read_text(errors="replace")
        for secret in secrets_to_find():
            for where, text in places.items():
                self.assertNotIn(secret, text, f"a credential appears in {where}")

    def test_non_loopback_metrics_address_stops_start_up(self) -> None:
        daemon = harness.Pullsentryd(CONTAINERD.endpoint, self.policy,
                                     workdir=self.workdir / "daemon",
                                     extra_args=["--metrics-listen", "0.0.0.0:9464"])
        daemon.state_dir.mkdir(parents=True)
        result = subprocess.run(daemon.argv(), capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("loopback", result.stderr)
        self.assertFalse(daemon.socket.exists(), "served CRI despite a refused metrics address")

        result = subprocess.run(daemon.argv()[:-2] + ["--metrics-textfile", "/tmp/metrics.txt"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn(".prom", result.stderr)

    def test_unix_socket_endpoint(self) -> None:
        import socket as socketlib
        path = self.workdir / "metrics.sock"
        self.start_daemon("--metrics-listen", f"unix://{path}")
        with socketlib.socket(socketlib.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(path))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        head, _, body = answer.decode().partition("\r\n\r\n")
        self.assertTrue(head.startswith("HTTP/1.1 200"), head)
        types, _ = parse_exposition(body)
        self.assertEqual(types.get("pullsentry_pulls_total"), "counter")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o660)


if __name__ == "__main__":
    unittest.main()
