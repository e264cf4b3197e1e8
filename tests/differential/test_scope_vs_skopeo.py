"""Differential test of policy scope selection: pullsentry against
containers/image itself.

Debian's skopeo is built on containers/image, the library CRI-O and podman
use to evaluate containers-policy.json. For many generated policies whose
requirements are only `reject` and `insecureAcceptAnything` (the two forms
Debian's skopeo evaluates without signatures), every reference is decided by
`skopeo copy --policy` and by `pullsentry verify --policy` against the same
loopback registry; the verdicts must agree every time. A disagreement means
pullsentry picked another scope than the runtimes would.

Run as root or not (no containerd needed)::

    /usr/bin/python3 tests/differential/test_scope_vs_skopeo.py -v
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

import harness  # noqa: E402

SEED = int(os.environ.get("PULLSENTRY_DIFF_SEED", "20261121"))
POLICIES = int(os.environ.get("PULLSENTRY_DIFF_POLICIES", "24"))

# Repositories pushed once; references are drawn from them.
REPOSITORIES = [("team/app", "v1"), ("team/app", "v2"), ("team/tools/lint", "v1"),
                ("other/app", "v1"), ("single", "latest")]


def pullsentry_cli() -> Path:
    build = Path(os.environ.get("PULLSENTRY_BUILD_DIR", harness.REPO_ROOT / "build"))
    return build / "plugin" / "pullsentry"


class ScopeDifferentialTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        problems = []
        if shutil.which("skopeo") is None:
            problems.append("skopeo not installed")
        if shutil.which("docker-registry") is None:
            problems.append("docker-registry not installed")
        if not os.access(pullsentry_cli(), os.X_OK):
            problems.append(f"pullsentry CLI not built at {pullsentry_cli()}")
        if problems:
            raise unittest.SkipTest("; ".join(problems))
        cls.tmp = tempfile.TemporaryDirectory(prefix="pullsentry-diff-")
        cls.workdir = Path(cls.tmp.name)
        cls.registry = harness.Registry(cls.workdir / "registry").start()
        cls.host = cls.registry.host
        client = cls.registry.client()
        cls.images = [harness.make_image(client, repo, tag) for repo, tag in REPOSITORIES]

    @classmethod
    def tearDownClass(cls) -> None:
        cls.registry.stop()
        cls.tmp.cleanup()

    def references(self) -> list[str]:
        refs = [image.ref(self.host) for image in self.images]
        refs += [image.digest_ref(self.host) for image in self.images[:3]]
        return refs

    def candidate_scopes(self) -> list[str]:
        host = self.host
        scopes = {host, f"{host}/team", f"{host}/team/tools", f"{host}/other"}
        for image in self.images:
            scopes.add(image.repo(host))
            scopes.add(image.ref(host))
        scopes.add(self.images[0].digest_ref(host))
        return sorted(scopes)

    def random_policy(self, rng: random.Random) -> dict:
        def requirement() -> list:
            return [{"type": rng.choice(["reject", "insecureAcceptAnything"])}]

        docker = {scope: requirement() for scope in rng.sample(self.candidate_scopes(), rng.randint(0, 6))}
        if rng.random() < 0.5:
            docker[""] = requirement()
        return {"default": requirement(), "transports": {"docker": docker}}

    def skopeo_admits(self, policy_path: Path, ref: str) -> bool:
        dest = self.workdir / "copy"
        shutil.rmtree(dest, ignore_errors=True)
        result = subprocess.run(
            ["skopeo", "--policy", str(policy_path), "copy", "--src-tls-verify=false",
             f"docker://{ref}", f"dir:{dest}"],
            capture_output=True, text=True, timeout=60)
        if result.returncode != 0 and "rejected" not in result.stderr:
            self.fail(f"skopeo failed for another reason on {ref}: {result.stderr.strip()}")
        return result.returncode == 0

    def pullsentry_admits(self, policy_path: Path, ref: str) -> bool:
        result = subprocess.run(
            [str(pullsentry_cli()), "verify", ref, "--policy", str(policy_path),
             "--insecure-registry", self.host, "--output", "json"],
            capture_output=True, text=True, timeout=60)
        if result.returncode not in (0, 1):
            self.fail(f"pullsentry verify failed on {ref}: {result.stderr.strip()}")
        verdict = json.loads(result.stdout)
        self.assertTrue(verdict["decided"], f"pullsentry could not decide {ref}: {verdict['reason']}")
        return verdict["admitted"]

    def test_scope_selection_agrees_with_containers_image(self) -> None:
        rng = random.Random(SEED)
        compared = 0
        outcomes = {True: 0, False: 0}
        for index in range(POLICIES):
            policy = self.random_policy(rng)
            policy_path = self.workdir / f"policy-{index}.json"
            policy_path.write_text(json.dumps(policy, indent=1))
            for ref in self.references():
                with self.subTest(policy=index, ref=ref):
                    expected = self.skopeo_admits(policy_path, ref)
                    actual = self.pullsentry_admits(policy_path, ref)
                    outcomes[expected] += 1
                    self.assertEqual(actual, expected,
                                     f"{ref}: skopeo {'admits' if expected else 'rejects'}, pullsentry "
                                     f"{'admits' if actual else 'rejects'} under\n{json.dumps(policy, indent=1)}")
                compared += 1
        print(f"compared {compared} decisions over {POLICIES} policies (seed {SEED}): "
              f"{outcomes[True]} admitted, {outcomes[False]} rejected by both", file=sys.stderr)
        # Both verdicts must occur, or the comparison proves nothing.
        self.assertGreater(outcomes[True], 0)
        self.assertGreater(outcomes[False], 0)


if __name__ == "__main__":
    unittest.main()
