"""The "auto-mask" experiment: ``auto:<modeldir>`` masks are predicted and then extracted like manual ones."""

from __future__ import annotations

import pandas as pd
import pytest

from radiogenomics.errors import SettingsError
from radiogenomics.io import read_mask
from radiogenomics.io.manifest import read_manifest
from radiogenomics.segment import SegmentationError, resolve_auto_masks
from radiogenomics.segment.registry import model_fingerprint
from tests.cohort.conftest import small_settings

pytestmark = pytest.mark.slow


def test_auto_masks_replace_manual_masks_in_extraction(attention_model, seg_cohort, tmp_path) -> None:
    from radiogenomics.cohort import run_cohort

    model_dir, _ = attention_model
    table = pd.read_csv(seg_cohort.test).iloc[:4].copy()
    table.loc[2, "pet"] = "cases/none/pet.nii"  # this case cannot be segmented
    manifest = read_manifest(table, base=seg_cohort.folder)
    resolved, status = resolve_auto_masks(manifest, tmp_path / "auto", {"tumour_mask": f"auto:{model_dir}"})
    assert status["status"].tolist() == ["predicted", "predicted", "failed", "predicted"]
    folder = tmp_path / "auto" / model_fingerprint(model_dir)
    for row in (0, 1, 3):
        cell = resolved.cell(row, "tumour_mask")
        assert cell.startswith(str(folder)) and read_mask(cell).array.any()
    assert resolved.cell(2, "tumour_mask") == ""  # the cohort run reports this case
    # a re-run predicts nothing again
    _, again = resolve_auto_masks(manifest, tmp_path / "auto", {"tumour_mask": f"auto:{model_dir}"})
    assert again["status"].tolist() == ["cached", "cached", "failed", "cached"]
    # extraction on the predicted masks: cases with a mask give features; the failed one is reported
    out = run_cohort(resolved, tmp_path / "cohort",
                     small_settings(rois=["tumour"], extraction={"tumour": small_settings().extraction["tumour"]}),
                     workers=1)
    ok = out.status[out.status["status"] == "ok"]
    assert sorted(set(ok["case_id"])) == sorted(table["case_id"].iloc[[0, 1, 3]])
    assert table["case_id"].iloc[2] in set(out.failures["case_id"])


def test_auto_cells_in_the_manifest_and_bad_values(attention_model, seg_cohort, tmp_path) -> None:
    model_dir, _ = attention_model
    table = pd.read_csv(seg_cohort.test).iloc[:2].copy()
    table["tumour_mask"] = [f"auto:{model_dir}", table["tumour_mask"].iloc[1]]  # one predicted, one manual
    resolved, status = resolve_auto_masks(read_manifest(table, base=seg_cohort.folder), tmp_path / "auto")
    assert len(status) == 1 and status["status"].iloc[0] == "predicted"
    assert resolved.cell(1, "tumour_mask") == table["tumour_mask"].iloc[1]
    with pytest.raises(SegmentationError, match="auto:<modeldir>"):
        resolve_auto_masks(read_manifest(table, base=seg_cohort.folder), tmp_path / "a", {"tumour_mask": "x"})


def test_study_settings_accept_auto_masks(tmp_path) -> None:
    from radiogenomics.study.settings import StudySettings

    base = {"data": {"manifest": "m.csv", "masks": {"tumour_mask": "auto:models/nnunet"}}, "targets": ["TP53"]}
    s = StudySettings.validate_dict(base, base=tmp_path)
    assert s.data.masks == {"tumour_mask": f"auto:{tmp_path / 'models' / 'nnunet'}"}
    assert s.stage_settings("extract")["masks"] == s.data.masks  # a different model re-runs extraction
    for masks in ({"tumour": "auto:m"}, {"tumour_mask": "models/nnunet"}):
        with pytest.raises(SettingsError):
            StudySettings.validate_dict({**base, "data": {"manifest": "m.csv", "masks": masks}}, base=tmp_path)


def test_study_extracts_features_from_auto_masks(attention_model, seg_cohort, tmp_path) -> None:
    """``data.masks: {tumour_mask: auto:<modeldir>}`` in a study: the extraction reads the predicted masks (the
    tumour's shape VoxelVolume equals the predicted voxel count × 3 · 3 · 6 mm³)."""
    from radiogenomics.study import StudySettings, run_study

    model_dir, _ = attention_model
    table = pd.read_csv(seg_cohort.test).iloc[:3].copy()
    for col in ("ct", "pet", "tumour_mask"):
        table[col] = [str(seg_cohort.folder / v) for v in table[col]]
    table["TP53"] = [0, 1, 0]
    table.to_csv(tmp_path / "manifest.csv", index=False)
    settings = StudySettings.validate_dict({
        "data": {"manifest": "manifest.csv", "masks": {"tumour_mask": f"auto:{model_dir}"}},
        "workers": 1, "targets": ["TP53"],
        "extraction": {"rois": ["tumour"], "modalities": ["ct"],
                       "extraction": {"tumour": {"featureClass": {"shape": ["VoxelVolume"]}}}},
    }, base=tmp_path)
    run_study(settings, tmp_path / "out", stop_after="extract")
    features = pd.read_parquet(tmp_path / "out" / "features.parquet").set_index("case_id")
    status = pd.concat([pd.read_csv(p) for p in (tmp_path / "out" / "auto_masks").glob("*/status.csv")])
    assert sorted(status["case_id"]) == sorted(table["case_id"]) and (status["status"] == "predicted").all()
    for row in status.itertuples():
        assert features.loc[row.case_id, "tumour_ct__original_shape_VoxelVolume"] == pytest.approx(row.voxels * 54.0)


def test_study_compares_manual_and_auto_masks_on_the_same_models(attention_model, seg_cohort, tmp_path) -> None:
    """Seed 001's mask experiment in one study: models trained on the manual masks, every fold's (and hold-out's)
    test cases also evaluated on the features of the masks the segmentation model predicts (``data.compare_masks``),
    side by side in the metrics and the report."""
    import json

    import numpy as np

    from radiogenomics.io import read_image
    from radiogenomics.study import StudySettings, run_study

    model_dir, _ = attention_model
    table = pd.concat([pd.read_csv(seg_cohort.train), pd.read_csv(seg_cohort.test)], ignore_index=True)
    for col in ("ct", "pet", "tumour_mask"):
        table[col] = [str(seg_cohort.folder / v) for v in table[col]]
    volume = np.array([int((read_image(p).array > 0).sum()) for p in table["tumour_mask"]])
    table["TP53"] = (volume > np.median(volume)).astype(int)  # a target the tumour's size predicts
    table.to_csv(tmp_path / "manifest.csv", index=False)
    settings = StudySettings.validate_dict({
        "data": {"manifest": "manifest.csv", "compare_masks": {"tumour_mask": f"auto:{model_dir}"}},
        "workers": 1, "targets": ["TP53"],
        "extraction": {"rois": ["tumour"], "modalities": ["ct"],
                       "extraction": {"tumour": {"featureClass": {"shape": ["VoxelVolume", "SurfaceArea"],
                                                                  "firstorder": ["Mean", "Energy"]}}}},
        "stats": {"enabled": False}, "cluster": {"enabled": False},
        "models": {"models": ["lasso"], "sources": ["fused"], "protocol": "kfold", "folds": 3, "n_boot": 20,
                   "k": 4},
        "report": {"overlay_cases": 0},
    }, base=tmp_path)
    res = run_study(settings, tmp_path / "out")
    assert res.status["models"] == "ran"
    out = tmp_path / "out"
    manual = pd.read_parquet(out / "features.parquet").set_index("case_id")
    auto = pd.read_parquet(out / "features_compare.parquet").set_index("case_id")
    assert not np.allclose(manual["tumour_ct__original_shape_VoxelVolume"],
                           auto.loc[manual.index, "tumour_ct__original_shape_VoxelVolume"])
    metrics = pd.DataFrame(json.loads((out / "models" / "TP53" / "metrics.json").read_text()))
    auc = metrics[(metrics.metric == "roc_auc") & (metrics.split == "cv")].set_index("source")
    assert {"fused", "fused@auto"} <= set(auc.index) and auc.loc["fused@auto", "n"] == len(table)
    # the same fold models predicted both: the predictions differ only through the features
    pred = pd.read_parquet(out / "models" / "TP53" / "lasso__fused@auto" / "predictions.parquet")
    base = pd.read_parquet(out / "models" / "TP53" / "lasso__fused" / "predictions.parquet")
    assert set(pred.loc[pred.split == "cv", "case_id"]) == set(base.loc[base.split == "cv", "case_id"])
    assert not (out / "models" / "TP53" / "lasso__fused@auto" / "model").exists()  # an evaluation, not a model
    html = (out / "report.html").read_text()
    assert "Reference masks vs alternate masks" in html and "auto ROC AUC" in html
