#!/usr/bin/python3
"""Golden tests of `pullsentry policy import`: output and exit status.

Usage: policy_import_golden_test.py PATH/TO/pullsentry [--update]

Cases live in tests/fixtures/policy/import/:
  NAME.json        runs `pullsentry policy import NAME.json`
  NAME.args        runs `pullsentry policy ARGS` (shell words, one line)
and each compares with NAME.expected: stdout (the native policy), then
`--- stderr` and stderr when there is any, then `[exit N]`. Commands run
inside the fixture folder so that paths in the output are relative.
NAME.json files that have a NAME.args are inputs only.

--update rewrites the .expected files from the binary's output; review the
diff before committing, since the binary is the code under test.
"""
import difflib
import pathlib
import shlex
import subprocess
import sys

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "policy" / "import"


def cases():
    for args_file in sorted(FIXTURES.glob("*.args")):
        yield args_file.stem, shlex.split(args_file.read_text())
    for policy in sorted(FIXTURES.glob("*.json")):
        if not (FIXTURES / (policy.stem + ".args")).exists() and not policy.name.endswith(".input.json"):
            yield policy.stem, ["import", policy.name]


def run(binary, args):
    proc = subprocess.run([binary, "policy", *args], cwd=FIXTURES, capture_output=True, text=True, timeout=60,
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
    failed = total = 0
    for name, args in cases():
        total += 1
        expected_file = FIXTURES / (name + ".expected")
        actual = run(binary, args)
        if update:
            expected_file.write_text(actual)
            continue
        expected = expected_file.read_text() if expected_file.exists() else "(missing %s)\n" % expected_file
        if actual == expected:
            print("ok   import/%s" % name)
            continue
        failed += 1
        print("FAIL import/%s: pullsentry policy %s" % (name, shlex.join(args)))
        sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                   "expected", "actual"))
    # --output writes the same bytes as stdout.
    total += 1
    out = FIXTURES / "output-check.tmp"
    try:
        proc = subprocess.run([binary, "policy", "import", "notation-spec-example.json", "--output", out.name],
                              cwd=FIXTURES, capture_output=True, text=True, timeout=60)
        stdout = subprocess.run([binary, "policy", "import", "notation-spec-example.json"], cwd=FIXTURES,
                                capture_output=True, text=True, timeout=60).stdout
        if proc.returncode != 0 or proc.stdout or not out.exists() or out.read_text() != stdout:
            failed += 1
            print("FAIL import --output: exit %d, stdout %r" % (proc.returncode, proc.stdout[:200]))
        else:
            print("ok   import --output")
    finally:
        if out.exists():
            out.unlink()
    if total == 0:
        print("no cases found under %s" % FIXTURES)
        return 1
    print("%d cases, %d failed" % (total, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
