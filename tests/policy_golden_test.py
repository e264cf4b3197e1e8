#!/usr/bin/python3
"""Golden tests of `pullsentry policy lint|explain`: output and exit status.

Usage: policy_golden_test.py PATH/TO/pullsentry [--update]

Cases live in tests/fixtures/policy/{lint,explain}/:
  lint/NAME.json         runs `pullsentry policy lint NAME.json`
  DIR/NAME.args          runs `pullsentry policy ARGS` (shell words, one line)
and each compares with NAME.expected: stdout, then `--- stderr` and stderr
when there is any, then `[exit N]`. Commands run inside the fixture folder
so that paths in the output are relative and the same everywhere.

--update rewrites the .expected files from the binary's output; review the
diff before committing, since the binary is the code under test.
"""
import difflib
import pathlib
import shlex
import subprocess
import sys

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "policy"


def cases():
    for folder in ("lint", "explain"):
        root = FIXTURES / folder
        for args_file in sorted(root.glob("*.args")):
            yield root, args_file.stem, shlex.split(args_file.read_text())
        if folder == "lint":
            for policy in sorted(root.glob("*.json")):
                if not (root / (policy.stem + ".args")).exists():
                    yield root, policy.stem, ["lint", policy.name]


def run(binary, cwd, args):
    proc = subprocess.run([binary, "policy", *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    out = proc.stdout
    if proc.stderr:
        out += "--- stderr\n" + proc.stderr
    return out + "[exit %d]\n" % proc.returncode


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    update = "--update" in sys.argv[2:]
    failed = 0
    total = 0
    for cwd, name, args in cases():
        total += 1
        expected_file = cwd / (name + ".expected")
        actual = run(binary, cwd, args)
        if update:
            expected_file.write_text(actual)
            continue
        expected = expected_file.read_text() if expected_file.exists() else "(missing %s)\n" % expected_file
        if actual == expected:
            print("ok   %s/%s" % (cwd.name, name))
            continue
        failed += 1
        print("FAIL %s/%s: pullsentry policy %s" % (cwd.name, name, shlex.join(args)))
        sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                   "expected", "actual"))
    if total == 0:
        print("no cases found under %s" % FIXTURES)
        return 1
    print("%d cases, %d failed" % (total, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
