"""A study on the 12 real STS PET/CT patients plus one corrupt case: the failed case stays out of every analysis,
a misspelt column fails before any extraction in a short message, and the saved BAT masks hold no tumour."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiogenomics.errors import UnknownNameError
from radiogenomics.io import read_mask
from radiogenomics.layout import mask_path
from radiogenomics.study import StudySettings, run_study
from tests.cohort.conftest import STS_IDS, write_sts_manifest
from tests.conftest import require_data

pytestmark = pytest.mark.slow  # a study on real images

SMALL = {"featureClass": {"firstorder": None, "glcm": ["Contrast", "JointEntropy"]}}


def _study(manifest: Path, **changes) -> StudySettings:
    data = {"name": "STS", "data": {"manifest": str(manifest)}, "workers": 1, "targets": ["group"],
            "extraction": {"extraction": {"tumour": SMALL, "bat": SMALL}},
            "stats": {"heatmap_top": 0}, "models": {"models": ["logistic"], "folds": 3, "n_boot": 100},
            "cluster": {"enabled": False}, "report": {"overlay_cases": 1}}
    data.update(changes)
    return StudySettings.validate_dict(data)


@pytest.fixture(scope="module")
def sts_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    sts = require_data("sts_petct")
    folder = tmp_path_factory.mktemp("sts_study")
    manifest = write_sts_manifest(sts, folder / "manifest")
    table = pd.read_csv(manifest)
    corrupt = folder / "STS_999_ct.nii.gz"
    corrupt.write_bytes((sts / "STS_002" / "ct.nii.gz").read_bytes()[:4000])  # a truncated CT
    extra = {**table.iloc[0].to_dict(), "case_id": "STS_999", "ct": str(corrupt), "group": 1}
    pd.concat([table, pd.DataFrame([extra])], ignore_index=True).to_csv(manifest, index=False)
    out = folder / "out"
    run_study(_study(manifest), out)
    return manifest, out


def test_the_failed_case_stays_out_of_the_analyses(sts_study) -> None:
    _, out = sts_study
    failures = pd.read_csv(out / "failures.csv")
    assert set(failures["case_id"]) == {"STS_999"}
    meta = json.loads((out / "models" / "group" / "meta.json").read_text())
    assert meta["excluded"]["n"] == 1 and meta["excluded"]["rows"] == [13]
    assert "extraction failed" in next(iter(meta["excluded"]["reasons"]))
    records = json.loads((out / "models" / "group" / "metrics.json").read_text())
    assert {r["n"] for r in records} == {12}  # exactly the 12 real patients
    assert all(r["reliable"] is False for r in records)  # 6 of each class: too few to trust, and it says so
    stats = json.loads((out / "stats" / "group" / "provenance.json").read_text())
    assert stats["n_cases"] == 12 and stats["excluded"]["rows"] == [13]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "No model is named best" in html and "STS_999" not in html


def test_saved_bat_masks_hold_no_tumour_voxel(sts_study) -> None:
    _, out = sts_study
    n_bat = 0
    for cid in STS_IDS:
        tumour = read_mask(mask_path(out / "cohort", cid, "tumour", "ct")).array > 0
        path = mask_path(out / "cohort", cid, "bat", "ct")
        if not path.is_file():  # a patient without BAT after the exclusion
            continue
        bat = read_mask(path).array > 0
        assert bat.shape == tumour.shape and not np.any(bat & tumour), cid
        n_bat += 1
    assert n_bat >= 6


def test_a_misspelt_target_fails_before_any_extraction(sts_study, tmp_path: Path) -> None:
    manifest, _ = sts_study
    settings = _study(manifest, targets=["gruop"])
    with pytest.raises(UnknownNameError) as info:
        run_study(settings, tmp_path / "run")
    text = str(info.value)
    assert "Did you mean 'group'" in text and len(text.splitlines()) < 20 and len(text) < 2000
    assert not (tmp_path / "run").exists()  # nothing was extracted, not even the output folder made
