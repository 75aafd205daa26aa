"""Regenerate ``docs/ibsi.md``: IBSI-1 compliance of the IBSI mode (digital phantom, CT configurations A–E),
every miss, the default-mode comparison and, when ``radiogenomics.ibsi.filters.phase1_table`` exists, the
IBSI-2 phase-1 filter summary.

Usage: ``.venv/bin/python scripts/make_ibsi_doc.py [--data ../shared/data/ibsi] [--out docs/ibsi.md]
[--no-filters]``
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "ibsi")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "ibsi.md")
    parser.add_argument("--no-filters", action="store_true", help="skip the IBSI-2 phase-1 filter summary")
    args = parser.parse_args(argv)

    from radiogenomics.ibsi.report import compliance_summary, default_mode_comparison, render_markdown, run_all

    results = run_all(args.data)
    print(compliance_summary(results).to_string(index=False))
    comparison = default_mode_comparison(args.data)
    print(f"default mode on the digital phantom: {int(comparison['default_pass'].sum())}/{len(comparison)} match")
    filters = None
    if not args.no_filters:
        try:
            module = importlib.import_module("radiogenomics.ibsi.filters")
        except ImportError:
            module = None
        if module is not None and hasattr(module, "phase1_table"):
            filters = module.phase1_table(args.data)
            print(f"IBSI-2 phase 1: {int(filters['pass'].sum())}/{len(filters)} configurations reproduced")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_markdown(results, comparison, filters))
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
