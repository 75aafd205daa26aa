"""Tiny synthetic PET/CT cohorts for the CNN tests, written once per session.

Each cohort holds ``N_CASES`` ``tiny`` patients of :func:`radiogenomics.synth.generate_patient` (planted TP53
effect on tumour PET SUVmax and CT texture, see :mod:`radiogenomics.synth.effects`), written as uncompressed
NIfTI (faster than ``make_cohort``'s gzip, same volumes) with a manifest in the ``make_cohort`` format,
plus a one-feature radiomics table (tumour SUVmax on the PET linearly resampled onto the CT grid — the
planted quantity) for the same-table comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import build_once

N_CASES = 56
SIZE = (24, 24, 24)
SUVMAX = "tumour_pet__original_firstorder_Maximum"


@dataclass(frozen=True)
class Cohort:
    manifest: Path
    table: pd.DataFrame  # case_id, TP53, MMR, SUVMAX
    effect: float


def write_cohort(folder: Path, n: int, effect: float, seed: int) -> Cohort:
    from radiogenomics.io import write_image
    from radiogenomics.preprocess.regrid import resample_to_reference
    from radiogenomics.synth import generate_patient

    rows = []
    for i in range(n):
        p = generate_patient(i, effect, seed, size="tiny")
        cid = p.spec.case_id
        case = folder / "cases" / cid
        case.mkdir(parents=True)
        for name, vol in (("ct", p.ct), ("pet", p.pet), ("tumour_mask", p.tumour)):
            write_image(vol, case / f"{name}.nii", compress=False)
        suv = resample_to_reference(p.pet, p.ct).array[p.tumour.array > 0].max()
        rows.append({"case_id": cid, "ct": f"cases/{cid}/ct.nii", "pet": f"cases/{cid}/pet.nii",
                     "tumour_mask": f"cases/{cid}/tumour_mask.nii", **p.spec.labels, SUVMAX: float(suv)})
    df = pd.DataFrame(rows)
    df.drop(columns=[SUVMAX]).to_csv(folder / "manifest.csv", index=False)
    return Cohort(folder / "manifest.csv", df[["case_id", "TP53", "MMR", SUVMAX]], effect)


@pytest.fixture(scope="session", autouse=True)
def _torch_threads(one_torch_thread: None) -> None:
    """Every CNN test runs with one torch thread (``tests/conftest.py``)."""


@pytest.fixture(scope="session")
def effect_cohort(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Cohort:
    """Effect size 1 (TP53 groups 2 SD apart on the latent uptake factor), seed 7; written once per test run
    (read only)."""
    return build_once(tmp_path_factory, worker_id, "cnn_effect", lambda folder: write_cohort(folder, N_CASES, 1.0, 7))


@pytest.fixture(scope="session")
def null_cohort(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Cohort:
    """Effect size 0 (images independent of TP53), seed 7; written once per test run (read only)."""
    return build_once(tmp_path_factory, worker_id, "cnn_null", lambda folder: write_cohort(folder, N_CASES, 0.0, 7))


@pytest.fixture(scope="session")
def cnn_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One volume-cache root shared by the session's cohorts (inputs are told apart by their signature)."""
    return tmp_path_factory.mktemp("cnn_cache")


def tiny_train(**changes):
    """Training settings of the CPU smoke configuration: resnet10 at width 0.25, 3 epochs."""
    from radiogenomics.cnn import TrainSettings

    base = {"arch": "resnet10", "width": 0.25, "max_epochs": 3, "patience": 3, "batch_size": 8, "lr": 3e-3,
            "device": "cpu", "seed": 0}
    return TrainSettings.validate_dict({**base, **changes})


def tiny_preprocess(**changes):
    from radiogenomics.cnn import PreprocessSettings

    return PreprocessSettings.validate_dict({"channels": ("pet", "ct"), "size": SIZE, "margin_mm": 10.0,
                                             **changes})


def auc(y, p) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(y), np.asarray(p)))
