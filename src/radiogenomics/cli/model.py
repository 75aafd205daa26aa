"""Commands ``model`` (evaluate mutation-prediction models), ``predict`` (apply a saved model) and ``validate``
(external validation of a saved model on another cohort)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from radiogenomics.cli import app, console, err_console, fail, out_folder, split_list
from radiogenomics.cli.tables import failed_beside, read_table
from radiogenomics.errors import RadiogenomicsError
from radiogenomics.models.registry import DEFAULT_MODELS, MODELS


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]evaluating[/] {task.description:<32}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


@app.command()
def model(
    features: Annotated[Path, typer.Argument(help="Cohort table (.parquet or .csv), one row per case.")],
    target: Annotated[str, typer.Option("--target", "-t", help="Binary 0/1 target column, e.g. TP53.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.", callback=out_folder)],
    clinical: Annotated[str | None, typer.Option(help="Comma-separated clinical columns.")] = None,
    categorical: Annotated[str | None, typer.Option(help="Comma-separated clinical columns that are categorical "
                                                         "(one-hot; tokens in the Transformer), e.g. grade.")]
    = None,
    models: Annotated[str, typer.Option(help=f"Comma-separated: {', '.join(MODELS)}.")]
    = ",".join(DEFAULT_MODELS),
    sources: Annotated[str | None, typer.Option(help="Comma-separated sources (default: all found + fused).")]
    = None,
    repeats: Annotated[int, typer.Option(help="Repeats of the protocol (seeds S..S+R-1).")] = 1,
    seed: Annotated[int, typer.Option(help="Base seed.")] = 0,
    folds: Annotated[int, typer.Option(help="CV folds inside training.")] = 5,
    protocol: Annotated[str, typer.Option(help="auto (hold-out only with >= 10 cases of each class in it, else "
                                               "repeated k-fold), holdout_cv (9:1 + k-fold), kfold or nested.")]
    = "auto",
    test_size: Annotated[float, typer.Option(help="Hold-out share of the patients (holdout_cv).")] = 0.1,
    selector: Annotated[str, typer.Option(help="none, univariate, mrmr, lasso.")] = "univariate",
    k: Annotated[int, typer.Option(help="Number of features kept by the selector.")] = 50,
    stack_folds: Annotated[int, typer.Option(help="Inner folds of the stacked model's out-of-fold imaging score.")]
    = 5,
    drop: Annotated[str | None, typer.Option(help="Comma-separated columns to ignore (e.g. other targets).")]
    = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for CIs.")] = 1000,
) -> None:
    """Evaluate models per source and fused under the leakage-safe protocol; write OUT/metrics.json etc."""
    from radiogenomics.cli.results import print_results
    from radiogenomics.models.stage import ModelSettings, run

    try:
        settings = ModelSettings.validate_dict(dict(
            target=target, clinical=split_list(clinical), categorical=split_list(categorical),
            models=split_list(models), sources=split_list(sources),
            repeats=repeats, seed=seed, folds=folds, protocol=protocol, test_size=test_size, selector=selector, k=k,
            stack_folds=stack_folds,
            drop=split_list(drop), n_boot=n_boot))
        df = read_table(features)
        t0 = time.perf_counter()
        with _progress() as bar:
            task = bar.add_task("models", total=None)
            res = run(settings, df, out, exclude=failed_beside(features),
                      progress=lambda done, total, what: bar.update(task, completed=done, total=total,
                                                                    description=what))
        print_results(res.result.summary(), json.loads(res.paths["delong"].read_text()), res.result.protocol_reason,
                      added=json.loads(res.paths["added_value"].read_text()))
        console.print(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    except RadiogenomicsError as exc:
        raise fail(exc) from exc


@app.command()
def predict(
    modeldir: Annotated[Path, typer.Argument(help="A saved model folder (OUT/<model>__<source>/model).")],
    features: Annotated[Path, typer.Argument(help="Cohort table (.parquet or .csv).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV.")],
    allow_pickle: Annotated[bool, typer.Option(help="Also load a pickled model (model.joblib: loading it runs "
                                                    "code; only for a folder your own run wrote).")] = False,
) -> None:
    """Apply a saved model to a feature table (its files are checked against the checksums saved with it); the
    probabilities are recalibrated as the run stored (model.json "recalibration")."""
    import pandas as pd

    from radiogenomics.models.metrics import recalibrate
    from radiogenomics.models.outputs import apply_encodings
    from radiogenomics.models.persistence import load_model
    from radiogenomics.models.validate import model_folder

    try:
        est, meta = load_model(model_folder(modeldir), allow_pickle=allow_pickle)
        df = apply_encodings(read_table(features), meta.get("encodings", {}))  # the training run's codes
        p = recalibrate(est.predict_proba(df)[:, 1], meta.get("recalibration"))  # as the run calibrated it
        if "case_id" in df.columns:
            result = pd.DataFrame({"case_id": df["case_id"], "prob": p})
        else:  # no ids to invent: the rows are numbered as in the table (1-based)
            err_console.print("[yellow]the table has no case_id column: predictions are listed by row number[/]")
            result = pd.DataFrame({"row": range(1, len(df) + 1), "prob": p})
        out.parent.mkdir(parents=True, exist_ok=True)
        result.to_csv(out, index=False)
        console.print(f"wrote {out} ({len(df)} cases)")
    except RadiogenomicsError as exc:
        raise fail(exc) from exc


@app.command()
def validate(
    modeldir: Annotated[Path, typer.Argument(help="A saved model: OUT/<model>__<source> (or its model/ folder).")],
    features: Annotated[Path, typer.Argument(help="The external cohort's table (.parquet or .csv).")],
    target: Annotated[str, typer.Option("--target", "-t", help="Binary 0/1 target column of the external table.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.", callback=out_folder)],
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for CIs.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    harmonise: Annotated[bool, typer.Option(help="Map the imaging inputs to the training cohort's mean and SD first "
                                                 "(reference-batch ComBat, location/scale).")] = False,
    allow_pickle: Annotated[bool, typer.Option(help="Also load a pickled model (loading it runs code).")] = False,
) -> None:
    """Apply a saved model to another cohort: AUC, accuracy, sensitivity, specificity, F1 with 95% CIs, calibration
    slope/intercept and Brier; OUT/metrics.json, predictions.csv, shift.csv, ROC and calibration figures."""
    from rich.table import Table

    from radiogenomics.models.validate import ValidationSettings, run

    try:
        settings = ValidationSettings.validate_dict(dict(target=target, n_boot=n_boot, seed=seed, harmonise=harmonise,
                                                         allow_pickle=allow_pickle))
        res = run(settings, modeldir, read_table(features), out)
        table = Table("metric", "value [95% CI]", "n", "positives", title=f"external validation of "
                      f"{res.meta['model']} / {res.meta['source']}", title_justify="left")
        for r in res.metrics.itertuples(index=False):
            table.add_row(r.metric, f"{r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]", str(r.n), str(r.n_pos))
        console.print(table)
        if not res.metrics["reliable"].iloc[0]:
            console.print(f"[yellow]unreliable: {res.metrics['reason'].iloc[0]}[/]")
        if res.meta.get("median_abs_smd") is not None:
            console.print(f"feature shift against the training cohort: median |SMD| {res.meta['median_abs_smd']:.2f} "
                          f"(OUT/shift.csv)")
        console.print(f"wrote {out}")
    except RadiogenomicsError as exc:
        raise fail(exc) from exc
