#!/usr/bin/python3
"""The shipped policies load: `pullsentry policy lint` passes on
packaging/policy/default-policy.json and on every packaging/policy/examples/*.json.

Usage: policy_examples_test.py PATH/TO/pullsentry

Each policy is copied as policy.json into a scratch directory that also
serves as the trust store: every name under a verifier's "keys", and every
relative "keyPath(s)", is filled with a test public key. Lint must exit 0
with no errors; the default policy must also pass --strict (no warnings),
and explain must show that it refuses an arbitrary image. --now is fixed so
that break-glass expiry warnings do not depend on the date.
"""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
POLICY_DIR = ROOT / "packaging" / "policy"
TEST_KEY = ROOT / "tests" / "fixtures" / "crypto" / "p256.pub.pem"
NOW = "2026-03-01T00:00:00Z"


def key_files(policy):
    """Paths, relative to the scratch directory, that the policy reads keys from."""
    out = set()
    for verifier in policy.get("verifiers", {}).values() if isinstance(policy.get("verifiers"), dict) else []:
        out.update("keys/" + name for name in verifier.get("keys", []))
        out.update(p for p in verifier.get("keyPaths", []) if not p.startswith("/"))
    transports = policy.get("transports", {})
    for scopes in transports.values():
        for requirements in scopes.values():
            for req in requirements:
                if "keyPath" in req and not req["keyPath"].startswith("/"):
                    out.add(req["keyPath"])
                out.update(p for p in req.get("keyPaths", []) if not p.startswith("/"))
    return sorted(out)


def run(binary, cwd, *args):
    proc = subprocess.run([binary, "policy", *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    return proc.returncode, proc.stdout + proc.stderr


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    policies = [POLICY_DIR / "default-policy.json"] + sorted((POLICY_DIR / "examples").glob("*.json"))
    failed = 0
    for path in policies:
        name = path.relative_to(ROOT)
        with tempfile.TemporaryDirectory(prefix="pullsentry-example-") as tmp:
            scratch = pathlib.Path(tmp)
            shutil.copy(path, scratch / "policy.json")
            for rel in key_files(json.loads(path.read_text())):
                (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(TEST_KEY, scratch / rel)
            lint = ["lint", "policy.json", "--trust-store", str(scratch), "--now", NOW]
            if path.name == "default-policy.json":
                lint.append("--strict")
            code, out = run(binary, scratch, *lint)
            problems = []
            if code != 0 or ": error: " in out:
                problems.append("lint exit %d" % code)
            if path.name == "default-policy.json" and code == 0:
                code, explained = run(binary, scratch, "explain", "registry.example/anything:v1", "--policy",
                                      "policy.json", "--trust-store", str(scratch), "--output", "json")
                doc = json.loads(explained) if code == 0 else {}
                if doc.get("requirement") != "reject" or doc.get("mode") != "enforce":
                    problems.append("the default policy does not refuse in enforce mode: %s" % explained)
                out += explained
        if problems:
            failed += 1
            print("FAIL %s: %s\n%s" % (name, "; ".join(problems), out))
        else:
            print("ok   %s" % name)
            sys.stdout.write("".join("     " + line + "\n" for line in out.splitlines() if ": warning: " in line))
    print("%d policies, %d failed" % (len(policies), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
