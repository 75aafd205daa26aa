"""The IBSI matching rule: within tolerance, or equal after rounding to the printed precision (>= 3 digits)."""

from __future__ import annotations

import math

import pytest

from radiogenomics.ibsi.reference import matches, printed_digits, round_significant


@pytest.mark.parametrize(
    ("text", "digits"),
    [("0.0946", 3), ("1650000000", 3), ("1", 1), ("-0.355", 3), ("0.6", 1), ("13.1", 3), ("-50", 1), ("4810000", 3)],
)
def test_printed_digits(text: str, digits: int) -> None:
    assert printed_digits(text) == digits


def test_round_significant() -> None:
    assert round_significant(2.148649, 3) == 2.15
    assert round_significant(-0.354620, 3) == -0.355
    assert round_significant(1_648_000_000.0, 3) == 1_650_000_000.0
    assert round_significant(0.0, 3) == 0.0


@pytest.mark.parametrize(
    ("value", "ref", "tol", "expected"),
    [
        (2.148649, "2.15", 0.0, True),   # rounds to the printed value
        (2.156, "2.15", 0.0, False),     # rounds to 2.16
        (0.6004, "0.6", 0.0, True),      # 0.6 means 0.600
        (0.6006, "0.6", 0.0, False),     # 0.601
        (1.4, "1", 0.0, False),          # 1 means 1.00
        (560.0, "556", 4.0, True),       # within tolerance
        (560.4, "556", 4.0, True),       # rounds to 560
        (561.0, "556", 4.0, False),
        (math.nan, "1", 10.0, False),    # an undefined value never matches
    ],
)
def test_matches(value: float, ref: str, tol: float, expected: bool) -> None:
    assert matches(value, ref, tol) is expected
