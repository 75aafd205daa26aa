"""Commands ``cnn train`` (evaluate a 3D CNN under the models protocol) and ``cnn predict`` (apply a saved one)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from radiogenomics.cli import app, console, fail, out_folder, split_list
from radiogenomics.errors import RadiogenomicsError
from radiogenomics.models.registry import DEFAULT_MODELS, MODELS

cnn_app = typer.Typer(help="3D CNN classifiers on images (N4, tumour bounding box, MONAI ResNet/SE-ResNet/…).",
                      no_args_is_help=True)
app.add_typer(cnn_app, name="cnn")


def _ints(text: str | None, param_hint: str) -> list[int]:
    """Comma-separated integers (``"128,128,68"``); anything else is a usage error naming the option."""
    try:
        return [int(v) for v in split_list(text)]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated integers such as 128,128,68, got {text!r}",
                                 param_hint=param_hint) from None


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("preprocessing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


def _find_model(modeldir: Path) -> Path:
    """``modeldir`` itself when it holds a saved CNN, else its single ``*/model`` sub-folder that does."""
    from radiogenomics.cnn.persistence import CONFIG, WEIGHTS

    if (modeldir / WEIGHTS).is_file():
        return modeldir
    found = sorted(p.parent for p in modeldir.glob(f"*/model/{WEIGHTS}"))
    if len(found) != 1:
        raise typer.BadParameter(f"{modeldir} holds {len(found)} saved CNNs (*/model/{WEIGHTS}, {CONFIG}); "
                                 "give the model folder itself", param_hint="MODELDIR")
    return found[0]


@cnn_app.command()
def train(
    manifest: Annotated[Path, typer.Argument(help="Manifest (CSV/YAML): case_id, image columns, <roi>_mask, target.")],
    target: Annotated[str, typer.Option("--target", "-t", help="Binary 0/1 target column, e.g. TP53 or ER.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder (MODELDIR).", callback=out_folder)],
    channels: Annotated[str | None, typer.Option(help="Comma-separated image columns, e.g. pet,ct or "
                                                      "mri_dce0,mri_dce1,mri_dce2,mri_dce3.")] = None,
    arch: Annotated[str | None, typer.Option(help="resnet10/18/34/50, seresnet50, seresnext50, seresnext101, "
                                                  "densenet121.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML/JSON settings with sections preprocess and train; "
                                                     "options given here override it.")] = None,
    roi: Annotated[str | None, typer.Option(help="ROI whose mask (<roi>_mask) gives the bounding box.")] = None,
    size: Annotated[str | None, typer.Option(help="Input size x,y,z (default 128,128,68).")] = None,
    margin: Annotated[float | None, typer.Option(help="Margin around the bounding box, mm.")] = None,
    n4: Annotated[str | None, typer.Option(help="Comma-separated channels to N4-correct (MRI).")] = None,
    width: Annotated[float | None, typer.Option(help="ResNet width factor (0.25 for CPU smoke runs).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Maximum epochs.")] = None,
    patience: Annotated[int | None, typer.Option(help="Early-stopping patience, epochs.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size.")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate (AdamW).")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu or cuda.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of training and of the protocol's splits.")] = None,
    protocol: Annotated[str, typer.Option(help="auto (as `model`), holdout_cv (hold-out + k-fold) or kfold.")]
    = "auto",
    folds: Annotated[int, typer.Option(help="CV folds inside training.")] = 5,
    repeats: Annotated[int, typer.Option(help="Repeats of the protocol.")] = 1,
    test_size: Annotated[float, typer.Option(help="Hold-out share of the patients.")] = 0.2,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for CIs.")] = 1000,
    features: Annotated[Path | None, typer.Option(help="Cohort feature table to evaluate radiomics models on "
                                                       "the same cases and splits (.parquet/.csv/.tsv; a long "
                                                       "`cohort extract` table is pivoted).")] = None,
    models: Annotated[str, typer.Option(help=f"Radiomics models for --features ({', '.join(MODELS)}).")]
    = ",".join(DEFAULT_MODELS),
    drop: Annotated[str | None, typer.Option(help="Feature-table columns to ignore (other targets).")] = None,
    cache: Annotated[Path | None, typer.Option(help="Volume cache folder (default OUT/cache).")] = None,
) -> None:
    """Preprocess, train and evaluate a CNN under the models protocol; write OUT/metrics.json, OUT/<arch>__<source>/."""
    from radiogenomics.cli.results import print_results
    from radiogenomics.cli.tables import read_table
    from radiogenomics.cnn.settings import load_cnn_settings
    from radiogenomics.cnn.stage import CnnRunSettings, run

    try:
        s = load_cnn_settings(config)
        pre = {k: v for k, v in {"channels": split_list(channels) or None, "roi": roi, "margin_mm": margin,
                                 "size": _ints(size, "--size") or None,
                                 "n4": split_list(n4) if n4 is not None else None}.items() if v is not None}
        tr = {k: v for k, v in {"arch": arch, "width": width, "max_epochs": epochs, "patience": patience,
                                "batch_size": batch_size, "lr": lr, "device": device, "seed": seed}.items()
              if v is not None}
        s = s.replace(preprocess=s.preprocess.replace(**pre), train=s.train.replace(**tr))
        settings = CnnRunSettings.validate_dict(dict(
            target=target, cnn=s, compare=split_list(models), protocol=protocol, folds=folds, repeats=repeats,
            test_size=test_size, n_boot=n_boot, drop=split_list(drop)))
        feats = read_table(features, "--features") if features is not None else None
        t0 = time.perf_counter()
        with _progress() as bar:
            task = bar.add_task("preprocessing", total=None)
            res = run(settings, manifest, out, features=feats, cache_dir=cache,
                      progress=lambda done, total: bar.update(task, completed=done, total=total))
        if len(res.failures):
            console.print(f"[yellow]{len(res.failures)} case(s) failed preprocessing[/] (see {out / 'failures.csv'})")
        print_results(res.result.summary(), json.loads(res.paths["delong"].read_text()), res.result.protocol_reason)
        console.print(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    except RadiogenomicsError as exc:
        raise fail(exc) from exc


@cnn_app.command()
def predict(
    modeldir: Annotated[Path, typer.Argument(help="A `cnn train` output folder, or its <arch>__<source>/model.")],
    manifest: Annotated[Path, typer.Argument(help="Manifest of the cases to predict.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV (case_id, prob).")],
    cache: Annotated[Path | None, typer.Option(help="Volume cache folder (default: beside the output CSV).")]
    = None,
) -> None:
    """Preprocess the manifest's cases as at training time and write each case's probability."""
    import pandas as pd

    from radiogenomics.cnn.cache import prepare_volumes
    from radiogenomics.cnn.persistence import load_cnn
    from radiogenomics.io.manifest import read_manifest

    try:
        est, pre, _ = load_cnn(_find_model(modeldir))
        with _progress() as bar:
            task = bar.add_task("preprocessing", total=None)
            vols, failures = prepare_volumes(manifest, pre, cache or out.parent / "cnn_cache",
                                             progress=lambda d, t: bar.update(task, completed=d, total=t))
        failed = set(failures["case_id"])
        table = read_manifest(manifest).table
        ids = [c for c in dict.fromkeys(table["case_id"]) if c and c in vols and c not in failed]
        est.set_params(volumes=str(vols.directory))
        out.parent.mkdir(parents=True, exist_ok=True)
        p = est.predict_proba(ids)[:, 1] if ids else []
        pd.DataFrame({"case_id": ids, "prob": p}).to_csv(out, index=False)
        if len(failures):
            console.print(f"[yellow]{len(failures)} case(s) failed preprocessing:[/] "
                          + ", ".join(f"{r.case_id} ({r.error})" for r in failures.itertuples()))
        console.print(f"wrote {out} ({len(ids)} cases)")
    except RadiogenomicsError as exc:
        raise fail(exc) from exc
