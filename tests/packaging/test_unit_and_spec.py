#!/usr/bin/python3
"""The systemd unit and the RPM spec, checked with the real tools.

- `systemd-analyze verify` accepts the unit (with ExecStart pointed at the
  built daemon, since nothing is installed here);
- `systemd-analyze security --offline=true` rates it 2.5 or lower;
- the settings the daemon relies on are there (Type=notify, WatchdogSec,
  the directories, Group=pullsentry) and none that would cut it off from
  the runtime's socket (PrivateNetwork, an AF list without AF_UNIX);
- `rpmspec -P` parses the spec and its version matches meson.build.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "systemd" / "pullsentryd.service"


def daemon_binary() -> Path:
    if os.environ.get("PULLSENTRYD"):
        return Path(os.environ["PULLSENTRYD"])
    return (Path(os.environ.get("PULLSENTRY_BUILD_DIR", REPO / "build")) / "plugin" / "pullsentryd").absolute()


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


class UnitTest(unittest.TestCase):
    def setUp(self) -> None:
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze not installed")
        self.dir = Path(tempfile.mkdtemp(prefix="pullsentry-unit-"))
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_verify_accepts_the_unit(self) -> None:
        binary = daemon_binary()
        if not os.access(binary, os.X_OK):
            self.skipTest(f"pullsentryd not built: {binary}")
        text = UNIT.read_text().replace("/usr/sbin/pullsentryd", str(binary))
        self.assertNotEqual(text, UNIT.read_text(), "ExecStart does not run /usr/sbin/pullsentryd")
        copy = self.dir / "pullsentryd.service"
        copy.write_text(text)
        run = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                             capture_output=True, text=True)
        # verify also reports problems of units on this machine that ours
        # pulls in; only lines about ours count.
        ours = [line for line in (run.stdout + run.stderr).splitlines() if "pullsentryd" in line]
        self.assertEqual(ours, [], "\n".join(ours))

    def test_security_exposure_at_most_2_5(self) -> None:
        run = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(UNIT)],
                             capture_output=True, text=True)
        match = re.search(r"Overall exposure level for pullsentryd\.service: (\d+\.\d+)", run.stdout)
        self.assertIsNotNone(match, run.stdout + run.stderr)
        self.assertLessEqual(float(match.group(1)), 2.5, run.stdout)

    def test_threshold_is_not_met_by_an_unhardened_unit(self) -> None:
        # The parser above would let anything through if it matched nothing
        # meaningful: the old, barely hardened unit must fail the same bar.
        bare = self.dir / "pullsentryd.service"
        bare.write_text("[Service]\nType=notify\nExecStart=/usr/sbin/pullsentryd\nNoNewPrivileges=yes\n")
        run = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(bare)],
                             capture_output=True, text=True)
        match = re.search(r"Overall exposure level for pullsentryd\.service: (\d+\.\d+)", run.stdout)
        self.assertIsNotNone(match, run.stdout + run.stderr)
        self.assertGreater(float(match.group(1)), 2.5)

    def test_settings_the_daemon_relies_on(self) -> None:
        s = unit_settings()
        self.assertEqual(s["Type"], ["notify"])
        self.assertTrue(s.get("WatchdogSec"), "no WatchdogSec")
        self.assertEqual(s["RuntimeDirectory"], ["pullsentry"])
        self.assertEqual(s["StateDirectory"], ["pullsentry"])
        self.assertEqual(s["ConfigurationDirectory"], ["pullsentry"])
        self.assertEqual(s["Group"], ["pullsentry"])
        self.assertNotIn("User", s, "the runtime's socket is root-only")
        exec_start = s["ExecStart"][0]
        for flag in ("--listen unix:///run/pullsentry/cri.sock",
                     "--runtime-endpoint unix:///run/containerd/containerd.sock",
                     "--policy /etc/pullsentry/policy.json", "--state-dir /var/lib/pullsentry",
                     "--socket-group pullsentry"):
            self.assertIn(flag, exec_start)
        self.assertIn("AF_UNIX", s["RestrictAddressFamilies"][0].split())
        self.assertNotIn("PrivateNetwork", s)
        # Binding containerd's socket in would pin its inode across restarts.
        self.assertFalse(any("containerd" in v for v in s.get("ReadWritePaths", [])))

    def test_daemon_accepts_the_units_flags(self) -> None:
        binary = daemon_binary()
        if not os.access(binary, os.X_OK):
            self.skipTest(f"pullsentryd not built: {binary}")
        argv = unit_settings()["ExecStart"][0].split()[1:]
        # Only flag parsing: --help after them prints usage and exits 0,
        # while an unknown flag would exit 2 first.
        run = subprocess.run([str(binary), *argv, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 0, run.stderr)


class RpmSpecTest(unittest.TestCase):
    def test_rpmspec_parses_and_matches_the_version(self) -> None:
        if shutil.which("rpmspec") is None:
            self.skipTest("rpm not installed")
        run = subprocess.run(["rpmspec", "-P", str(REPO / "packaging" / "rpm" / "pullsentry.spec")],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        version = re.search(r"^Version:\s*(\S+)", run.stdout, re.M).group(1)
        meson_version = re.search(r"version : '([^']+)'", (REPO / "meson.build").read_text()).group(1)
        self.assertEqual(version, meson_version)
        self.assertIn("%systemd_post pullsentryd.service", run.stdout)
        self.assertRegex(run.stdout, r"%config\(noreplace\) /etc/pullsentry/policy.json")


if __name__ == "__main__":
    unittest.main()
