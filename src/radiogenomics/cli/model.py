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
from radiogenomics.models.registry import DEFAULT_MODELS, MODELS


@app.command()
def model(
    features: Annotated[Path, typer.Argument(help="Cohort table (.parquet or .csv), one row per case.")],
    target: Annotated[str, typer.Option("--target", "-t", help="Binary 0/1 target column, e.g. TP53.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")],
    clinical: Annotated[str | None, typer.Option(help="Comma-separated clinical columns.")] = None,
    models: Annotated[str, typer.Option(help=f"Comma-separated: {', '.join(MODELS)}.")]
    = ",".join(DEFAULT_MODELS),
    sources: Annotated[str | None, typer.Option(help="Comma-separated sources (default: all found + fused).")]
    = None,
    repeats: Annotated[int, typer.Option(help="Repeats of the protocol (seeds S..S+R-1).")] = 1,
    seed: Annotated[int, typer.Option(help="Base seed.")] = 0,
    folds: Annotated[int, typer.Option(help="CV folds inside training.")] = 5,
    protocol: Annotated[str, typer.Option(help="holdout_cv (9:1 + k-fold), kfold or nested.")] = "holdout_cv",
    test_size: Annotated[float, typer.Option(help="Hold-out share of the patients (holdout_cv).")] = 0.1,
    selector: Annotated[str, typer.Option(help="none, univariate, mrmr, lasso.")] = "univariate",
    k: Annotated[int, typer.Option(help="Number of features kept by the selector.")] = 50,
    drop: Annotated[str | None, typer.Option(help="Comma-separated columns to ignore (e.g. other targets).")]
    = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for CIs.")] = 1000,
) -> None:
    """Evaluate models per source and fused under the leakage-safe protocol; write OUT/metrics.json etc."""
    from radiogenomics.cli.results import print_results
    from radiogenomics.models.stage import ModelSettings, run

    try:
        settings = ModelSettings.validate_dict(dict(
            target=target, clinical=split_list(clinical), models=split_list(models), sources=split_list(sources),
            repeats=repeats, seed=seed, folds=folds, protocol=protocol, test_size=test_size, selector=selector, k=k,
            drop=split_list(drop), n_boot=n_boot))
        df = read_table(features)
        t0 = time.perf_counter()
        with console.status(f"evaluating {len(settings.models)} model(s) on {len(df)} cases"):
            res = run(settings, df, out)
        print_results(res.result.summary(), json.loads(res.paths["delong"].read_text()), res.n_cases)
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
