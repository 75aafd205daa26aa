"""Printing the results of a modelling run (``model`` and ``cnn train``): ROC AUC with its 95% CI, n and positives
per split, which results are unreliable and why, and the DeLong tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from radiogenomics.cli import console

if TYPE_CHECKING:
    import pandas as pd


def _fmt(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.3f}"


def print_results(summary: pd.DataFrame, delong: list[dict[str, Any]], protocol_reason: str = "",
                  added: list[dict[str, Any]] | None = None) -> None:
    """ROC AUC per model × source and split with its 95% CI, ``n`` and positives; unreliable results say why; the
    added value of imaging over the clinical model (``added``, records of ``added_value.json``)."""
    auc = summary[summary.metric == "roc_auc"]
    table = Table("model", "source", "split", "ROC AUC [95% CI]", "n", "positives", "note",
                  title="ROC AUC" + (f" — protocol {protocol_reason}" if protocol_reason else ""), title_justify="left")
    for r in auc.itertuples(index=False):
        table.add_row(r.model, r.source, r.split, f"{_fmt(r.value)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]",
                      str(r.n), str(r.n_pos), "" if r.reliable else f"[yellow]unreliable: {r.reason}[/]")
    console.print(table)
    cv = auc[(auc.split == "cv") & auc.reliable]
    if cv.empty:
        console.print("[yellow]no reliable result: no model is named best[/]")
    else:
        best = cv.loc[cv["value"].idxmax()]
        console.print(f"best by CV ROC AUC among reliable results: {best['model']} / {best['source']} "
                      f"({_fmt(best['value'])}, n={best['n']}, {best['n_pos']} positive)")
    if delong:
        what = "hold-out" if delong[0].get("split") == "test" else "pooled out-of-fold predictions"
        console.print(f"DeLong vs best by CV AUC ({delong[0]['model_b']} / {delong[0]['source_b']}), {what}:")
    for r in delong:
        console.print(f"  r{r['repeat']} {r['model_a']:>12} / {r['source_a']:<16} AUC {r['auc_a']:.3f} vs "
                      f"{r['auc_b']:.3f}  z={r['z']:+.2f}  p={r['p']:.3g}")
    for r in added or []:
        what = "CV folds" if r["split"] == "cv" else "hold-out"
        console.print(f"imaging adds {r['difference']:+.3f} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}] ROC AUC: "
                      f"{r['model']} / {r['source']} vs {r['reference']}, {what} ({r['method']}, p={_fmt(r['p'])}, "
                      f"n={r['n']})" + ("" if r["reliable"] else f" [yellow]unreliable: {r['reason']}[/]"))
