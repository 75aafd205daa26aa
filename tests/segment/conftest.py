"""Small synthetic PET/CT segmentation cohorts for the segmentation tests, written once per session.

Each case is a ``tiny`` patient of :func:`radiogenomics.synth.generate_patient` cut down to a box of
32 × 32 × 12 CT voxels (96 × 96 × 72 mm) that holds the whole tumour at a random offset (seeded): the CT
(3 × 3 × 6 mm) and the tumour mask on that box, and the PET (6 × 6 × 6 mm, its own grid) on the PET voxels
covering the same box. The task is the one the issue names, a hot lesion: the bladder's activity is set to
SUV 2 (background-like; its urine stays visible on the CT), everything else is the synthetic patient as
generated. Patients are those of the cohort (seed 11) whose tumour is hot (planted SUVmax ≥ 5; the cohort's
lowest is 3, barely above a background of 2–2.5) with a diameter of 20–45 mm (the box holds it whole); the
size-stratified metrics are tested on fixed masks, not on this cohort.
Files are uncompressed NIfTI with a manifest in the ``make_cohort`` format (``case_id, ct, pet, tumour_mask``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import build_once

BOX = (12, 32, 32)  # CT voxels (z, y, x)


@dataclass(frozen=True)
class SegCohort:
    folder: Path
    train: Path  # manifest of the training cases
    test: Path  # manifest of the held-out cases
    n_train: int
    n_test: int


def crop_patient(index: int, seed: int):
    """(ct, pet, tumour) of synthetic patient ``index`` cropped around its tumour (module docstring)."""
    import dataclasses
    from types import SimpleNamespace

    from radiogenomics.synth.anatomy import GRIDS, build_anatomy
    from radiogenomics.synth.effects import sample_spec
    from radiogenomics.synth.scanner import scan

    # as radiogenomics.synth.generate_patient(index, 1.0, seed, "tiny"), with a cold bladder
    spec = dataclasses.replace(sample_spec(index, 1.0, seed), bladder_suv=2.0)
    grid = GRIDS["tiny"]
    gen = np.random.default_rng([int(seed), 1, int(index)])
    result = scan(spec, build_anatomy(spec, grid, gen), grid, gen)
    p = SimpleNamespace(spec=spec, ct=result.ct, pet=result.pet, tumour=result.tumour)
    rng = np.random.default_rng([seed, index, 99])
    idx = np.argwhere(p.tumour.array > 0)
    lo_t, hi_t = idx.min(axis=0), idx.max(axis=0)
    box = np.array(BOX)
    shape = np.array(p.ct.array.shape)
    lo_min = np.maximum(hi_t - box + 1, 0)
    lo_max = np.minimum(lo_t, shape - box)
    lo = np.array([rng.integers(a, b + 1) for a, b in zip(lo_min, lo_max, strict=True)])
    hi = lo + box - 1
    ct = p.ct.region(tuple(int(v) for v in lo), tuple(int(v) for v in hi))
    tumour = p.tumour.region(tuple(int(v) for v in lo), tuple(int(v) for v in hi))
    # PET voxels covering the CT box (physical corners → PET indices, array order)
    corners = []
    for corner in (lo - 0.5, hi + 0.5):
        phys = np.array(p.ct.origin) + np.array(corner[::-1]) * np.array(p.ct.spacing)
        corners.append(((phys - np.array(p.pet.origin)) / np.array(p.pet.spacing))[::-1])
    plo = np.clip(np.floor(np.minimum(*corners) + 0.5).astype(int), 0, np.array(p.pet.array.shape) - 1)
    phi = np.clip(np.ceil(np.maximum(*corners) - 0.5).astype(int), 0, np.array(p.pet.array.shape) - 1)
    pet = p.pet.region(tuple(int(v) for v in plo), tuple(int(v) for v in phi))
    return p.spec.case_id, ct, pet, tumour


def patient_indices(n: int, seed: int, lo_mm: float = 20.0, hi_mm: float = 45.0, min_suv: float = 5.0
                    ) -> list[int]:
    """The first ``n`` patient indices of cohort ``seed`` with a tumour diameter in ``[lo_mm, hi_mm]`` and a
    planted tumour SUVmax ≥ ``min_suv``."""
    from radiogenomics.synth.effects import sample_spec

    out, i = [], 0
    while len(out) < n:
        spec = sample_spec(i, 1.0, seed)
        if lo_mm <= spec.tumour_diameter_mm <= hi_mm and spec.tumour_suvmax >= min_suv:
            out.append(i)
        i += 1
    return out


def write_seg_cohort(folder: Path, n_train: int, n_test: int, seed: int) -> SegCohort:
    import pandas as pd

    from radiogenomics.io import write_image

    rows = []
    for i in patient_indices(n_train + n_test, seed):
        cid, ct, pet, tumour = crop_patient(i, seed)
        case = folder / "cases" / cid
        for name, vol in (("ct", ct), ("pet", pet), ("tumour_mask", tumour)):
            write_image(vol, case / f"{name}.nii", compress=False)
        rows.append({"case_id": cid, "ct": f"cases/{cid}/ct.nii", "pet": f"cases/{cid}/pet.nii",
                     "tumour_mask": f"cases/{cid}/tumour_mask.nii"})
    df = pd.DataFrame(rows)
    df.iloc[:n_train].to_csv(folder / "train.csv", index=False)
    df.iloc[n_train:].to_csv(folder / "test.csv", index=False)
    return SegCohort(folder, folder / "train.csv", folder / "test.csv", n_train, n_test)


@pytest.fixture(scope="session", autouse=True)
def _torch_threads(one_torch_thread: None) -> None:
    """Every segmentation test runs with one torch thread (``tests/conftest.py``)."""


@pytest.fixture(scope="session")
def seg_cohort(tmp_path_factory: pytest.TempPathFactory) -> SegCohort:
    """20 training and 8 held-out cases (seed 11)."""
    return write_seg_cohort(tmp_path_factory.mktemp("seg_cohort"), 20, 8, 11)


#: CPU test configuration of the Attention U-Net: the whole 32 × 32 × 12 box as one patch
ATTENTION = {"patch_size": (32, 32, 12), "features": (8, 16, 32), "strides": (2, 2), "spacing": None, "epochs": 20,
             "iterations_per_epoch": 16, "device": "cpu", "seed": 0}
#: CPU test configuration of nnU-Net: one fold of a 5-fold split, a short schedule
NNUNET = {"folds": (0,), "n_splits": 5, "epochs": 10, "iterations_per_epoch": 15, "val_iterations_per_epoch": 4,
          "device": "cpu", "seed": 0}


@contextlib.contextmanager
def fast_nnunet() -> Iterator[None]:
    """Two test shortcuts that leave what is tested alone: nnU-Net's fingerprint samples 10^5 foreground
    intensities instead of 10^8 (about 20 s whatever the cohort size; they set the CT normalisation's
    percentiles), and its progress plot (about 2 s per epoch) is not drawn."""
    from nnunetv2.experiment_planning.dataset_fingerprint.fingerprint_extractor import DatasetFingerprintExtractor
    from nnunetv2.training.logging.nnunet_logger import LocalLogger

    init = DatasetFingerprintExtractor.__init__

    def fewer_samples(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        self.num_foreground_voxels_for_intensitystats = 1e5

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DatasetFingerprintExtractor, "__init__", fewer_samples)
        mp.setattr(LocalLogger, "plot_progress_png", lambda self, output_folder: None)
        yield


def _trained(seg_cohort: SegCohort, method: str, settings: dict) -> Callable[[Path], tuple[Path, float]]:
    def build(folder: Path) -> tuple[Path, float]:
        from radiogenomics.segment import train_segmenter

        t0 = time.perf_counter()
        with fast_nnunet() if method == "nnunet" else contextlib.nullcontext():
            train_segmenter(seg_cohort.train, method, folder, settings)
        return folder, time.perf_counter() - t0

    return build


@pytest.fixture(scope="session")
def attention_model(seg_cohort: SegCohort, tmp_path_factory: pytest.TempPathFactory, worker_id: str
                    ) -> tuple[Path, float]:
    """(model folder, training seconds) of the Attention U-Net trained on the training cases, once per test run
    (shared by the xdist workers; the folder is read only)."""
    return build_once(tmp_path_factory, worker_id, "attention_model", _trained(seg_cohort, "attention-unet", ATTENTION))


@pytest.fixture(scope="session")
def nnunet_model(seg_cohort: SegCohort, tmp_path_factory: pytest.TempPathFactory, worker_id: str
                 ) -> tuple[Path, float]:
    """(model folder, training seconds) of nnU-Net trained on the training cases, once per test run."""
    pytest.importorskip("nnunetv2", reason="nnU-Net is the optional 'nnunet' extra (see README)")
    return build_once(tmp_path_factory, worker_id, "nnunet_model", _trained(seg_cohort, "nnunet", NNUNET))
