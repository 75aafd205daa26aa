"""IBSI-2 phase 1: every consensus response map of the shared IBSI data reproduced within its tolerance.

The configurations come from ``reference/ibsi2_phase1_response_maps.csv`` (ids, phantoms, tolerances) and
the maps from ``ibsi2_phantoms/reference_response_maps/``; nothing of them is copied into the code.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from radiogenomics.errors import UnknownNameError
from radiogenomics.ibsi.filters import PHASE1_COLUMNS, PHASE1_CONFIGS, apply_filter, phase1_row, phase1_table
from radiogenomics.io.volume import read_image
from tests.conftest import require_data


@pytest.fixture(scope="module")
def ibsi_dir(test_data):
    """The IBSI folder of the shared data (skipped without it, a failure under CI=true)."""
    return require_data("ibsi", "reference", "ibsi2_phase1_response_maps.csv").parents[1]


@pytest.fixture(scope="module")
def index(ibsi_dir) -> pd.DataFrame:
    return pd.read_csv(ibsi_dir / "reference" / "ibsi2_phase1_response_maps.csv", dtype={"config_id": str})


def test_every_indexed_map_has_a_configuration(index):
    assert set(index["config_id"]) == set(PHASE1_CONFIGS)
    assert len(index) == 33


@pytest.mark.parametrize("config_id", list(PHASE1_CONFIGS))
def test_phase1_response_map(ibsi_dir, index, config_id):
    row = phase1_row(ibsi_dir, config_id, index)
    ref = index.set_index("config_id").loc[config_id]
    assert row["phantom"] == ref["phantom"]
    assert row["tolerance"] == pytest.approx(float(ref["tolerance_abs"]))
    # the tolerance rule of the index: 1 % of the consensus map's range
    reference = read_image(ibsi_dir / ref["file"]).array.astype(np.float64)
    assert row["tolerance"] == pytest.approx(0.01 * (reference.max() - reference.min()), rel=1e-5)
    assert row["n_voxels"] == 64**3
    assert row["pass"], f"{config_id}: max |diff| {row['max_abs_diff']:.4g} > {row['tolerance']:.4g}: {row['note']}"
    assert row["fraction_within"] == 1.0


def test_wrong_boundary_condition_is_caught(ibsi_dir, index):
    """Negative control: 1.a.3 (periodic) computed with zero padding misses the consensus map."""
    cfg = PHASE1_CONFIGS["1.a.3"]
    image = read_image(ibsi_dir / "ibsi2_phantoms" / cfg.phantom / "image.nii.gz")
    ref_row = index.set_index("config_id").loc["1.a.3"]
    reference = read_image(ibsi_dir / ref_row["file"]).array
    wrong = apply_filter(image, cfg.filter, {**cfg.settings, "boundary": "constant"}).array
    assert np.abs(wrong - reference).max() > 100 * float(ref_row["tolerance_abs"])


def test_phase1_table_columns_and_unknown_ids(ibsi_dir):
    table = phase1_table(ibsi_dir, ["1.a.1", "8.a.2", "9.b.2"])
    assert tuple(table.columns) == PHASE1_COLUMNS
    assert list(table["config_id"]) == ["1.a.1", "8.a.2", "9.b.2"]
    assert table["pass"].tolist() == [True, True, False]
    assert "no filter configuration" in table["note"].iloc[2]
    assert table["filter"].tolist()[:2] == ["mean", "simoncelli"]


def test_phase1_row_unknown_id(ibsi_dir):
    with pytest.raises(UnknownNameError, match=re.escape("Did you mean '1.a.1'")):
        phase1_row(ibsi_dir, "1.a.l")
