"""Both methods train and predict on CPU on the small synthetic cohort and segment held-out cases.

Cohort and configurations: :mod:`tests.segment.conftest` (20 training and 8 held-out cases; Attention U-Net
25 epochs × 16 patches of 32 × 32 × 12; nnU-Net ``3d_fullres``, fold 0 of 5, 8 epochs × 15 iterations).
Asserted: mean held-out Dice ≥ 0.7 for each method (measured figures in docs/segment.md), predictions of a
reloaded model identical to the first ones, masks on the CT grid of each case.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from radiogenomics.io import read_mask
from radiogenomics.io.manifest import read_manifest
from radiogenomics.segment import evaluate_manifest, load_segmenter, predict_manifest

pytestmark = pytest.mark.slow
logger = logging.getLogger(__name__)

MIN_DICE = 0.7


def _held_out(model_dir, cohort, tmp_path):
    result = predict_manifest(model_dir, cohort.test, tmp_path / "masks")
    assert (result.status["status"] == "predicted").all() and len(result.status) == cohort.n_test
    ev = evaluate_manifest(result, cohort.test)
    return result, ev


@pytest.mark.parametrize("fixture", ["attention_model", "nnunet_model"])
def test_held_out_dice(fixture, request, seg_cohort, tmp_path) -> None:
    model_dir, seconds = request.getfixturevalue(fixture)
    result, ev = _held_out(model_dir, seg_cohort, tmp_path)
    mean_dice = float(ev.cases["dice"].mean())
    logger.warning("%s: trained in %.0f s, held-out Dice mean %.3f (per case %s), predicted in %.1f s", fixture,
                   seconds, mean_dice, np.round(ev.cases["dice"].to_numpy(), 3).tolist(),
                   result.status["seconds"].sum())
    assert mean_dice >= MIN_DICE
    # masks are on each case's CT grid
    test = read_manifest(seg_cohort.test)
    for row in range(len(test.table)):
        pred = read_mask(result.outdir / f"{test.cell(row, 'case_id')}.nii.gz")
        assert pred.geometry == read_mask(test.path(row, "tumour_mask")).geometry


@pytest.mark.parametrize("fixture", ["attention_model", "nnunet_model"])
def test_reloaded_model_predicts_identically(fixture, request, seg_cohort) -> None:
    model_dir, _ = request.getfixturevalue(fixture)
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["method"] == ("attention-unet" if fixture == "attention_model" else "nnunet")
    test = read_manifest(seg_cohort.test)
    a, b = load_segmenter(model_dir), load_segmenter(model_dir, device="cpu")
    for row in (0, 1):
        np.testing.assert_array_equal(a.predict_case(test, row).array, b.predict_case(test, row).array)


def test_predictions_resume_and_record_failures(attention_model, seg_cohort, tmp_path) -> None:
    import pandas as pd

    model_dir, _ = attention_model
    table = pd.read_csv(seg_cohort.test).iloc[:3].copy()
    table.loc[1, "pet"] = "cases/none/pet.nii"  # a missing file: that case fails, the others are kept
    m = read_manifest(table, base=seg_cohort.folder)
    first = predict_manifest(model_dir, m, tmp_path / "masks")
    assert first.status["status"].tolist() == ["predicted", "failed", "predicted"]
    assert first.failures["error_type"].iloc[0] == "ImageReadError"
    again = predict_manifest(model_dir, m, tmp_path / "masks")
    assert again.status["status"].tolist() == ["cached", "failed", "cached"]
    forced = predict_manifest(model_dir, m, tmp_path / "masks", overwrite=True)
    assert forced.status["status"].tolist() == ["predicted", "failed", "predicted"]
    import torch

    from radiogenomics.segment import SegmentationError

    if not torch.cuda.is_available():  # the device given overrides the saved one (cpu here)
        with pytest.raises(SegmentationError, match="device 'cuda' was asked for"):
            predict_manifest(model_dir, m, tmp_path / "masks", device="cuda")
