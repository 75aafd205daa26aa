"""Commands ``segment train``, ``segment predict`` and ``segment evaluate`` (tumour segmentation)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from radiogenomics.cli import app, console, err_console, fail, out_folder, split_list
from radiogenomics.errors import RadiogenomicsError

segment_app = typer.Typer(help="Tumour segmentation: nnU-Net v2, MONAI Attention U-Net or PET thresholds; Dice, HD95, "
                               "by lesion size.",
                          no_args_is_help=True)
app.add_typer(segment_app, name="segment")


def _progress_bar(label: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(f"[bold]{label}[/] {{task.description}}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


@segment_app.command()
def train(
    manifest: Annotated[Path, typer.Argument(help="Manifest with image columns (e.g. ct, pet) and the label column.")],
    method: Annotated[str, typer.Option("--method", "-m", help="attention-unet, nnunet, or threshold (a PET "
                                                               "threshold rule, no training).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Model folder (MODELDIR).", callback=out_folder)],
    config: Annotated[Path | None, typer.Option("--config", help="YAML/JSON settings of the method; the options "
                                                                 "below override it.")] = None,
    channels: Annotated[str | None, typer.Option(help="Comma-separated input channels, e.g. ct,pet.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Training epochs (per fold for nnU-Net).")] = None,
    folds: Annotated[str | None, typer.Option(help="nnU-Net folds to train, e.g. 0,1,2,3,4.")] = None,
    device: Annotated[str | None, typer.Option(help="auto (CUDA when available), cpu or cuda.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="nnU-Net: continue an earlier run in MODELDIR made from "
                                                          "the same manifest and settings (its preprocessing and "
                                                          "finished folds are reused, an interrupted fold continues "
                                                          "from its latest checkpoint).")] = False,
) -> None:
    """Train a segmentation model on the labelled cases of MANIFEST and save it in MODELDIR."""
    from radiogenomics.segment.settings import Method, load_segment_settings
    from radiogenomics.segment.stage import run
    from radiogenomics.settings import read_settings_file

    fold_list = None
    if folds:
        try:
            fold_list = [int(f) for f in split_list(folds)]
        except ValueError:
            raise typer.BadParameter(f"expected comma-separated integers, got {folds!r}",
                                     param_hint="--folds") from None
    try:
        kind = Method.parse(method)
        if fold_list is not None and kind is not Method.nnunet:
            raise typer.BadParameter("--folds is for --method nnunet", param_hint="--folds")
        if resume and kind is not Method.nnunet:
            raise typer.BadParameter("--resume is for --method nnunet", param_hint="--resume")
        data = dict(read_settings_file(config, "segmentation settings file")) if config is not None else {}
        data.update({k: v for k, v in {
            "channels": split_list(channels) if channels else None,
            "epochs": epochs, "device": device, "seed": seed, "folds": fold_list}.items() if v is not None})
        settings = load_segment_settings(kind, data)  # file and options validated together
        t0 = time.perf_counter()
        with _progress_bar("train") as bar:
            task = bar.add_task("", total=None)

            def progress(stage: str, epoch: int, n: int, loss: float, val: float) -> None:
                bar.update(task, completed=epoch, total=n,
                           description=f"{stage}: loss {loss:.3f}, validation Dice {val:.3f}")

            model = run(settings, manifest, out, progress=progress, resume=resume)
        seconds = time.perf_counter() - t0
        if kind is Method.nnunet:
            for row in model.summary_:
                how = {"reused": ", finished earlier", "continued": ", continued"}.get(row.get("training"), "")
                console.print(f"  fold {row['fold']}: {row['epochs']} epochs, best EMA pseudo-Dice "
                              f"{row['best_ema_pseudo_dice']:.3f} ({row['seconds']:.0f} s{how})")
        elif kind is Method.attention_unet:
            console.print(f"  best epoch {model.best_epoch_} of {len(model.history_)} (validation Dice "
                          f"{model.history_[model.best_epoch_ - 1]['val_dice']:.3f}); post-processing: "
                          f"{model.postprocessing_.name}")
        else:
            console.print(f"  threshold rule {model.settings.label}: nothing to train, settings saved")
        if (out / "failures.csv").is_file():
            err_console.print(f"[yellow]some cases were left out[/] (see {out / 'failures.csv'})")
        console.print(f"trained {kind.value} on {model.device_} in {seconds:.0f} s -> [bold]{out}[/]")
    except RadiogenomicsError as exc:
        raise fail(exc) from exc


@segment_app.command()
def predict(
    modeldir: Annotated[Path, typer.Argument(help="A model folder written by 'segment train'.")],
    manifest: Annotated[Path, typer.Argument(help="Manifest of the cases to segment.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder of the predicted masks (MASKDIR).",
                                      callback=out_folder)],
    device: Annotated[str | None, typer.Option(help="auto (CUDA when available), cpu or cuda.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Predict again cases already in MASKDIR.")] = False,
) -> None:
    """Write MASKDIR/<case_id>.nii.gz for every case of MANIFEST, and MASKDIR/status.csv."""
    from radiogenomics.segment.registry import predict_manifest

    try:
        t0 = time.perf_counter()
        with _progress_bar("predict") as bar:
            task = bar.add_task("", total=None)
            result = predict_manifest(modeldir, manifest, out, overwrite=overwrite, device=device,
                                      progress=lambda d, t, c: bar.update(task, completed=d, total=t, description=c))
        counts = result.status["status"].value_counts()
        console.print(f"{int(counts.get('predicted', 0))} predicted, {int(counts.get('cached', 0))} kept, "
                      f"{int(counts.get('failed', 0))} failed in {time.perf_counter() - t0:.1f} s -> [bold]{out}[/]")
        for row in result.failures.itertuples():
            err_console.print(f"  {row.case_id}: {row.error_type}: {row.error}")
    except RadiogenomicsError as exc:
        raise fail(exc) from exc


@segment_app.command()
def evaluate(
    maskdir: Annotated[Path, typer.Argument(help="Folder of predicted masks ('segment predict' output).")],
    manifest: Annotated[Path, typer.Argument(help="Manifest with the reference masks.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Folder for cases.csv, lesions.csv, "
                                                                 "by_size.csv (default: MASKDIR).")] = None,
    mask_column: Annotated[str, typer.Option(help="Reference mask column.")] = "tumour_mask",
    tolerance: Annotated[float, typer.Option(help="Surface-Dice tolerance, mm.")] = 2.0,
    size_threshold: Annotated[float, typer.Option(help="Lesion diameter threshold of the size classes, mm.")] = 20.0,
    baseline: Annotated[list[str] | None, typer.Option(
        help="Also segment the cases with a PET threshold baseline and compare (repeatable): suv2.5, suvmax41, "
             "percist (needs a liver_mask column).")] = None,
    within: Annotated[str | None, typer.Option(help="Baselines: mask column of a seed region / coarse mask that "
                                                    "limits the search (default: the whole image).")] = None,
    margin: Annotated[float, typer.Option(help="Baselines: dilation of --within, mm.")] = 0.0,
) -> None:
    """Dice, IoU, HD95, surface Dice per case; lesion detection and Dice by lesion size (< / >= threshold);
    with --baseline, PET threshold baselines on the same cases beside the predicted masks (methods.csv)."""
    import pandas as pd

    from radiogenomics.segment.metrics import METHOD_COLUMNS
    from radiogenomics.segment.registry import evaluate_baselines, evaluate_manifest

    folder = out or maskdir
    try:
        ev = evaluate_manifest(maskdir, manifest, mask_column, tolerance, size_threshold)
        rows = [ev.summary(f"masks in {maskdir.name}")]
        if baseline:
            table, _ = evaluate_baselines(manifest, folder / "baselines", tuple(baseline), mask_column, within,
                                          margin, tolerance, size_threshold)
            rows.extend(table.to_dict("records"))
    except RadiogenomicsError as exc:
        raise fail(exc) from exc
    folder.mkdir(parents=True, exist_ok=True)
    ev.cases.to_csv(folder / "cases.csv", index=False)
    ev.lesions.to_csv(folder / "lesions.csv", index=False)
    ev.by_size.to_csv(folder / "by_size.csv", index=False)
    c = ev.cases
    console.print(f"{len(c)} cases: Dice mean {c['dice'].mean():.3f} (median {c['dice'].median():.3f}), "
                  f"IoU {c['iou'].mean():.3f}, HD95 median {c['hd95_mm'].median():.1f} mm, "
                  f"surface Dice ({tolerance:g} mm) {c['surface_dice'].mean():.3f}")
    console.print(ev.by_size.round(3).to_string(index=False))
    written = "cases.csv, lesions.csv, by_size.csv"
    if baseline:
        methods = pd.DataFrame(rows, columns=list(METHOD_COLUMNS))
        methods.to_csv(folder / "methods.csv", index=False)
        console.print(methods.round(3).to_string(index=False))
        written += ", methods.csv, baselines/"
    console.print(f"{written} -> [bold]{folder}[/]")
