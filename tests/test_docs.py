"""The documents that promise tests: every row of docs/errors.md names a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_bad_input_row_is_backed_by_a_test() -> None:
    matrix = (ROOT / "docs" / "errors.md").read_text().split("## The matrix", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in matrix.splitlines() if re.match(r"^\| \d+ \|", line)]
    assert len(rows) >= 30
    for row in rows:
        refs = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`", row)
        assert refs, row
        current = None
        for path, name, sibling in refs:
            if path:
                current = ROOT / path
                assert current.is_file(), (row, path)
            name = name or sibling
            if name:
                assert current is not None and re.search(rf"^def {name}\(", current.read_text(), re.M), (row, name)
