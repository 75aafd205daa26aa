"""Printing the results of a modelling run (``model`` and ``cnn train``): ROC AUC by split, hold-out CIs, DeLong."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from radiogenomics.cli import console

if TYPE_CHECKING:
    import pandas as pd


def print_results(summary: pd.DataFrame, delong: list[dict[str, Any]], n_cases: int) -> None:
    """ROC AUC per model × source and split, the hold-out AUC with its 95% CI and n, and the DeLong tests."""
    auc = summary[summary.metric == "roc_auc"]
    console.print(f"ROC AUC ({n_cases} cases)")
    console.print(auc.pivot_table(index=["model", "source"], columns="split", values="value").round(3).to_string())
    for _, r in auc[auc.split == "test"].iterrows():
        console.print(f"  {r['model']} / {r['source']}: hold-out AUC {r['value']:.3f} "
                      f"(95% CI {r['ci_low']:.3f}–{r['ci_high']:.3f}, n={r['n']})")
    if delong:
        console.print(f"DeLong vs best by CV AUC ({delong[0]['model_b']} / {delong[0]['source_b']}), hold-out:")
    for r in delong:
        console.print(f"  r{r['repeat']} {r['model_a']:>12} / {r['source_a']:<16} AUC {r['auc_a']:.3f} vs "
                      f"{r['auc_b']:.3f}  z={r['z']:+.2f}  p={r['p']:.3g}")
