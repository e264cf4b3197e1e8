#!/usr/bin/python3
"""The README's refusal table is backed by tests.

Every row of the table under "## Refusals" must name, in its last column, at
least one test as ``path/to/file:test_name`` (a Python test method or a
GoogleTest test name), and that file must exist and define that test. A row
whose test was renamed or deleted fails here, so the table cannot drift
away from what the daemon is shown to say.

    /usr/bin/python3 tests/refusal_table_test.py [README]
"""

from __future__ import annotations

import re
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = Path(sys.argv.pop(1)) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else ROOT / "README.md"

TEST_REF = re.compile(r"`([\w./-]+):(\w+)`")


def refusal_rows(text: str) -> list[list[str]]:
    section = text.split("\n## Refusals", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or line.startswith("| ---") or line.startswith("| reason"):
            continue
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def defines_test(path: Path, name: str) -> bool:
    source = path.read_text()
    if path.suffix == ".py":
        return re.search(rf"^\s*def {re.escape(name)}\(", source, re.M) is not None
    # GoogleTest: TEST(Suite, name), TEST_F(Fixture, name), TEST_P(...)
    return re.search(rf"TEST(?:_F|_P)?\(\s*\w+\s*,\s*{re.escape(name)}\s*\)", source) is not None


class RefusalTableTest(unittest.TestCase):

    def test_every_row_names_existing_tests(self):
        rows = refusal_rows(README.read_text())
        self.assertGreaterEqual(len(rows), 10, "the refusal table is missing or nearly empty")
        for row in rows:
            with self.subTest(reason=row[0]):
                refs = TEST_REF.findall(row[-1])
                self.assertTrue(refs, f"row {row[0]!r} names no test in its last column")
                for file_name, test_name in refs:
                    path = ROOT / file_name
                    self.assertTrue(path.is_file(), f"{file_name} (row {row[0]!r}) does not exist")
                    self.assertTrue(defines_test(path, test_name),
                                    f"{file_name} defines no test {test_name} (row {row[0]!r})")

    def test_checker_catches_a_missing_test(self):
        # The checker itself must be able to fail.
        self.assertFalse(defines_test(Path(__file__), "test_that_does_not_exist"))
        self.assertTrue(defines_test(Path(__file__), "test_checker_catches_a_missing_test"))


if __name__ == "__main__":
    unittest.main()
