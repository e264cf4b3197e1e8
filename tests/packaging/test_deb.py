#!/usr/bin/python3
"""The Debian package, built from this checkout by packaging/build-deb.sh,
checked with Debian's own tools and then run.

- lintian reports no error (E:) on the .deb;
- `dpkg-deb -c` holds every file the package must ship, the conffiles are
  the policy under /etc/pullsentry, and the trust store directories are
  there, root-owned and not writable by others;
- the maintainer scripts create the pullsentry group, and neither they nor
  anything else in the package touches kubelet's or containerd's
  configuration;
- the RPM spec's %files (rpmspec -P) covers exactly the same paths;
- unpacked with `dpkg -x`, the packaged pullsentryd runs with the packaged
  policy and trust store, in front of a real containerd and registry, and
  refuses a pull (nothing reaches containerd).

Building the package recompiles the project (ccache helps on a rebuild):
PULLSENTRY_DEB=FILE tests an already built .deb instead.
"""
from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import harness  # noqa: E402

EXPECTED = [
    "/usr/sbin/pullsentryd",
    "/usr/bin/pullsentry",
    "/lib/systemd/system/pullsentryd.service",
    "/usr/lib/sysusers.d/pullsentry.conf",
    "/etc/pullsentry/policy.json",
    "/etc/pullsentry/keys/",
    "/etc/pullsentry/x509/ca/",
    "/etc/pullsentry/x509/signingAuthority/",
    "/etc/pullsentry/x509/tsa/",
    "/etc/pullsentry/sigstore/",
    "/usr/share/pullsentry/sigstore/trusted_root.json",
    "/usr/share/man/man8/pullsentryd.8.gz",
    "/usr/share/man/man1/pullsentry.1.gz",
    "/usr/share/man/man5/pullsentry-policy.5.gz",
    "/usr/share/doc/pullsentry/copyright",
    "/usr/share/doc/pullsentry/examples/registry-wide-cosign.json",
    "/usr/share/doc/pullsentry/examples/systemd/kubelet-image-endpoint.conf",
]

WORK: Path | None = None
DEB: Path | None = None
BUILD_ERROR: str | None = None


def setUpModule() -> None:
    global WORK, DEB, BUILD_ERROR
    missing = [t for t in ("dpkg-buildpackage", "dpkg-deb", "lintian") if shutil.which(t) is None]
    if missing:
        BUILD_ERROR = f"not installed: {' '.join(missing)}"
        return
    WORK = Path(tempfile.mkdtemp(prefix="pullsentry-deb-test-"))
    if os.environ.get("PULLSENTRY_DEB"):
        DEB = Path(os.environ["PULLSENTRY_DEB"])
        return
    out = WORK / "out"
    run = subprocess.run(["bash", str(REPO / "packaging" / "build-deb.sh"), str(out)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        BUILD_ERROR = "build-deb.sh failed:\n" + (run.stdout + run.stderr)[-4000:]
        return
    debs = sorted(out.glob("pullsentry_*.deb"))
    if len(debs) != 1:
        BUILD_ERROR = f"expected one .deb in {out}, found {debs}"
        return
    DEB = debs[0]


def tearDownModule() -> None:
    if WORK is not None:
        shutil.rmtree(WORK, ignore_errors=True)


def deb_listing() -> dict[str, tuple[str, str]]:
    """path -> (mode string, owner/group) from `dpkg-deb -c`."""
    out = subprocess.run(["dpkg-deb", "-c", str(DEB)], check=True, capture_output=True, text=True).stdout
    entries = {}
    for line in out.splitlines():
        fields = line.split(None, 5)
        path = fields[5].split(" -> ")[0]
        entries[path[1:] if path.startswith("./") else path] = (fields[0], fields[1])
    return {("/" + p.lstrip("/")): v for p, v in entries.items() if p not in ("/", "")}


def control_file(name: str) -> str:
    run = subprocess.run(["dpkg-deb", "-I", str(DEB), name], capture_output=True, text=True)
    return run.stdout if run.returncode == 0 else ""


class DebTest(unittest.TestCase):
    def setUp(self) -> None:
        if BUILD_ERROR:
            if BUILD_ERROR.startswith("not installed"):
                self.skipTest(BUILD_ERROR)
            self.fail(BUILD_ERROR)

    def test_lintian_reports_no_errors(self) -> None:
        run = subprocess.run(["lintian", "--tag-display-limit", "0", str(DEB)], capture_output=True, text=True)
        report = run.stdout + run.stderr
        errors = [line for line in report.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [], report)
        print(f"\nlintian:\n{report}", file=sys.stderr)

    def test_contents(self) -> None:
        listing = deb_listing()
        for path in EXPECTED:
            self.assertIn(path, listing, f"{path} missing from the package")
        for path, (mode, owner) in listing.items():
            self.assertEqual(owner, "root/root", path)
            if path.startswith("/etc/pullsentry"):
                self.assertNotEqual(mode[8], "w", f"{path} is writable by others ({mode})")
                self.assertNotEqual(mode[5], "w", f"{path} is group-writable ({mode})")
        self.assertTrue(listing["/usr/sbin/pullsentryd"][0].startswith("-rwxr-xr-x"))
        # Build trees and test data never ship.
        self.assertFalse([p for p in listing if "/build" in p or "/tests/" in p])

    def test_conffiles(self) -> None:
        conffiles = sorted(control_file("conffiles").split())
        self.assertIn("/etc/pullsentry/policy.json", conffiles)
        etc_files = sorted(p for p, (mode, _) in deb_listing().items()
                           if p.startswith("/etc/") and mode.startswith("-"))
        self.assertEqual(conffiles, etc_files)

    def test_maintainer_scripts(self) -> None:
        postinst = control_file("postinst")
        self.assertIn("addgroup --system", postinst)
        self.assertIn("pullsentry", postinst)
        self.assertIn("pullsentryd.service", postinst)  # dh_installsystemd's enable
        for script in ("preinst", "postinst", "prerm", "postrm"):
            # Commands only: comments may say what is left alone.
            text = "\n".join(line for line in control_file(script).splitlines()
                              if not line.lstrip().startswith("#"))
            for forbidden in ("kubelet", "containerd", "/var/lib/kubelet", "config.toml"):
                self.assertNotIn(forbidden, text, f"{script} mentions {forbidden}")
        depends = control_file("control")
        self.assertRegex(depends, r"Depends:.*adduser")

    def test_rpm_spec_lists_the_same_files(self) -> None:
        if shutil.which("rpmspec") is None:
            self.skipTest("rpm not installed")
        run = subprocess.run(
            ["rpmspec", "-P", "--define", "_unitdir /lib/systemd/system",
             "--define", "_sysusersdir /usr/lib/sysusers.d",
             str(REPO / "packaging" / "rpm" / "pullsentry.spec")],
            capture_output=True, text=True, check=True)
        files_section = run.stdout.split("\n%files\n", 1)[1].split("\n%changelog", 1)[0]
        patterns = []
        for line in files_section.splitlines():
            line = re.sub(r"^(%(dir|config\(noreplace\)|license|doc)\s+)+", "", line.strip())
            if line and not line.startswith("#"):
                patterns.append(line)
        listing = deb_listing()
        # What the RPM does not carry by design: Debian's own docs.
        debian_only = {"/usr/share/doc/pullsentry/copyright", "/usr/share/doc/pullsentry/changelog.gz"}

        def covered(path: str) -> bool:
            bare = path.rstrip("/")
            for pattern in patterns:
                p = pattern.rstrip("/")
                if fnmatch.fnmatch(bare, p) or fnmatch.fnmatch(bare, p + ".gz"):
                    return True
                if pattern.endswith("/") and bare.startswith(p + "/"):
                    return True  # a whole directory
            return False

        shipped = [p for p, (mode, _) in listing.items() if not mode.startswith("d") and p not in debian_only]
        self.assertEqual([p for p in shipped if not covered(p)], [], "in the .deb, not in the RPM's %files")
        for pattern in patterns:
            p = pattern.rstrip("/")
            hit = any(fnmatch.fnmatch(path.rstrip("/"), p) or fnmatch.fnmatch(path.rstrip("/"), p + ".gz")
                      or path.startswith(p + "/") for path in listing)
            self.assertTrue(hit, f"RPM %files has {pattern}, the .deb has nothing there")
        for directory in ("/etc/pullsentry/keys", "/etc/pullsentry/x509/ca", "/etc/pullsentry/sigstore"):
            self.assertIn(directory, patterns)

    def test_unpacked_daemon_refuses_a_pull_with_the_packaged_policy(self) -> None:
        root = WORK / "root"
        subprocess.run(["dpkg", "-x", str(DEB), str(root)], check=True)
        daemon = root / "usr" / "sbin" / "pullsentryd"
        version = subprocess.run([str(daemon), "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(version.returncode, 0, version.stderr)
        self.assertRegex(version.stdout, r"^pullsentryd \d+\.\d+\.\d+")
        cli = subprocess.run([str(root / "usr" / "bin" / "pullsentry"), "policy", "lint", "--strict",
                              str(root / "etc" / "pullsentry" / "policy.json")], capture_output=True, text=True)
        self.assertEqual(cli.returncode, 0, cli.stdout + cli.stderr)
        # The packaged Sigstore root, copied into a trust store as the docs say,
        # loads with the store (which parses and checks all of it).
        store = WORK / "store"
        shutil.copytree(root / "etc" / "pullsentry", store)
        shutil.copy(root / "usr" / "share" / "pullsentry" / "sigstore" / "trusted_root.json",
                    store / "sigstore" / "public-good.json")
        os.chmod(store / "sigstore" / "public-good.json", 0o644)
        lint = subprocess.run([str(root / "usr" / "bin" / "pullsentry"), "policy", "lint", "--strict",
                               "--trust-store", str(store), str(store / "policy.json")],
                              capture_output=True, text=True)
        self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)

        problems = harness.missing_prerequisites(need_daemon=False)
        if problems:
            self.skipTest("; ".join(problems))
        # The trust store is checked for ownership and modes: the unpacked one
        # must pass as it would on a node.
        os.chmod(WORK, 0o755)
        with harness.Environment() as env:
            daemon_proc = env.start_pullsentryd(
                root / "etc" / "pullsentry" / "policy.json", binary=daemon,
                extra_args=["--trust-store", str(root / "etc" / "pullsentry")])
            image = harness.make_image(env.registry.client(), "team/app", "v1")
            before = env.containerd.content_digests()
            with daemon_proc.cri() as cri:
                with self.assertRaises(harness.CriError) as refused:
                    cri.pull(image.ref(env.registry.host))
            self.assertIn("reject", str(refused.exception).lower())
            self.assertEqual(env.containerd.content_digests(), before, "a refused image reached containerd")
            self.assertFalse([i for i in env.containerd.images() if "team/app" in i])


if __name__ == "__main__":
    unittest.main()
