#!/usr/bin/python3
"""pullsentryd and the service manager, without systemd: the test plays
systemd's side of sd_notify(3) on a real unix datagram socket.

- READY=1 arrives only once the policy loaded and the CRI socket answers
  (a real gRPC health check over it succeeds at that moment, and the socket
  did not answer before READY=1 was sent);
- a policy that does not load sends no READY=1 and exits non-zero;
- WATCHDOG_USEC=200000 gives WATCHDOG=1 pings about every 100 ms;
- SIGTERM gives STOPPING=1;
- --socket-group leaves the socket 0660 with that group.

Binary: $PULLSENTRYD, else $PULLSENTRY_BUILD_DIR/plugin/pullsentryd.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def daemon_binary() -> Path:
    if os.environ.get("PULLSENTRYD"):
        return Path(os.environ["PULLSENTRYD"])
    return (Path(os.environ.get("PULLSENTRY_BUILD_DIR", REPO / "build")) / "plugin" / "pullsentryd").absolute()


def health_check(socket_path: Path, timeout: float = 1.0) -> bool:
    """grpc.health.v1.Health/Check for the whole server: SERVING or not."""
    import grpc  # Debian's python3-grpcio
    with grpc.insecure_channel(f"unix://{socket_path}") as channel:
        call = channel.unary_unary("/grpc.health.v1.Health/Check",
                                   request_serializer=lambda b: b, response_deserializer=lambda b: b)
        try:
            return call(b"", timeout=timeout) == b"\x08\x01"
        except grpc.RpcError:
            return False


class NotifyListener:
    """The NOTIFY_SOCKET end: collects datagrams with their arrival times."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.messages: list[tuple[float, str]] = []

    def wait_for(self, wanted: str, timeout: float, on_each=None) -> float | None:
        """Returns the arrival time of the first message holding the line
        `wanted`, or None after `timeout`. `on_each` runs between reads."""
        deadline = time.monotonic() + timeout
        for when, text in self.messages:
            if wanted in text.split("\n"):
                return when
        while time.monotonic() < deadline:
            self.sock.settimeout(0.02)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                if on_each:
                    on_each()
                continue
            when = time.monotonic()
            self.messages.append((when, data.decode()))
            if wanted in data.decode().split("\n"):
                return when
        return None

    def count(self, line: str) -> int:
        return sum(1 for _, text in self.messages if line in text.split("\n"))

    def close(self) -> None:
        self.sock.close()


class ServiceNotifyTest(unittest.TestCase):
    def setUp(self) -> None:
        if not os.access(daemon_binary(), os.X_OK):
            self.skipTest(f"pullsentryd not built: {daemon_binary()}")
        try:
            import grpc  # noqa: F401
        except ImportError:
            self.skipTest("python3-grpcio missing (use /usr/bin/python3)")
        self.dir = Path(tempfile.mkdtemp(prefix="pullsentry-notify-"))
        os.chmod(self.dir, 0o755)
        self.trust = self.dir / "trust"
        self.trust.mkdir(mode=0o755)
        self.policy = self.dir / "policy.json"
        shutil.copy(REPO / "packaging" / "policy" / "default-policy.json", self.policy)
        self.socket = self.dir / "cri.sock"
        self.listener = NotifyListener(self.dir)
        self.process: subprocess.Popen | None = None

    def tearDown(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.listener.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, *extra: str, watchdog_usec: int | None = None) -> None:
        env = dict(os.environ, NOTIFY_SOCKET=str(self.listener.path))
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        argv = [str(daemon_binary()), "--listen", f"unix://{self.socket}",
                "--runtime-endpoint", f"unix://{self.dir}/no-runtime.sock",
                "--policy", str(self.policy), "--trust-store", str(self.trust),
                "--state-dir", str(self.dir / "state"), *extra]
        if "--control-socket" in subprocess.run([str(daemon_binary()), "--help"], capture_output=True,
                                                text=True).stdout:
            argv += ["--control-socket", str(self.dir / "control.sock")]  # not the node's
        self.log = open(self.dir / "daemon.log", "w")
        self.addCleanup(self.log.close)
        self.process = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def log_text(self) -> str:
        return (self.dir / "daemon.log").read_text()

    def test_ready_only_when_the_socket_answers(self) -> None:
        answered_before_ready = []

        def probe() -> None:
            # Polled while READY=1 has not arrived: the socket must not answer yet
            # unless READY=1 is already on its way (checked against arrival below).
            if self.socket.exists() and health_check(self.socket, timeout=0.2):
                answered_before_ready.append(time.monotonic())

        self.start()
        ready = self.listener.wait_for("READY=1", 30, on_each=probe)
        self.assertIsNotNone(ready, f"no READY=1; log:\n{self.log_text()}")
        self.assertTrue(health_check(self.socket), "READY=1 sent but the CRI socket does not answer")
        # Whatever answered before READY=1 was read must have been at most a
        # moment before it (the datagram was in flight), never long before.
        for when in answered_before_ready:
            self.assertGreater(when, ready - 0.5, "the socket answered long before READY=1")
        status = [text for _, text in self.listener.messages if "READY=1" in text][0]
        self.assertIn("STATUS=serving unix://", status)
        self.assertEqual(self.listener.count("WATCHDOG=1"), 0, "pings without WATCHDOG_USEC")

    def test_no_ready_when_the_policy_does_not_load(self) -> None:
        self.policy.write_text('{"version": 1, "default": {"require": "no-such-verifier"}}')
        self.start()
        code = self.process.wait(timeout=30)
        self.assertNotEqual(code, 0)
        self.assertIsNone(self.listener.wait_for("READY=1", 0.2))
        self.assertIn("cannot load policy", self.log_text())

    def test_watchdog_pings_at_half_the_interval(self) -> None:
        self.start(watchdog_usec=200000)
        self.assertIsNotNone(self.listener.wait_for("READY=1", 30), self.log_text())
        start = time.monotonic()
        self.listener.wait_for("never", 1.5)
        pings = [when for when, text in self.listener.messages if "WATCHDOG=1" in text.split("\n") and when >= start]
        # Every 100 ms: about 15 in 1.5 s. At least 8 even on a loaded machine,
        # and never a gap near the 200 ms deadline's whole length.
        self.assertGreaterEqual(len(pings), 8, f"only {len(pings)} pings in 1.5 s")
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        self.assertLess(max(gaps), 0.6, f"gaps between pings: {gaps}")

    def test_sigterm_says_stopping(self) -> None:
        self.start()
        self.assertIsNotNone(self.listener.wait_for("READY=1", 30), self.log_text())
        self.process.send_signal(signal.SIGTERM)
        self.assertIsNotNone(self.listener.wait_for("STOPPING=1", 10), self.log_text())
        self.assertEqual(self.process.wait(timeout=30), 0)

    def test_socket_group_and_mode(self) -> None:
        if os.geteuid() != 0:
            self.skipTest("giving the socket to another group needs root")
        import grp
        group = grp.getgrnam("nogroup")
        self.start("--socket-group", "nogroup")
        self.assertIsNotNone(self.listener.wait_for("READY=1", 30), self.log_text())
        st = self.socket.stat()
        self.assertEqual(st.st_mode & 0o7777, 0o660)
        self.assertEqual(st.st_gid, group.gr_gid)

    def test_unknown_socket_group_keeps_the_socket_closed(self) -> None:
        self.start("--socket-group", "no-such-group-pullsentry")
        self.assertIsNotNone(self.listener.wait_for("READY=1", 30), self.log_text())
        st = self.socket.stat()
        self.assertEqual(st.st_mode & 0o7777, 0o660)
        self.assertEqual(st.st_gid, os.getegid())
        self.assertIn('group "no-such-group-pullsentry" does not exist', self.log_text())


if __name__ == "__main__":
    unittest.main()
