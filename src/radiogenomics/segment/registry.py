"""Methods by name, and the manifest-level steps: train, load, predict a cohort's masks, evaluate them.

Every model folder holds ``model.json`` whose ``"method"`` names the method (:class:`Method`);
:func:`load_segmenter` reads it and returns the right class. Both segmenters offer ``predict_case(manifest,
row) -> Mask`` (the predicted tumour mask on the reference modality's grid), so the cohort steps do not care
which method made a model.

Masks predicted for a manifest (:func:`predict_manifest`) are written as ``<outdir>/<case_id>.nii.gz``; a
case whose images cannot be read or segmented is recorded in the result's ``status`` table
(:data:`STATUS_COLUMNS`) and skipped; cases already predicted by the same model are kept (a re-run resumes).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiogenomics.errors import RadiogenomicsError, UnknownNameError
from radiogenomics.io import read_mask, write_image
from radiogenomics.io.manifest import Manifest, read_manifest
from radiogenomics.preprocess.regrid import resample_to_reference
from radiogenomics.provenance import checksum, safe_name
from radiogenomics.segment.attention_unet import AttentionUNetSegmenter
from radiogenomics.segment.data import FAILURE_COLUMNS, iter_cases, mask_on, read_label
from radiogenomics.segment.errors import ModelDirError, SegmentationError
from radiogenomics.segment.metrics import METHOD_COLUMNS, evaluate_segmentations
from radiogenomics.segment.nnunet import NnUNetSegmenter
from radiogenomics.segment.settings import (
    META_FILE,
    AttentionUNetSettings,
    Device,
    Method,
    NnUNetSettings,
    ThresholdSettings,
    load_segment_settings,
)
from radiogenomics.segment.threshold import ThresholdSegmenter
from radiogenomics.settings import sha256_json

__all__ = [
    "AUTO_PREFIX",
    "BASELINES",
    "STATUS_COLUMNS",
    "PredictionResult",
    "Segmenter",
    "baseline_settings",
    "evaluate_baselines",
    "evaluate_manifest",
    "load_segmenter",
    "model_fingerprint",
    "predict_manifest",
    "resolve_auto_masks",
    "train_segmenter",
]

logger = logging.getLogger(__name__)

Segmenter = AttentionUNetSegmenter | NnUNetSegmenter | ThresholdSegmenter
STATUS_COLUMNS = ("case_id", "status", "mask", "voxels", "seconds", "error_type", "error")
AUTO_PREFIX = "auto:"


def train_segmenter(
    manifest: str | Path | Manifest,
    method: Method | str,
    modeldir: str | Path,
    settings: AttentionUNetSettings | NnUNetSettings | ThresholdSettings | Mapping[str, Any] | str | Path | None = None,
    progress: Callable[[str, int, int, float, float], None] | None = None,
    resume: bool = False,
) -> Segmenter:
    """Train ``method`` on the labelled cases of ``manifest`` and save it in ``modeldir``.

    ``settings`` may be a settings object, a mapping or a YAML/JSON file (defaults when ``None``).
    ``progress(stage, epoch, epochs, train_loss, validation_dice)`` is called after every epoch. Cases whose
    images or label cannot be read are left out with a warning (listed in ``modeldir/failures.csv``).
    ``resume`` (nnU-Net only) reuses what an earlier run with the same manifest and settings left in
    ``modeldir/nnunet``: its dataset, plans and preprocessing, its finished folds, and an interrupted fold's
    ``checkpoint_latest.pth`` (:meth:`NnUNetSegmenter.fit`).
    """
    kind = Method.parse(method)
    if resume and kind is not Method.nnunet:
        raise SegmentationError(f"resuming a training is for nnU-Net, not {kind.value!r}")
    if not isinstance(settings, AttentionUNetSettings | NnUNetSettings | ThresholdSettings):
        settings = load_segment_settings(kind, settings)
    if settings.method is not kind:
        raise SegmentationError(f"settings are for {settings.method.value!r}, not {kind.value!r}")
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    out = Path(modeldir)
    out.mkdir(parents=True, exist_ok=True)
    if kind is Method.nnunet:
        model: Segmenter = NnUNetSegmenter(settings).fit(  # type: ignore[arg-type]
            manifest, out / "nnunet", progress, resume=resume)
        failures = model.failures_
    elif kind is Method.threshold:
        model = ThresholdSegmenter(settings).fit(manifest)  # type: ignore[arg-type]
        failures = pd.DataFrame(columns=list(FAILURE_COLUMNS))
        logger.info("threshold method %s: nothing to train, settings saved", model.settings.label)
    else:
        s: AttentionUNetSettings = settings  # type: ignore[assignment]
        images, labels, spacings, failed = [], [], [], []
        for case in iter_cases(manifest, s.channels, s.reference_modality, s.mask_column, failed, "training",
                               ct_window=s.ct_window, pet_scale_suv=s.pet_scale_suv, pet_max_suv=s.pet_max_suv,
                               spacing=s.spacing):
            images.append(case.channels)
            labels.append(case.label)
            spacings.append(case.grid.spacing)
        if not images:
            raise SegmentationError(f"no case of the manifest could be read for training ({len(failed)} failed)")
        model = AttentionUNetSegmenter(s).fit(
            images, labels, None if progress is None else (lambda e, n, loss, d: progress("train", e, n, loss, d)),
            spacings=spacings)
        failures = pd.DataFrame(failed, columns=list(FAILURE_COLUMNS))
    model.save(out)
    if len(failures):
        failures.to_csv(out / "failures.csv", index=False)
    return model


def load_segmenter(modeldir: str | Path, device: Device | str | None = None) -> Segmenter:
    """The segmenter saved in ``modeldir`` (method read from its ``model.json``)."""
    folder = Path(modeldir)
    meta = folder / META_FILE
    if not meta.is_file():
        raise ModelDirError(f"{folder} is not a segmentation model folder (no {META_FILE}); train one with "
                            "'radiogenomics segment train'")
    try:
        method = Method.parse(json.loads(meta.read_text()).get("method", ""))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ModelDirError(f"{meta} cannot be read: {exc}") from exc
    cls = {Method.nnunet: NnUNetSegmenter, Method.threshold: ThresholdSegmenter}.get(method, AttentionUNetSegmenter)
    return cls.load(folder, device)


def model_fingerprint(modeldir: str | Path) -> str:
    """SHA-256 (first 16 hex digits) of the files of a model folder that define its predictions."""

    folder = Path(modeldir)
    files = sorted(p for p in folder.iterdir() if p.is_file() and (p.suffix == ".safetensors" or p.name in (
        META_FILE, "plans.json", "dataset.json")))
    if not files:
        raise ModelDirError(f"{folder} holds no model files")
    return sha256_json({p.name: checksum(p) for p in files})[:16]


@dataclass(frozen=True)
class PredictionResult:
    """Output of :func:`predict_manifest`: the folder of masks and one ``status`` row per case."""

    outdir: Path
    status: pd.DataFrame

    @property
    def failures(self) -> pd.DataFrame:
        return self.status[self.status["status"] == "failed"].reset_index(drop=True)


def predict_manifest(
    model: Segmenter | str | Path,
    manifest: str | Path | Manifest,
    outdir: str | Path,
    progress: Callable[[int, int, str], None] | None = None,
    overwrite: bool = False,
    device: Device | str | None = None,
) -> PredictionResult:
    """Predict the tumour mask of every case of ``manifest`` into ``outdir/<case_id>.nii.gz``.

    Cases already predicted by the same model (``outdir/model.json`` holds its fingerprint) are kept unless
    ``overwrite``; a case that fails is recorded (status ``failed``) and the others go on. ``progress(done,
    total, case_id)`` is called after each case. ``outdir/status.csv`` holds the status table. ``device``
    overrides the saved device setting of a model given as a folder.
    """
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    modeldir = Path(model) if isinstance(model, str | Path) else None
    segmenter = load_segmenter(modeldir, device) if modeldir is not None else model
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = {"method": segmenter.settings.method.value,
             "model": model_fingerprint(modeldir) if modeldir is not None else None}
    stamp_path = out / "model.json"
    reuse = (not overwrite and modeldir is not None and stamp_path.is_file()
             and json.loads(stamp_path.read_text()) == stamp)
    stamp_path.write_text(json.dumps(stamp, indent=2))
    rows, seen = [], set()
    total = len(manifest.table)
    for row in range(total):
        case_id = manifest.cell(row, "case_id")
        if not case_id or case_id in seen:
            continue
        seen.add(case_id)
        path = out / f"{safe_name(case_id)}.nii.gz"
        t0 = time.perf_counter()
        if reuse and path.is_file():
            rows.append({"case_id": case_id, "status": "cached", "mask": str(path), "voxels": None,
                         "seconds": 0.0, "error_type": "", "error": ""})
        else:
            try:
                mask = segmenter.predict_case(manifest, row)
                write_image(mask, path)
                rows.append({"case_id": case_id, "status": "predicted", "mask": str(path),
                             "voxels": int(np.count_nonzero(mask.array)), "seconds": time.perf_counter() - t0,
                             "error_type": "", "error": ""})
            except RadiogenomicsError as exc:
                logger.warning("case %s: no mask predicted: %s", case_id, exc)
                rows.append({"case_id": case_id, "status": "failed", "mask": "", "voxels": None,
                             "seconds": time.perf_counter() - t0, "error_type": type(exc).__name__,
                             "error": str(exc)})
        if progress is not None:
            progress(row + 1, total, case_id)
    status = pd.DataFrame(rows, columns=list(STATUS_COLUMNS)).astype({"voxels": "Int64"})
    status.to_csv(out / "status.csv", index=False)
    n_failed = int((status["status"] == "failed").sum())
    logger.info("predicted %d mask(s) into %s (%d failed)", len(status) - n_failed, out, n_failed)
    return PredictionResult(out, status)


def evaluate_manifest(
    predictions: str | Path | PredictionResult,
    manifest: str | Path | Manifest,
    mask_column: str = "tumour_mask",
    tolerance_mm: float = 2.0,
    size_threshold_mm: float = 20.0,
):
    """Compare predicted masks (a :func:`predict_manifest` folder) with the reference masks of ``manifest``.

    The reference is resampled (nearest neighbour) onto the prediction's grid when the grids differ. Returns a
    :class:`~radiogenomics.segment.metrics.SegmentationEvaluation` (cases, lesions, by lesion size).
    """
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    folder = predictions.outdir if isinstance(predictions, PredictionResult) else Path(predictions)
    pairs = []
    for row in range(len(manifest.table)):
        case_id = manifest.cell(row, "case_id")
        path = folder / f"{safe_name(case_id)}.nii.gz"
        if not path.is_file():
            logger.warning("case %s has no predicted mask in %s; left out of the evaluation", case_id, folder)
            continue
        pred = read_mask(path)
        ref = read_label(manifest, row, mask_column)
        if ref.geometry != pred.geometry:
            ref = resample_to_reference(ref, pred)
        pairs.append((case_id, pred, mask_on(pred, ref.array > 0)))
    if not pairs:
        raise SegmentationError(f"no predicted mask in {folder} matches a case of the manifest")
    return evaluate_segmentations(pairs, tolerance_mm=tolerance_mm, size_threshold_mm=size_threshold_mm)


#: the threshold baselines of ``segment evaluate --baseline`` by name
BASELINES: dict[str, dict[str, Any]] = {
    "suv2.5": {"rule": "suv", "suv": 2.5},
    "suvmax41": {"rule": "suvmax_fraction", "fraction": 0.41},
    "percist": {"rule": "percist", "liver_column": "liver_mask"},
}


def baseline_settings(name: str, **changes: Any) -> ThresholdSettings:
    """The :class:`ThresholdSettings` of a named baseline (:data:`BASELINES`), with ``changes``."""
    if name not in BASELINES:
        raise UnknownNameError("threshold baseline", name, tuple(BASELINES))
    return ThresholdSettings.validate_dict({**BASELINES[name], **changes})


def evaluate_baselines(
    manifest: str | Path | Manifest,
    outdir: str | Path,
    names: tuple[str, ...] = ("suv2.5", "suvmax41"),
    mask_column: str = "tumour_mask",
    within: str | None = None,
    margin_mm: float = 0.0,
    tolerance_mm: float = 2.0,
    size_threshold_mm: float = 20.0,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Segment every case of ``manifest`` with each threshold baseline and score it against ``mask_column``.

    Masks go to ``outdir/<name>/``. Returns the :data:`~radiogenomics.segment.metrics.METHOD_COLUMNS` table
    (one row per baseline, named by its rule) and each baseline's
    :class:`~radiogenomics.segment.metrics.SegmentationEvaluation`.
    """
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    rows, evaluations = [], {}
    for name in names:
        settings = baseline_settings(name, within=within, margin_mm=margin_mm)
        if settings.liver_column and settings.liver_column not in manifest.columns:
            logger.warning("baseline %s left out: the manifest has no %r column", name, settings.liver_column)
            continue
        result = predict_manifest(ThresholdSegmenter(settings), manifest, Path(outdir) / name, overwrite=True)
        ev = evaluate_manifest(result, manifest, mask_column, tolerance_mm, size_threshold_mm)
        evaluations[name] = ev
        rows.append(ev.summary(settings.label))
    return pd.DataFrame(rows, columns=list(METHOD_COLUMNS)), evaluations


def resolve_auto_masks(
    manifest: str | Path | Manifest,
    outdir: str | Path,
    overrides: Mapping[str, str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[Manifest, pd.DataFrame]:
    """Replace ``auto:<modeldir>`` mask cells by masks that model predicts (the "auto-mask" experiment).

    Parameters
    ----------
    manifest
        The cohort manifest; a mask cell ``auto:<modeldir>`` asks for a predicted mask (``<modeldir>``
        relative to the manifest's folder unless absolute).
    outdir
        Predicted masks go to ``outdir/<model fingerprint>/`` (with their ``status.csv``).
    overrides
        ``{mask column: "auto:<modeldir>"}`` applied to every row (the column is created when missing), as a
        study's ``data.masks`` setting gives it (``<modeldir>`` relative to the working directory).

    Returns
    -------
    (manifest, status)
        The manifest with those cells replaced by the predicted mask files (empty for a case whose prediction
        failed: the cohort run then reports that case), and the status rows of every prediction
        (:data:`STATUS_COLUMNS` plus ``column`` and ``model``).
    """
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    table = manifest.table.copy()
    for column, value in (overrides or {}).items():
        if not str(value).startswith(AUTO_PREFIX):
            raise SegmentationError(f"mask override for {column!r} must be 'auto:<modeldir>', got {value!r}")
        model = Path(str(value)[len(AUTO_PREFIX):]).expanduser().resolve()
        table[column] = AUTO_PREFIX + str(model)
    jobs: dict[Path, list[tuple[int, str]]] = {}
    for column in table.columns:
        for row, value in enumerate(table[column]):
            text = str(value) if isinstance(value, str) else ""
            if text.startswith(AUTO_PREFIX):
                p = Path(text[len(AUTO_PREFIX):]).expanduser()
                jobs.setdefault(p if p.is_absolute() else (manifest.base / p).resolve(), []).append((row, column))
    statuses = []
    out = Path(outdir)
    for modeldir, cells in jobs.items():
        folder = out / model_fingerprint(modeldir)
        rows = sorted({r for r, _ in cells})
        sub = Manifest(table=manifest.table.iloc[rows].reset_index(drop=True), base=manifest.base,
                       source=manifest.source)
        result = predict_manifest(modeldir, sub, folder, progress)
        by_case = {r.case_id: r for r in result.status.itertuples()}
        for row, column in cells:
            rec = by_case.get(manifest.cell(row, "case_id"))
            table.at[row, column] = rec.mask if rec is not None and rec.status != "failed" else ""
        statuses.append(result.status.assign(model=str(modeldir), column=", ".join(sorted({c for _, c in cells}))))
    status = (pd.concat(statuses, ignore_index=True) if statuses
              else pd.DataFrame(columns=[*STATUS_COLUMNS, "model", "column"]))
    return Manifest(table=table, base=manifest.base, source=manifest.source), status
