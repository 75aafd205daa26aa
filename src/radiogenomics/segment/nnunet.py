r"""nnU-Net v2 bridge: a manifest becomes an nnU-Net dataset; training and prediction through nnU-Net's Python API.

Dataset conversion (:func:`write_dataset`)
    Every manifest row with a label is read with :func:`~radiogenomics.segment.data.load_case`: each channel
    (``settings.channels``, in that order) is resampled onto the grid of the reference modality (linear
    interpolation; the reference itself is copied unchanged) and the label with nearest neighbour, values
    unnormalised (HU, SUV — nnU-Net normalises: CT by its foreground percentiles and statistics, other
    channels by a per-image z-score). Files follow nnU-Net's raw layout, ``imagesTr/<id>_<cccc>.nii.gz``
    (channel ``c`` = position in ``channels``) and ``labelsTr/<id>.nii.gz`` (0 background, 1 tumour), with
    ``dataset.json``. Case identifiers are ``case_0000``, ``case_0001``, … in manifest order (the manifest's
    case ids stay out of nnU-Net's files; ``cases.csv`` beside ``dataset.json`` maps them). A case that cannot
    be read is reported in the returned failures and left out.
Planning, preprocessing, training (:meth:`NnUNetSegmenter.fit`)
    nnU-Net's fingerprint extraction, default experiment planner (``nnUNetPlans``) and preprocessing of
    ``settings.configuration``; a patient-wise ``splits_final.json`` of ``n_splits`` folds (scikit-learn
    ``KFold`` shuffled with ``seed``); then every fold in ``settings.folds`` is trained by
    :class:`~radiogenomics.segment.nnunet_trainer.RadiogenomicsTrainer` for ``epochs`` epochs. The folders
    nnU-Net needs (``nnUNet_raw``, ``nnUNet_preprocessed``, ``nnUNet_results``) and ``nnUNet_n_proc_DA`` are
    set by this module for the duration of each call (and restored), under ``MODELDIR/nnunet``.
Model folder (:meth:`NnUNetSegmenter.save`)
    ``model.json`` (method, settings, trainer, configuration, folds, allowed mirroring axes, training
    summary), nnU-Net's ``plans.json`` and ``dataset.json``, and ``fold_<k>.safetensors`` — the network
    weights of ``settings.checkpoint`` of every fold (tensors only: loading runs no code).
Resuming (``fit(..., resume=True)``, ``segment train --resume``)
    ``<workdir>/prepared.json`` is written once the dataset, plans, preprocessing and splits are finished: the
    settings that shape them or the training (all but :data:`RESUME_FREE`: folds, checkpoint, tta,
    tile_step_size, processes, augmentation_processes, keep_preprocessed, device, save_every), the nnunetv2
    version, and a SHA-256 of the manifest's case ids with the contents of their channel and label files
    (:func:`preparation_record`). Resuming compares it with the present manifest and settings and raises
    :class:`SegmentationError` naming what differs rather than mixing two trainings; when they agree the dataset,
    fingerprint, plans and splits are reused, and the preprocessed arrays too (made again from the stored plans
    when an earlier run deleted them, before the first fold that trains). A fold with ``checkpoint_final.pth``
    is not trained again (its ``settings.checkpoint`` weights are loaded); a fold with only
    ``checkpoint_latest.pth`` (written every ``save_every`` epochs) continues from it through nnU-Net's
    ``load_checkpoint`` (weights, optimiser, epoch, training log, best EMA) — seeded as a fresh fold, so not
    bit-identical to an uninterrupted run; other folds are trained. Without ``resume`` the working folder's
    earlier nnU-Net training and ``prepared.json`` are deleted first. ``summary_`` marks each fold
    ``trained``, ``continued`` or ``reused``.
Prediction (:meth:`NnUNetSegmenter.predict_array`)
    nnU-Net's ``nnUNetPredictor`` on the in-memory ``[C, z, y, x]`` array of the case (same channels, same
    reference grid as in training): its preprocessing, sliding-window inference with Gaussian weighting,
    mirroring test-time augmentation (``tta``: the logits of the input flipped along every subset of the allowed
    axes, flipped back and averaged), the mean of the fold networks' logits, and its resampling back to the
    input grid; the label is the arg-max of the softmax. The mask is returned on the reference grid.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

from radiogenomics import __version__
from radiogenomics.image import Mask
from radiogenomics.io import write_image
from radiogenomics.io.manifest import Manifest
from radiogenomics.provenance import checksum, write_json
from radiogenomics.segment.data import FAILURE_COLUMNS, iter_cases, load_case, mask_on
from radiogenomics.segment.errors import MissingDependencyError, ModelDirError, SegmentationError
from radiogenomics.segment.settings import META_FILE, Device, Method, NnUNetSettings, read_model_meta, resolve_device
from radiogenomics.settings import sha256_json

__all__ = ["RESUME_FREE", "DatasetInfo", "NnUNetSegmenter", "nnunet_environment", "preparation_record", "write_dataset"]

logger = logging.getLogger(__name__)

TRAINER = "RadiogenomicsTrainer"
PLANS = "nnUNetPlans"
FILE_ENDING = ".nii.gz"
#: in the working folder: what its dataset, plans and splits were made from (written when they are finished)
PREPARED_FILE = "prepared.json"
#: in each ``fold_<k>`` folder of nnU-Net's results: the fold's summary row, written when it is finished
FOLD_SUMMARY = "radiogenomics_summary.json"


def _require_nnunet() -> None:
    try:
        import nnunetv2  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            "nnunetv2", "nnU-Net segmentation",
            'install it as the README says: pip install -e ".[nnunet]" and then '
            "pip install --no-deps nnunetv2==2.8.1 dynamic-network-architectures==0.4.4",
        ) from exc


class _LogStream(io.TextIOBase):
    """A text stream whose lines go to ``logger.debug`` (nnU-Net prints its progress)."""

    def __init__(self) -> None:
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            if line.strip():
                logger.debug("nnU-Net: %s", line.rstrip())
        return len(text)


@contextlib.contextmanager
def nnunet_environment(root: str | Path, augmentation_processes: int = 0) -> Iterator[dict[str, Path]]:
    """Set nnU-Net's folder variables under ``root`` (``raw``, ``preprocessed``, ``results``) for the block.

    Also sets ``nnUNet_n_proc_DA`` (augmentation workers) and ``nnUNet_compile=false``; every variable gets
    its previous value (or none) back on exit, and nnU-Net's console output goes to the logger.
    """
    root = Path(root)
    folders = {"raw": root / "raw", "preprocessed": root / "preprocessed", "results": root / "results"}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    values = {"nnUNet_raw": str(folders["raw"]), "nnUNet_preprocessed": str(folders["preprocessed"]),
              "nnUNet_results": str(folders["results"]), "nnUNet_n_proc_DA": str(int(augmentation_processes)),
              "nnUNet_compile": "false"}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        with contextlib.redirect_stdout(_LogStream()):
            yield folders
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextlib.contextmanager
def _seeded(seed: int, device: Any) -> Iterator[None]:
    """Seed torch, NumPy's and Python's global RNGs for the block and restore their states afterwards."""
    import torch

    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002 - nnU-Net draws from these
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        np.random.seed(seed)  # noqa: NPY002
        random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)  # noqa: NPY002
            random.setstate(py_state)


@dataclass(frozen=True)
class DatasetInfo:
    """An nnU-Net raw dataset written by :func:`write_dataset`.

    Attributes
    ----------
    folder
        ``<raw>/Dataset<id>_<name>``.
    identifiers
        nnU-Net case identifiers, in manifest order.
    case_ids
        The manifest case id of each identifier.
    failures
        Cases left out (:data:`~radiogenomics.segment.data.FAILURE_COLUMNS`).
    """

    folder: Path
    identifiers: list[str]
    case_ids: list[str]
    failures: pd.DataFrame


def channel_names(channels: tuple[str, ...]) -> dict[str, str]:
    """nnU-Net ``channel_names``: ``"CT"`` for a ``ct`` channel (CT normalisation), the modality otherwise."""
    return {str(i): ("CT" if c == "ct" else c) for i, c in enumerate(channels)}


def write_dataset(manifest: Manifest, settings: NnUNetSettings, raw_root: str | Path) -> DatasetInfo:
    """Write the labelled cases of ``manifest`` as nnU-Net raw dataset ``settings.dataset_folder`` (see the
    module docstring)."""
    folder = Path(raw_root) / settings.dataset_folder
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "imagesTr").mkdir(parents=True)
    (folder / "labelsTr").mkdir()
    identifiers, case_ids, failures = [], [], []
    for case in iter_cases(manifest, settings.channels, settings.reference_modality, settings.mask_column, failures,
                           "the nnU-Net dataset", normalise=False):
        ident = f"case_{len(identifiers):04d}"
        ref = case.reference
        for c in range(case.channels.shape[0]):
            write_image(ref.with_array(case.channels[c]), folder / "imagesTr" / f"{ident}_{c:04d}{FILE_ENDING}")
        write_image(mask_on(ref, case.label), folder / "labelsTr" / f"{ident}{FILE_ENDING}")
        identifiers.append(ident)
        case_ids.append(case.case_id)
    if not identifiers:
        raise SegmentationError(f"no case of the manifest could be read for nnU-Net ({len(failures)} failed)")
    dataset = {"channel_names": channel_names(settings.channels), "labels": {"background": 0, "tumour": 1},
               "numTraining": len(identifiers), "file_ending": FILE_ENDING,
               "name": settings.dataset_name, "description": "written by radiogenomics " + __version__}
    (folder / "dataset.json").write_text(json.dumps(dataset, indent=2))
    pd.DataFrame({"identifier": identifiers, "case_id": case_ids}).to_csv(folder / "cases.csv", index=False)
    logger.info("wrote nnU-Net dataset %s: %d cases, %d left out", folder.name, len(identifiers), len(failures))
    return DatasetInfo(folder, identifiers, case_ids, pd.DataFrame(failures, columns=list(FAILURE_COLUMNS)))


def write_splits(identifiers: list[str], n_splits: int, seed: int, path: str | Path) -> list[dict[str, list[str]]]:
    """Patient-wise ``n_splits``-fold split (``KFold``, shuffled with ``seed``) as nnU-Net's ``splits_final.json``."""
    if len(identifiers) < n_splits:
        raise SegmentationError(f"{len(identifiers)} labelled cases cannot make {n_splits} folds; "
                                "lower n_splits or add cases")
    keys = sorted(identifiers)
    splits = [{"train": [keys[i] for i in tr], "val": [keys[i] for i in va]}
              for tr, va in KFold(n_splits, shuffle=True, random_state=seed).split(keys)]
    Path(path).write_text(json.dumps(splits, indent=2))
    return splits


#: settings that change neither the dataset, plans and splits nor what a fold learns: free to change on resume
RESUME_FREE = frozenset({"folds", "checkpoint", "tta", "tile_step_size", "processes", "augmentation_processes",
                         "keep_preprocessed", "device", "save_every"})


def preparation_record(manifest: Manifest, settings: NnUNetSettings) -> dict[str, Any]:
    """What an nnU-Net working folder is made from, as :meth:`NnUNetSegmenter.fit` stores it in ``prepared.json``:
    the settings but :data:`RESUME_FREE`, the nnunetv2 version, and ``manifest``, the SHA-256 of every row's case
    id with the content (:func:`~radiogenomics.provenance.checksum`) of its channel, reference and label inputs
    (files, or DICOM folders; not their paths, so a moved cohort resumes)."""
    columns = list(dict.fromkeys([*settings.channels, settings.reference_modality, settings.mask_column]))
    rows = []
    for row in range(len(manifest.table)):
        cells: dict[str, Any] = {}
        for column in columns:
            text = manifest.cell(row, column)
            path, selector = manifest.input(row, column) if text else (None, None)
            try:
                cells[column] = [selector, checksum(path)] if path is not None and path.exists() else ["", text]
            except OSError as exc:
                raise SegmentationError(f"case {manifest.cell(row, 'case_id')!r}: {path} cannot be read: "
                                        f"{exc}") from exc
        rows.append([manifest.cell(row, "case_id"), cells])
    settings_part = {k: v for k, v in settings.model_dump(mode="json").items() if k not in RESUME_FREE}
    return {"settings": settings_part, "manifest": sha256_json(rows), "nnunetv2": version("nnunetv2")}


def _results_folder(folders: dict[str, Path], s: NnUNetSettings) -> Path:
    """nnU-Net's training output folder of ``s`` (its ``fold_<k>`` folders, ``plans.json``, ``dataset.json``)."""
    return folders["results"] / s.dataset_folder / f"{TRAINER}__{PLANS}__{s.configuration}"


def _prepare(manifest: Manifest, s: NnUNetSettings, folders: dict[str, Path], workdir: Path,
             record: dict[str, Any]) -> DatasetInfo:
    """Dataset, fingerprint, plans, preprocessing and splits made afresh (an earlier run's training in
    ``workdir`` is deleted first); ``prepared.json`` is written last, so it marks a finished preparation."""
    from nnunetv2.experiment_planning.plan_and_preprocess_api import (
        extract_fingerprint_dataset,
        plan_experiment_dataset,
        preprocess_dataset,
    )

    (workdir / PREPARED_FILE).unlink(missing_ok=True)
    earlier = folders["results"] / s.dataset_folder
    if earlier.exists():
        logger.info("deleting the nnU-Net training of an earlier run in %s", earlier)
        shutil.rmtree(earlier)
    info = write_dataset(manifest, s, folders["raw"])
    if len(info.identifiers) < s.n_splits:  # checked again by write_splits, after the slow planning
        raise SegmentationError(f"nnU-Net needs at least {s.n_splits} labelled cases, got {len(info.identifiers)}")
    t0 = time.perf_counter()
    logger.info("nnU-Net fingerprint, plans and preprocessing (%s)", s.configuration)
    extract_fingerprint_dataset(s.dataset_id, num_processes=s.processes, check_dataset_integrity=True,
                                clean=True, verbose=False, show_progress_bar=False)
    # the planner sets torch's thread count to nnUNet_n_proc_DA while it sizes networks: >= 1 there
    os.environ["nnUNet_n_proc_DA"] = str(max(1, s.augmentation_processes))
    plan_experiment_dataset(s.dataset_id)
    os.environ["nnUNet_n_proc_DA"] = str(s.augmentation_processes)
    preprocess_dataset(s.dataset_id, PLANS, (s.configuration,), [s.processes], verbose=False,
                       show_progress_bar=False)
    pre = folders["preprocessed"] / s.dataset_folder
    write_splits(info.identifiers, s.n_splits, s.seed, pre / "splits_final.json")
    logger.info("nnU-Net preprocessing took %.1f s", time.perf_counter() - t0)
    write_json(workdir / PREPARED_FILE, {**record, "radiogenomics_version": __version__,
                                          "identifiers": info.identifiers, "case_ids": info.case_ids,
                                          "failures": info.failures.to_dict("records")})
    return info


def _prepared_dataset(workdir: Path, folders: dict[str, Path], record: dict[str, Any],
                      s: NnUNetSettings) -> DatasetInfo | None:
    """The dataset an earlier run prepared in ``workdir`` from the same manifest and settings (``record``), or
    ``None`` when it prepared none; :class:`SegmentationError` when it was prepared from others or is incomplete."""
    path = workdir / PREPARED_FILE
    if not path.is_file():
        logger.warning("nothing to resume in %s (no %s): the nnU-Net dataset is prepared afresh", workdir,
                       PREPARED_FILE)
        return None
    try:
        stored = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SegmentationError(f"cannot resume: {path} cannot be read ({exc}); train without resuming to start "
                                "afresh") from exc
    changes = []
    old_settings, new_settings = stored.get("settings", {}), record["settings"]
    for key in sorted(set(old_settings) | set(new_settings)):
        if old_settings.get(key) != new_settings.get(key):
            changes.append(f"{key}: {old_settings.get(key)!r} then, {new_settings.get(key)!r} now")
    if stored.get("manifest") != record["manifest"]:
        changes.append("the manifest's cases or their image/label files differ")
    if stored.get("nnunetv2") != record["nnunetv2"]:
        changes.append(f"nnunetv2 {stored.get('nnunetv2')} then, {record['nnunetv2']} now")
    if changes:
        raise SegmentationError(f"cannot resume in {workdir}: it was prepared from another manifest or other settings "
                                f"({'; '.join(changes)}); resuming would mix them. Train without resuming to "
                                "start afresh (this deletes the earlier nnU-Net training there), or use another "
                                "model folder")
    raw, pre = folders["raw"] / s.dataset_folder, folders["preprocessed"] / s.dataset_folder
    needed = (raw / "dataset.json", pre / f"{PLANS}.json", pre / "dataset.json", pre / "splits_final.json",
              pre / "dataset_fingerprint.json")
    missing = [str(p.relative_to(workdir)) for p in needed if not p.is_file()]
    if missing:
        raise SegmentationError(f"cannot resume in {workdir}: {', '.join(missing)} missing; train without resuming "
                                "to start afresh")
    logger.info("resuming in %s: the nnU-Net dataset (%d cases), fingerprint, plans and splits of the earlier run "
                "are reused", workdir, len(stored["identifiers"]))
    return DatasetInfo(raw, list(stored["identifiers"]), list(stored["case_ids"]),
                       pd.DataFrame(stored["failures"], columns=list(FAILURE_COLUMNS)))


def _ensure_preprocessed(pre: Path, plans: dict[str, Any], s: NnUNetSettings, identifiers: list[str]) -> None:
    """Preprocess again when nnU-Net's preprocessed arrays of ``identifiers`` are not all there (deleted after an
    earlier run that did not keep them, or cut short); the stored plans are used."""
    from nnunetv2.experiment_planning.plan_and_preprocess_api import preprocess_dataset
    from nnunetv2.utilities.plans_handling.plans_handler import PlansManager

    with contextlib.redirect_stdout(_LogStream()):
        data = pre / PlansManager(plans).get_configuration(s.configuration).data_identifier
    gt = pre / "gt_segmentations"
    if all((data / f"{i}.pkl").is_file() and (gt / f"{i}{FILE_ENDING}").is_file() for i in identifiers):
        return
    logger.info("nnU-Net's preprocessed arrays are missing (deleted after an earlier run): preprocessing again with "
                "the stored plans (%s)", s.configuration)
    t0 = time.perf_counter()
    preprocess_dataset(s.dataset_id, PLANS, (s.configuration,), [s.processes], verbose=False, show_progress_bar=False)
    logger.info("nnU-Net preprocessing took %.1f s", time.perf_counter() - t0)


def _fold_summary(log: dict[str, list[Any]], fold: int, training: str, seconds: float) -> dict[str, Any]:
    """A row of :attr:`NnUNetSegmenter.summary_` from nnU-Net's training log of ``fold``."""
    return {"fold": int(fold), "epochs": len(log["train_losses"]),
            "best_ema_pseudo_dice": float(max(log["ema_fg_dice"])), "final_pseudo_dice": float(log["mean_fg_dice"][-1]),
            "seconds": float(seconds), "training": training}


def _finished_fold_summary(fold_dir: Path, fold: int) -> dict[str, Any]:
    """The summary row of a fold an earlier run finished (its ``radiogenomics_summary.json``, else from the
    training log inside ``checkpoint_final.pth``), marked ``"training": "reused"``."""
    path = fold_dir / FOLD_SUMMARY
    try:
        row = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        import torch

        ck = torch.load(fold_dir / "checkpoint_final.pth", map_location="cpu", weights_only=False)
        log = ck["logging"]
        seconds = float(np.sum(np.subtract(log["epoch_end_timestamps"], log["epoch_start_timestamps"])))
        row = _fold_summary(log, fold, "trained", seconds)
    return {**row, "training": "reused"}


class NnUNetSegmenter:
    """nnU-Net v2 3D segmentation, trained and applied through nnU-Net's Python API (module docstring).

    Attributes (after :meth:`fit` or :meth:`load`)
    ----------
    plans_, dataset_json_
        nnU-Net's plans and dataset description.
    parameters_
        Network weights per fold (``state_dict``\\ s on the CPU).
    mirror_axes_
        Axes nnU-Net allows mirroring along at test time.
    summary_
        Per fold: ``fold``, ``epochs``, ``best_ema_pseudo_dice``, ``final_pseudo_dice``, ``seconds``.
    failures_
        Cases left out of the training dataset (:data:`FAILURE_COLUMNS`).
    """

    def __init__(self, settings: NnUNetSettings | None = None):
        self.settings = settings if settings is not None else NnUNetSettings()

    # -- training -----------------------------------------------------------------------------------
    def fit(self, manifest: Manifest, workdir: str | Path,
            progress: Callable[[str, int, int, float, float], None] | None = None, resume: bool = False) -> Self:
        """Convert, plan, preprocess and train every fold; nnU-Net's folders live under ``workdir``.

        ``progress(stage, epoch, epochs, train_loss, val_pseudo_dice)`` is called after each epoch with
        ``stage = "fold <k>"``. With ``resume``, what an earlier call with the same manifest and settings left
        in ``workdir`` is reused (module docstring, "Resuming"); without it, ``workdir``'s dataset and training
        are made afresh.
        """
        _require_nnunet()
        import torch

        from radiogenomics.segment.nnunet_trainer import RadiogenomicsTrainer  # lazy: imports nnunetv2

        s = self.settings
        device = resolve_device(s.device)
        workdir = Path(workdir)
        record = preparation_record(manifest, s)
        with nnunet_environment(workdir, s.augmentation_processes) as folders:
            info = _prepared_dataset(workdir, folders, record, s) if resume else None
            if info is None:
                info = _prepare(manifest, s, folders, workdir, record)
            pre = folders["preprocessed"] / s.dataset_folder
            plans = json.loads((pre / f"{PLANS}.json").read_text())
            if s.configuration not in plans["configurations"]:
                raise SegmentationError(f"nnU-Net planned no {s.configuration!r} configuration for these images "
                                        f"(planned: {sorted(plans['configurations'])})")
            dataset_json = json.loads((pre / "dataset.json").read_text())
            results = _results_folder(folders, s)
            parameters, summary, mirror_axes, preprocessed = [], [], None, False
            for fold in s.folds:
                fold_dir = results / f"fold_{fold}"
                latest = fold_dir / "checkpoint_latest.pth"
                if resume and (fold_dir / "checkpoint_final.pth").is_file():
                    row = _finished_fold_summary(fold_dir, fold)
                    logger.info("nnU-Net fold %d: finished by an earlier run, its weights are reused (%s)", fold,
                                s.checkpoint)
                else:
                    if not preprocessed:
                        _ensure_preprocessed(pre, plans, s, info.identifiers)
                        preprocessed = True
                    t1 = time.perf_counter()
                    continued = resume and latest.is_file()
                    with _seeded(s.seed + fold, device):
                        trainer = RadiogenomicsTrainer(plans=dict(plans, continue_training=continued),
                                                       configuration=s.configuration, fold=fold,
                                                       dataset_json=dataset_json, device=device)
                        trainer.configure(s.epochs, s.iterations_per_epoch, s.val_iterations_per_epoch,
                                          s.learning_rate, s.save_every)
                        if continued:
                            trainer.load_checkpoint(str(latest))
                            logger.info("nnU-Net fold %d: continuing from checkpoint_latest.pth after epoch %d of %d",
                                        fold, trainer.current_epoch, s.epochs)
                        if progress is not None:
                            trainer.epoch_callback = (lambda e, n, loss, d, _f=fold:
                                                      progress(f"fold {_f}", e, n, loss, d))
                        trainer.run_training()
                    if Path(trainer.output_folder) != fold_dir:
                        raise SegmentationError(f"nnU-Net trained fold {fold} in {trainer.output_folder}, "
                                                f"not in {fold_dir}")
                    row = _fold_summary(trainer.logger.local_logger.my_fantastic_logging, fold,
                                        "continued" if continued else "trained", time.perf_counter() - t1)
                    write_json(fold_dir / FOLD_SUMMARY, row)
                if not (fold_dir / s.checkpoint).is_file():
                    raise SegmentationError(f"nnU-Net fold {fold} has no {s.checkpoint} in {fold_dir}")
                checkpoint = torch.load(fold_dir / s.checkpoint, map_location="cpu", weights_only=False)
                parameters.append({k: v.detach().cpu().contiguous() for k, v in checkpoint["network_weights"].items()})
                mirror_axes = checkpoint.get("inference_allowed_mirroring_axes")
                summary.append(row)
                logger.info("nnU-Net fold %d (%s): %d epochs, best EMA pseudo-Dice %.3f (%.1f s)", fold,
                            row["training"], row["epochs"], row["best_ema_pseudo_dice"], row["seconds"])
            self.plans_ = json.loads((results / "plans.json").read_text())
            self.dataset_json_ = json.loads((results / "dataset.json").read_text())
            if not s.keep_preprocessed:
                for item in pre.iterdir():
                    if item.is_dir():
                        shutil.rmtree(item)
        self.parameters_ = parameters
        self.mirror_axes_ = tuple(int(a) for a in mirror_axes) if mirror_axes is not None else None
        self.summary_ = summary
        self.failures_ = info.failures
        self.device_ = device
        self._predictor = None
        return self

    # -- inference ----------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "parameters_"):
            raise SegmentationError("this NnUNetSegmenter is not trained: call fit() or load() first")

    def _get_predictor(self) -> Any:
        if getattr(self, "_predictor", None) is None:
            _require_nnunet()
            from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor
            from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer
            from nnunetv2.utilities.label_handling.label_handling import determine_num_input_channels
            from nnunetv2.utilities.plans_handling.plans_handler import PlansManager

            s = self.settings
            with contextlib.redirect_stdout(_LogStream()):
                plans = PlansManager(self.plans_)
                conf = plans.get_configuration(s.configuration)
                n_in = determine_num_input_channels(plans, conf, self.dataset_json_)
                n_out = plans.get_label_manager(self.dataset_json_).num_segmentation_heads
                network = nnUNetTrainer.build_network_architecture(
                    plans, conf, n_in, n_out, enable_deep_supervision=False)
                network.load_state_dict(self.parameters_[0])
                on_gpu = self.device_.type == "cuda"
                predictor = nnUNetPredictor(tile_step_size=s.tile_step_size, use_gaussian=True,
                                            use_mirroring=s.tta, perform_everything_on_device=on_gpu,
                                            device=self.device_, verbose=False, verbose_preprocessing=False,
                                            allow_tqdm=False)
                predictor.manual_initialization(network, plans, conf, self.parameters_, self.dataset_json_,
                                                TRAINER, self.mirror_axes_)
            self._predictor = predictor
        return self._predictor

    def predict_array(self, channels: np.ndarray, spacing: tuple[float, ...]) -> np.ndarray:
        """Label array (uint8 ``[z, y, x]``, 1 = tumour) of unnormalised ``[C, z, y, x]`` channels on a grid of
        ``spacing`` (``(x, y, z)`` mm), as :func:`write_dataset` writes them."""
        self._check_fitted()
        channels = np.asarray(channels, dtype=np.float32)
        n_in = len(self.dataset_json_["channel_names"])
        if channels.ndim != 4 or channels.shape[0] != n_in:
            raise SegmentationError(f"input must be [{n_in}, z, y, x] (channels {list(self.settings.channels)}), "
                                    f"got {channels.shape}")
        if not np.isfinite(channels).all():
            raise SegmentationError("input holds NaN or infinite voxels")
        predictor = self._get_predictor()
        props = {"spacing": [float(v) for v in tuple(spacing)[::-1]]}
        with contextlib.redirect_stdout(_LogStream()):
            seg = predictor.predict_single_npy_array(channels, props, None, None, False)
        seg = np.asarray(seg)
        if seg.shape != channels.shape[1:]:
            raise SegmentationError(f"nnU-Net returned shape {seg.shape} for input {channels.shape[1:]}")
        return (seg > 0).astype(np.uint8)

    def predict_case(self, manifest: Manifest, row: int) -> Mask:
        """Predicted tumour mask of manifest row ``row`` on its reference modality's grid."""
        s = self.settings
        case = load_case(manifest, row, s.channels, s.reference_modality, None, normalise=False)
        return mask_on(case.reference, self.predict_array(case.channels, case.reference.spacing))

    # -- persistence --------------------------------------------------------------------------------
    def save(self, modeldir: str | Path) -> Path:
        """Write ``model.json``, ``plans.json``, ``dataset.json`` and ``fold_<k>.safetensors`` into ``modeldir``."""
        from safetensors.torch import save_file

        self._check_fitted()
        out = Path(modeldir)
        out.mkdir(parents=True, exist_ok=True)
        for fold, params in zip(self.settings.folds, self.parameters_, strict=True):
            tensors, aliases = _deduplicate(params)
            # one metadata entry: safetensors writes several in a random order, and the model's fingerprint
            # (which decides whether predicted masks are reused) hashes these files' bytes
            save_file(tensors, str(out / f"fold_{fold}.safetensors"),
                      metadata={"aliases": json.dumps(aliases, sort_keys=True)})
        (out / "plans.json").write_text(json.dumps(self.plans_, indent=2))
        (out / "dataset.json").write_text(json.dumps(self.dataset_json_, indent=2))
        meta = {"method": Method.nnunet.value, "radiogenomics_version": __version__,
                "settings": self.settings.model_dump(mode="json"), "trainer": TRAINER, "plans": PLANS,
                "configuration": self.settings.configuration, "folds": list(self.settings.folds),
                "mirror_axes": list(self.mirror_axes_) if self.mirror_axes_ is not None else None,
                "summary": self.summary_, "n_failed_cases": len(getattr(self, "failures_", ()))}
        (out / META_FILE).write_text(json.dumps(meta, indent=2))
        logger.info("saved nnU-Net model to %s", out)
        return out

    @classmethod
    def load(cls, modeldir: str | Path, device: Device | str | None = None) -> NnUNetSegmenter:
        """Read a model written by :meth:`save` (weights from safetensors: tensors only, no code is run)."""
        folder = Path(modeldir)
        meta, settings = read_model_meta(folder, Method.nnunet, device)
        model = cls(settings)
        try:
            model.plans_ = json.loads((folder / "plans.json").read_text())
            model.dataset_json_ = json.loads((folder / "dataset.json").read_text())
            model.parameters_ = [_read_weights(folder / f"fold_{f}.safetensors") for f in settings.folds]
        except (OSError, ValueError, KeyError) as exc:
            raise ModelDirError(f"{folder} is an incomplete nnU-Net model folder: {exc}") from exc
        axes = meta.get("mirror_axes")
        model.mirror_axes_ = tuple(axes) if axes is not None else None
        model.summary_ = list(meta.get("summary", []))
        model.device_ = resolve_device(settings.device)
        model._predictor = None
        return model


def _deduplicate(state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Tensors stored once when several state-dict keys share memory (nnU-Net's encoder appears twice, as
    ``encoder.*`` and ``decoder.encoder.*``): ``(tensors, alias → stored key)``."""
    tensors: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple[int, tuple[int, ...], tuple[int, ...]], str] = {}
    for key in sorted(state):
        t = state[key]
        ident = (t.data_ptr(), tuple(t.shape), tuple(t.stride()))
        if t.numel() and ident in seen:
            aliases[key] = seen[ident]
        else:
            seen[ident] = key
            tensors[key] = t.contiguous()
    return tensors, aliases


def _read_weights(path: Path) -> dict[str, Any]:
    """A full state dict from a file written from :func:`_deduplicate` (aliases restored)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
    state = load_file(str(path), device="cpu")
    for alias, key in json.loads(metadata.get("aliases", "{}")).items():
        state[alias] = state[key]
    return state

