#!/usr/bin/python3
"""Prints the closing line of meson test runs: 'N passed, N failed'.

Takes one or more testlog.json files (the main run, the sanitizer run, ...)
and sums them into one line. A file that is missing counts as one failure,
so a run that never happened cannot look clean.

Counts the individual test cases inside each test program (GoogleTest and
unittest report them) rather than the programs, so the line says how many
behaviours were checked.
"""
import json
import re
import sys

GTEST_RE = re.compile(r"^\[\s+(OK|FAILED|SKIPPED)\s+\] \S+\.\S+ \(\d+ ms\)$", re.M)
UNITTEST_RE = re.compile(r"^Ran (\d+) tests? in .*?\n\n(OK|FAILED)(?: \((.*)\))?", re.M | re.S)


def count(record):
    """Returns (passed, failed, skipped) for one test program's record."""
    out = record.get("stdout", "") or ""
    ok = record.get("result") in ("OK", "EXPECTEDFAIL")
    gtest = GTEST_RE.findall(out)
    if gtest:
        return (gtest.count("OK"), gtest.count("FAILED") + (0 if ok or "FAILED" in gtest else 1),
                gtest.count("SKIPPED"))
    unit = UNITTEST_RE.search(out)
    if unit:
        ran = int(unit.group(1))
        details = dict(re.findall(r"(\w+)=(\d+)", unit.group(3) or ""))
        failed = int(details.get("failures", 0)) + int(details.get("errors", 0))
        skipped = int(details.get("skipped", 0))
        if not ok and failed == 0:
            failed = 1
        return (ran - failed - skipped, failed, skipped)
    if record.get("result") == "SKIP":
        return (0, 0, 1)
    return (1, 0, 0) if ok else (0, 1, 0)


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            log = open(path, encoding="utf-8")
        except FileNotFoundError:
            print(f"summarize: {path}: no test log", file=sys.stderr)
            failed += 1
            continue
        with log:
            for line in log:
                if not line.strip():
                    continue
                p, f, s = count(json.loads(line))
                passed, failed, skipped = passed + p, failed + f, skipped + s
    print(f"{passed} passed, {failed} failed, {skipped} skipped")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: summarize.py TESTLOG.json...")
    main(sys.argv[1:])
