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
Prediction (:meth:`NnUNetSegmenter.predict_array`)
    nnU-Net's ``nnUNetPredictor`` on the in-memory ``[C, z, y, x]`` array of the case (same channels, same
    reference grid as in training): its preprocessing, sliding-window inference with Gaussian weighting,
    mirroring test-time augmentation (``tta``), the mean of the fold networks' softmax outputs, and its
    resampling back to the input grid; the label is the arg-max. The mask is returned on the reference grid.
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
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

from radiogenomics import __version__
from radiogenomics.image import Mask
from radiogenomics.io import write_image
from radiogenomics.io.manifest import Manifest
from radiogenomics.segment.data import FAILURE_COLUMNS, iter_cases, load_case, mask_on
from radiogenomics.segment.errors import MissingDependencyError, ModelDirError, SegmentationError
from radiogenomics.segment.settings import META_FILE, Device, Method, NnUNetSettings, read_model_meta, resolve_device

__all__ = ["DatasetInfo", "NnUNetSegmenter", "nnunet_environment", "write_dataset"]

logger = logging.getLogger(__name__)

TRAINER = "RadiogenomicsTrainer"
PLANS = "nnUNetPlans"
FILE_ENDING = ".nii.gz"


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
            progress: Callable[[str, int, int, float, float], None] | None = None) -> Self:
        """Convert, plan, preprocess and train every fold; nnU-Net's folders live under ``workdir``.

        ``progress(stage, epoch, epochs, train_loss, val_pseudo_dice)`` is called after each epoch with
        ``stage = "fold <k>"``.
        """
        _require_nnunet()
        import torch
        from nnunetv2.experiment_planning.plan_and_preprocess_api import (
            extract_fingerprint_dataset,
            plan_experiment_dataset,
            preprocess_dataset,
        )

        from radiogenomics.segment.nnunet_trainer import RadiogenomicsTrainer  # lazy: imports nnunetv2

        s = self.settings
        device = resolve_device(s.device)
        with nnunet_environment(workdir, s.augmentation_processes) as folders:
            info = write_dataset(manifest, s, folders["raw"])
            if len(info.identifiers) < s.n_splits:  # checked again by write_splits, after the slow planning
                raise SegmentationError(f"nnU-Net needs at least {s.n_splits} labelled cases, "
                                        f"got {len(info.identifiers)}")
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
            plans = json.loads((pre / f"{PLANS}.json").read_text())
            if s.configuration not in plans["configurations"]:
                raise SegmentationError(f"nnU-Net planned no {s.configuration!r} configuration for these images "
                                        f"(planned: {sorted(plans['configurations'])})")
            dataset_json = json.loads((pre / "dataset.json").read_text())
            parameters, summary, mirror_axes = [], [], None
            for fold in s.folds:
                t1 = time.perf_counter()
                with _seeded(s.seed + fold, device):
                    trainer = RadiogenomicsTrainer(plans=dict(plans, continue_training=False),
                                                   configuration=s.configuration, fold=fold,
                                                   dataset_json=dataset_json, device=device)
                    trainer.configure(s.epochs, s.iterations_per_epoch, s.val_iterations_per_epoch,
                                      s.learning_rate)
                    if progress is not None:
                        trainer.epoch_callback = (lambda e, n, loss, d, _f=fold:
                                                  progress(f"fold {_f}", e, n, loss, d))
                    trainer.run_training()
                out = Path(trainer.output_folder)
                checkpoint = torch.load(out / s.checkpoint, map_location="cpu", weights_only=False)
                parameters.append({k: v.detach().cpu().contiguous() for k, v in checkpoint["network_weights"].items()})
                mirror_axes = checkpoint.get("inference_allowed_mirroring_axes")
                log = trainer.logger.local_logger.my_fantastic_logging
                summary.append({"fold": int(fold), "epochs": len(log["train_losses"]),
                                "best_ema_pseudo_dice": float(max(log["ema_fg_dice"])),
                                "final_pseudo_dice": float(log["mean_fg_dice"][-1]),
                                "seconds": time.perf_counter() - t1})
                logger.info("nnU-Net fold %d: %d epochs, best EMA pseudo-Dice %.3f (%.1f s)", fold,
                            summary[-1]["epochs"], summary[-1]["best_ema_pseudo_dice"], summary[-1]["seconds"])
            results = Path(trainer.output_folder_base)
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
            save_file(tensors, str(out / f"fold_{fold}.safetensors"),
                      metadata={"method": Method.nnunet.value, "aliases": json.dumps(aliases)})
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

