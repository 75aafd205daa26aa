r"""IBSI-1 reference values and the matching rule.

The reference table (``reference/ibsi1_reference.csv`` of the IBSI data folder) gives per phantom,
configuration and feature tag a value and a tolerance. IBSI prints reference values rounded to three
significant digits (trailing zeros dropped, so ``0.6`` stands for 0.600). A measured value :math:`x`
matches the reference :math:`r` with tolerance :math:`t` when

.. math:: |x - r| \le t \quad\text{or}\quad |\operatorname{round}_n(x) - r| \le t,

where :math:`\operatorname{round}_n` rounds to :math:`n = \max(3, \text{significant digits printed})`
significant digits (the rule of the IBSI compliance checks, e.g. MIRP's test-suite).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from radiogenomics.errors import ImageReadError

__all__ = ["load_reference", "matches", "printed_digits", "round_significant"]

REFERENCE_FILE = Path("reference") / "ibsi1_reference.csv"


def printed_digits(text: str) -> int:
    """Significant digits of a number as printed (``"0.0946"`` -> 3, ``"1650000000"`` -> 3, ``"1"`` -> 1)."""
    s = text.strip().lstrip("+-")
    if "." in s:
        digits = s.replace(".", "").lstrip("0")
        return max(len(digits), 1)
    return max(len(s.strip("0")), 1)


def round_significant(x: float, digits: int) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def matches(value: float, reference: str | float, tolerance: float) -> bool:
    """Whether ``value`` matches the printed ``reference`` within ``tolerance`` (see the module docstring)."""
    if not math.isfinite(value):
        return False
    text = reference if isinstance(reference, str) else repr(float(reference))
    ref = float(text)
    eps = 1e-9 * max(1.0, abs(ref))
    if abs(value - ref) <= tolerance + eps:
        return True
    digits = max(3, printed_digits(text))
    return abs(round_significant(value, digits) - ref) <= tolerance + eps


def load_reference(data_dir: str | Path) -> pd.DataFrame:
    """The IBSI-1 reference table of ``data_dir`` (values kept as printed strings in ``value_text``)."""
    path = Path(data_dir) / REFERENCE_FILE
    if not path.exists():
        raise ImageReadError(f"IBSI reference table not found: {path}")
    ref = pd.read_csv(path, dtype={"value": str, "config": str}, keep_default_na=False)
    ref["value_text"] = ref["value"]
    ref["value"] = ref["value"].astype(np.float64)
    ref["tolerance"] = pd.to_numeric(ref["tolerance"]).astype(np.float64)
    return ref
