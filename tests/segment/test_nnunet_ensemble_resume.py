"""nnU-Net's 5-fold ensemble with mirroring TTA, checked against a by-hand computation, and resuming a training.

One tiny training serves both tests (``resumed_nnunet``): six cases of the session's synthetic cohort, each CT
and tumour mask cut down to 16 × 16 × 6 voxels around the tumour (the PET is kept whole; it is resampled onto
the CT grid), so nnU-Net plans a small network whose patch is the whole image; 5 folds of 2 epochs × 1
iteration (1 validation iteration). It is trained in three runs:

A. folds 0 and 1, to the end (the preprocessed arrays are then deleted, ``keep_preprocessed`` being off);
B. ``resume=True`` with folds 0–4, killed (an exception from the progress callback) after epoch 1 of fold 3;
C. ``segment train --resume`` through the command line: reuses folds 0–2, continues fold 3 from its
   ``checkpoint_latest.pth``, trains fold 4.

Two shortcuts keep it fast without touching what is tested: nnU-Net's fingerprint samples 10^5 foreground
intensities instead of 10^8 (about 20 s whatever the cohort size; they set the CT normalisation's percentiles),
and its progress plot (2 s per epoch) is not drawn.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiogenomics.provenance import checksum
from tests.conftest import build_once
from tests.segment.conftest import fast_nnunet

pytestmark = pytest.mark.slow
pytest.importorskip("nnunetv2", reason="nnU-Net is the optional 'nnunet' extra (see README)")

SUB = (6, 16, 16)  # CT voxels (z, y, x) kept around each tumour
N_CASES = 6
SETTINGS = {"n_splits": 5, "epochs": 2, "iterations_per_epoch": 1, "val_iterations_per_epoch": 1, "device": "cpu",
            "seed": 0}
ALL_FOLDS = (0, 1, 2, 3, 4)
RESULTS = Path("nnunet/results/Dataset501_Radiogenomics/RadiogenomicsTrainer__nnUNetPlans__3d_fullres")
PREPROCESSED = Path("nnunet/preprocessed/Dataset501_Radiogenomics")


class Killed(Exception):
    """Stands for a training run cut short."""


def _tiny_cohort(seg_cohort, folder: Path) -> Path:
    from radiogenomics.io import read_image, read_mask, write_image

    rows = []
    for r in pd.read_csv(seg_cohort.train).iloc[:N_CASES].itertuples():
        ct, mask = read_image(seg_cohort.folder / r.ct), read_mask(seg_cohort.folder / r.tumour_mask)
        centre = np.argwhere(mask.array > 0).mean(axis=0).round().astype(int)
        lo = np.clip(centre - np.array(SUB) // 2, 0, np.array(mask.array.shape) - SUB)
        box = (tuple(int(v) for v in lo), tuple(int(v) for v in lo + np.array(SUB) - 1))
        write_image(ct.region(*box), folder / r.case_id / "ct.nii", compress=False)
        write_image(mask.region(*box), folder / r.case_id / "tumour_mask.nii", compress=False)
        rows.append({"case_id": r.case_id, "ct": f"{r.case_id}/ct.nii", "pet": str(seg_cohort.folder / r.pet),
                     "tumour_mask": f"{r.case_id}/tumour_mask.nii"})
    pd.DataFrame(rows).to_csv(folder / "manifest.csv", index=False)
    return folder / "manifest.csv"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def take(self) -> list[str]:
        out, self.messages = self.messages, []
        return out


@contextlib.contextmanager
def _logged(name: str) -> Iterator[_Records]:
    """INFO records of logger ``name`` (its level set for the block: the command line sets the root's to WARNING)."""
    log, handler = logging.getLogger(name), _Records()
    level = log.level
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    try:
        yield handler
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def _weights(path: Path) -> str:
    """SHA-256 of the names and bytes of the tensors in a ``fold_<k>.safetensors`` (the file's own bytes are not
    reproducible: safetensors writes its metadata entries in a random order)."""
    import hashlib

    from radiogenomics.segment.nnunet import _read_weights

    h = hashlib.sha256()
    for key, tensor in sorted(_read_weights(path).items()):
        h.update(key.encode())
        h.update(tensor.numpy().tobytes())
    return h.hexdigest()


def _fold_checkpoints(model: Path, folds) -> dict[str, str]:
    return {f"{k}/{name}": checksum(model / RESULTS / f"fold_{k}" / name)
            for k in folds for name in ("checkpoint_best.pth", "checkpoint_final.pth")}


def _build(seg_cohort, folder: Path) -> tuple[Path, dict]:
    from typer.testing import CliRunner

    from radiogenomics.cli import app
    from radiogenomics.segment import train_segmenter

    manifest = _tiny_cohort(seg_cohort, folder / "cohort")
    model = folder / "model"
    rec: dict = {"manifest": manifest, "model": model}
    with fast_nnunet(), _logged("radiogenomics.segment.nnunet") as logs:
        # A: folds 0 and 1, finished
        train_segmenter(manifest, "nnunet", model, {**SETTINGS, "folds": (0, 1)})
        rec["A_logs"] = logs.take()
        rec["A_weights"] = {k: _weights(model / f"fold_{k}.safetensors") for k in (0, 1)}
        rec["A_checkpoints"] = _fold_checkpoints(model, (0, 1))
        rec["A_preprocessed_dirs"] = sorted(p.name for p in (model / PREPROCESSED).iterdir() if p.is_dir())
        rec["A_prepared"] = checksum(model / "nnunet" / "prepared.json")

        # B: resumed with every fold, killed after epoch 1 of fold 3
        calls = []

        def killed_in_fold_3(stage: str, epoch: int, epochs: int, loss: float, dice: float) -> None:
            calls.append((stage, epoch))
            if (stage, epoch) == ("fold 3", 1):
                raise Killed

        with pytest.raises(Killed):
            train_segmenter(manifest, "nnunet", model, {**SETTINGS, "folds": ALL_FOLDS}, killed_in_fold_3,
                            resume=True)
        rec["B_logs"], rec["B_calls"] = logs.take(), calls
        rec["B_fold_3"] = sorted(p.name for p in (model / RESULTS / "fold_3").iterdir())
        rec["B_checkpoints"] = _fold_checkpoints(model, (0, 1))
        rec["B_prepared"] = checksum(model / "nnunet" / "prepared.json")

        # C: the command line resumes it
        config = folder / "nnunet.yaml"
        config.write_text(json.dumps({**SETTINGS, "folds": list(ALL_FOLDS)}))
        res = CliRunner().invoke(app, ["segment", "train", str(manifest), "--method", "nnunet", "-o", str(model),
                                       "--config", str(config), "--resume"])
        rec["C_exit"], rec["C_output"], rec["C_logs"] = res.exit_code, res.output, logs.take()
        rec["C_checkpoints"] = _fold_checkpoints(model, ALL_FOLDS)
        rec["C_fold_3"] = sorted(p.name for p in (model / RESULTS / "fold_3").iterdir())
    return folder, rec


@pytest.fixture(scope="session")
def resumed_nnunet(seg_cohort, tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict:
    """Runs A, B, C of the module docstring, once per test run: what each logged and left (the model folder is
    read only for the tests)."""
    return build_once(tmp_path_factory, worker_id, "resumed_nnunet", lambda folder: _build(seg_cohort, folder))[1]


def _has(messages: list[str], *parts: str) -> bool:
    return any(all(p in m for p in parts) for m in messages)


def test_nnunet_resume_reuses_finished_folds_and_continues_an_interrupted_one(resumed_nnunet) -> None:
    rec = resumed_nnunet
    model = rec["model"]
    # A: a fresh training; its preprocessed arrays are deleted at the end
    assert _has(rec["A_logs"], "fingerprint, plans and preprocessing") and not _has(rec["A_logs"], "resuming")
    assert rec["A_preprocessed_dirs"] == []
    # B: dataset, plans and splits reused (no new fingerprint or plans), the deleted arrays made again, folds 0
    # and 1 reused untouched, fold 2 trained, fold 3 killed after its first epoch with a checkpoint_latest.pth
    b = rec["B_logs"]
    assert _has(b, "resuming in", "6 cases") and not _has(b, "fingerprint, plans and preprocessing")
    assert _has(b, "preprocessed arrays are missing", "preprocessing again")
    assert _has(b, "fold 0: finished by an earlier run") and _has(b, "fold 1: finished by an earlier run")
    assert rec["B_calls"] == [("fold 2", 1), ("fold 2", 2), ("fold 3", 1)]  # folds 0 and 1 ran no epoch
    assert rec["B_prepared"] == rec["A_prepared"]
    assert "checkpoint_latest.pth" in rec["B_fold_3"] and "checkpoint_final.pth" not in rec["B_fold_3"]
    assert not any(name.endswith(".part") for name in rec["B_fold_3"])
    # C: folds 0-2 reused, fold 3 continued from its epoch 1, fold 4 trained; no preprocessing this time
    c = rec["C_logs"]
    assert rec["C_exit"] == 0, rec["C_output"]
    assert [k for k in ALL_FOLDS if _has(c, f"fold {k}: finished by an earlier run")] == [0, 1, 2]
    assert _has(c, "fold 3: continuing from checkpoint_latest.pth after epoch 1 of 2")
    assert _has(c, "fold 4 (trained)") and not _has(c, "preprocessing again")
    assert "finished earlier" in rec["C_output"] and "continued" in rec["C_output"]
    # finished folds are not retrained: their checkpoints and saved weights are byte for byte those of run A
    for key, digest in rec["A_checkpoints"].items():
        assert rec["B_checkpoints"][key] == digest and rec["C_checkpoints"][key] == digest
    assert {k: _weights(model / f"fold_{k}.safetensors") for k in (0, 1)} == rec["A_weights"]
    meta = json.loads((model / "model.json").read_text())
    assert meta["folds"] == list(ALL_FOLDS)
    assert [row["training"] for row in meta["summary"]] == ["reused", "reused", "reused", "continued", "trained"]
    assert [row["epochs"] for row in meta["summary"]] == [2] * 5  # fold 3's log holds both epochs
    assert "checkpoint_latest.pth" not in rec["C_fold_3"] and "checkpoint_final.pth" in rec["C_fold_3"]
    assert json.loads((model / "provenance.json").read_text())["resumed"] is True
    assert not [p for p in (model / PREPROCESSED).iterdir() if p.is_dir()]  # deleted once every fold finished


def test_nnunet_resume_refuses_another_manifest_or_settings(resumed_nnunet, tmp_path) -> None:
    from radiogenomics.segment import SegmentationError, train_segmenter

    rec = resumed_nnunet
    model = tmp_path / "model"
    shutil.copytree(rec["model"], model)
    manifest = rec["manifest"]
    with pytest.raises(SegmentationError, match=r"epochs: 2 then, 3 now.*resuming would mix them"):
        train_segmenter(manifest, "nnunet", model, {**SETTINGS, "folds": ALL_FOLDS, "epochs": 3}, resume=True)
    table = pd.read_csv(manifest)
    reordered = manifest.parent / "reordered.csv"  # other case identifiers, so another dataset
    table.iloc[::-1].to_csv(reordered, index=False)
    with pytest.raises(SegmentationError, match="the manifest's cases or their image/label files differ"):
        train_segmenter(reordered, "nnunet", model, {**SETTINGS, "folds": ALL_FOLDS}, resume=True)
    with pytest.raises(SegmentationError, match="resuming a training is for nnU-Net"):
        train_segmenter(manifest, "attention-unet", model, None, resume=True)
    # what is free to change (folds, checkpoint, tta, device, ...) resumes: nothing is trained again
    before = {k: _weights(model / f"fold_{k}.safetensors") for k in ALL_FOLDS}
    again = train_segmenter(manifest, "nnunet", model, {**SETTINGS, "folds": (4, 0), "tta": False}, resume=True)
    assert [row["training"] for row in again.summary_] == ["reused", "reused"]
    assert {k: _weights(model / f"fold_{k}.safetensors") for k in (4, 0)} == {k: before[k] for k in (4, 0)}


def test_nnunet_five_fold_ensemble_with_tta_is_the_mean_of_mirrored_fold_logits(resumed_nnunet) -> None:
    """The ensemble, computed by hand from the five saved networks: for each fold the mean of the logits of the 8
    mirrorings (flip the input along a subset of the allowed axes, predict, flip back), then the mean over the
    folds — logits, not softmax probabilities, are averaged (nnU-Net's rule). The patch covers the whole image, so
    nnU-Net's sliding window is one window and its Gaussian weighting cancels out; it is switched off for the
    comparison because nnU-Net accumulates the weighted logits in float16, where the tiny weights at the window's
    corners lose up to 0.3 of a logit. What remains is float16 rounding of the result."""
    import torch
    from nnunetv2.inference.data_iterators import PreprocessAdapterFromNpy
    from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

    from radiogenomics.io.manifest import read_manifest
    from radiogenomics.segment import load_segmenter
    from radiogenomics.segment.data import load_case

    rec = resumed_nnunet
    model = load_segmenter(rec["model"])
    s = model.settings
    assert len(model.parameters_) == 5 and s.tta and model.mirror_axes_ == (0, 1, 2)
    case = load_case(read_manifest(rec["manifest"]), 0, s.channels, s.reference_modality, None, normalise=False)
    predictor = model._get_predictor()
    assert predictor.use_mirroring and tuple(predictor.allowed_mirroring_axes) == (0, 1, 2)
    assert predictor.use_gaussian  # as used by predict_case
    pm, conf, dataset_json = predictor.plans_manager, predictor.configuration_manager, predictor.dataset_json
    props = {"spacing": [float(v) for v in case.reference.spacing[::-1]]}
    data = next(PreprocessAdapterFromNpy([case.channels.astype(np.float32)], [None], [props], [None], pm,
                                         dataset_json, conf, num_threads_in_multithreaded=1))["data"]
    assert tuple(data.shape[1:]) == tuple(conf.patch_size) == (6, 16, 16)  # one window, no padding

    net = nnUNetTrainer.build_network_architecture(pm, conf, 2, 2, enable_deep_supervision=False).eval()
    axes = [a + 2 for a in model.mirror_axes_]  # [1, C, z, y, x]
    subsets = [c for n in range(len(axes) + 1) for c in itertools.combinations(axes, n)]
    assert len(subsets) == 8
    x = data[None].float()
    mirrored, plain = [], []
    with torch.inference_mode():
        for params in model.parameters_:
            net.load_state_dict(params)
            outputs = [torch.flip(net(torch.flip(x, c)), c) if c else net(x) for c in subsets]
            mirrored.append(torch.stack(outputs).mean(0)[0])
            plain.append(outputs[0][0])
    expected_tta, expected_plain = torch.stack(mirrored).mean(0), torch.stack(plain).mean(0)
    tol = 2.0**-8 * max(1.0, float(expected_tta.abs().max()))  # a few float16 rounding steps

    predictor.use_gaussian = False
    with torch.inference_mode():
        ours = predictor.predict_logits_from_preprocessed_data(data).float()
    torch.testing.assert_close(ours, expected_tta, rtol=0, atol=tol)
    # the comparison tells the alternatives apart: no TTA, a single fold, or averaged softmax probabilities
    assert float((expected_tta - expected_plain).abs().max()) > 20 * tol
    assert all(float((m - expected_tta).abs().max()) > 20 * tol for m in mirrored)
    softmax_mean = torch.stack([torch.softmax(m, 0) for m in mirrored]).mean(0)
    assert float((torch.softmax(ours, 0) - softmax_mean).abs().max()) > 0.01

    # tta: false — the same five folds, no mirroring
    model.settings = s.model_copy(update={"tta": False})
    model._predictor = None
    predictor = model._get_predictor()
    assert not predictor.use_mirroring
    predictor.use_gaussian = False
    with torch.inference_mode():
        ours_plain = predictor.predict_logits_from_preprocessed_data(data).float()
    torch.testing.assert_close(ours_plain, expected_plain, rtol=0, atol=tol)


def test_saving_a_loaded_nnunet_model_again_gives_the_same_files(resumed_nnunet, tmp_path) -> None:
    """The fold files are byte-stable, so a model saved again keeps its fingerprint (and its cached masks)."""
    from radiogenomics.segment import load_segmenter
    from radiogenomics.segment.registry import model_fingerprint

    model = load_segmenter(resumed_nnunet["model"])
    model.save(tmp_path / "a")
    load_segmenter(tmp_path / "a").save(tmp_path / "b")
    for fold in ALL_FOLDS:
        name = f"fold_{fold}.safetensors"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert model_fingerprint(tmp_path / "a") == model_fingerprint(tmp_path / "b")
