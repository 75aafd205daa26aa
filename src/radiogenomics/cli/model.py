"""Commands ``model`` (evaluate mutation-prediction models) and ``predict`` (apply a saved model)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from radiogenomics.cli import app, console, fail, split_list
from radiogenomics.cli.tables import read_table
from radiogenomics.errors import RadiogenomicsError


@app.command()
def model(
    features: Annotated[Path, typer.Argument(help="Cohort table (.parquet or .csv), one row per case.")],
    target: Annotated[str, typer.Option("--target", "-t", help="Binary 0/1 target column, e.g. TP53.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")],
    clinical: Annotated[str | None, typer.Option(help="Comma-separated clinical columns.")] = None,
    models: Annotated[str, typer.Option(help="Comma-separated: transformer,lasso,elasticnet,logistic,rf,hgb.")]
    = "lasso,rf",
    sources: Annotated[str | None, typer.Option(help="Comma-separated sources (default: all found + fused).")]
    = None,
    repeats: Annotated[int, typer.Option(help="Repeats of the protocol (seeds S..S+R-1).")] = 1,
    seed: Annotated[int, typer.Option(help="Base seed.")] = 0,
    folds: Annotated[int, typer.Option(help="CV folds inside training.")] = 5,
    protocol: Annotated[str, typer.Option(help="holdout_cv (9:1 + k-fold), kfold or nested.")] = "holdout_cv",
    selector: Annotated[str, typer.Option(help="none, univariate, mrmr, lasso.")] = "univariate",
    k: Annotated[int, typer.Option(help="Number of features kept by the selector.")] = 50,
    drop: Annotated[str | None, typer.Option(help="Comma-separated columns to ignore (e.g. other targets).")]
    = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for CIs.")] = 1000,
) -> None:
    """Evaluate models per source and fused under the leakage-safe protocol; write OUT/metrics.json etc."""
    from radiogenomics.models import Protocol
    from radiogenomics.models.outputs import run_models, write_outputs

    try:
        df = read_table(features)
        clin = split_list(clinical)
        ignore = [c for c in split_list(drop) if c in df.columns]
        if ignore:
            df = df.drop(columns=ignore)
        t0 = time.perf_counter()
        res, meta = run_models(df, target, clinical=clin, models=split_list(models),
                               sources=split_list(sources) or None,
                               protocol=Protocol(kind=protocol, n_folds=folds, repeats=repeats, seed=seed,
                                                 n_boot=n_boot),
                               selector=selector, k=k, seed=seed)
        meta["drop"] = ignore
        paths = write_outputs(res, out, meta)
        summary = res.summary()
        table = summary[summary.metric == "roc_auc"].pivot_table(index=["model", "source"], columns="split",
                                                                  values="value")
        console.print("ROC AUC")
        console.print(table.round(3).to_string())
        dl = json.loads(paths["delong"].read_text())
        if dl:
            console.print(f"DeLong vs best by CV AUC ({dl[0]['model_b']} / {dl[0]['source_b']}), hold-out:")
            for r in dl:
                console.print(f"  r{r['repeat']} {r['model_a']:>12} / {r['source_a']:<16} AUC {r['auc_a']:.3f} vs "
                              f"{r['auc_b']:.3f}  z={r['z']:+.2f}  p={r['p']:.3g}")
        console.print(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    except RadiogenomicsError as exc:
        raise fail(exc) from exc


@app.command()
def predict(
    modeldir: Annotated[Path, typer.Argument(help="A saved model folder (OUT/<model>__<source>/model).")],
    features: Annotated[Path, typer.Argument(help="Cohort table (.parquet or .csv).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV.")],
) -> None:
    """Apply a saved model (from your own run: it is unpickled) to a feature table."""
    import pandas as pd

    from radiogenomics.models.outputs import apply_encodings
    from radiogenomics.models.persistence import load_model

    try:
        est, meta = load_model(modeldir)
        df = apply_encodings(read_table(features), meta.get("encodings", {}))  # the training run's codes
        p = est.predict_proba(df)[:, 1]
        ids = df["case_id"] if "case_id" in df.columns else pd.Series(range(len(df)), name="case_id")
        out.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"case_id": ids, "prob": p}).to_csv(out, index=False)
        console.print(f"wrote {out} ({len(df)} cases)")
    except RadiogenomicsError as exc:
        raise fail(exc) from exc
