"""Loading a manifest case as network input: channels on the reference grid, normalisation, label, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiogenomics.errors import NonFiniteVoxelError
from radiogenomics.image import Image, Mask
from radiogenomics.io import write_image
from radiogenomics.io.manifest import read_manifest
from radiogenomics.preprocess.regrid import resample_to_reference
from radiogenomics.segment.data import load_case, normalise_channel
from radiogenomics.segment.errors import SegmentationError


@pytest.fixture()
def case(tmp_path):
    rng = np.random.default_rng(1)
    ct = Image(rng.normal(0, 300, (6, 12, 10)).astype(np.float32), (2.0, 2.0, 4.0), (0.0, 0.0, 0.0))
    pet = Image(rng.gamma(2.0, 2.0, (3, 6, 5)).astype(np.float32), (4.0, 4.0, 8.0), (1.0, 1.0, 2.0))
    mask = np.zeros(ct.array.shape, np.uint8)
    mask[2:4, 3:8, 2:6] = 2
    write_image(ct, tmp_path / "ct.nii.gz")
    write_image(pet, tmp_path / "pet.nii.gz")
    write_image(Mask(mask, ct.spacing, ct.origin), tmp_path / "mask.nii.gz")
    table = pd.DataFrame([{"case_id": "A", "ct": "ct.nii.gz", "pet": "pet.nii.gz", "tumour_mask": "mask.nii.gz"}])
    return tmp_path, table, ct, pet, mask


def test_channels_on_the_reference_grid_and_normalised(case) -> None:
    folder, table, ct, pet, mask = case
    m = read_manifest(table, base=folder)
    raw = load_case(m, 0, ("pet", "ct"), "ct", "tumour_mask", normalise=False)
    assert raw.channels.shape == (2, *ct.array.shape) and raw.reference.geometry == ct.geometry
    np.testing.assert_allclose(raw.channels[0], resample_to_reference(pet, ct).array, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(raw.channels[1], ct.array)
    np.testing.assert_array_equal(raw.label, (mask > 0).astype(np.uint8))
    norm = load_case(m, 0, ("pet", "ct"), "ct", None, ct_window=(-500.0, 500.0), pet_scale_suv=4.0, pet_max_suv=6.0)
    assert norm.label is None
    np.testing.assert_allclose(norm.channels[1], (np.clip(ct.array, -500, 500) + 500) / 1000 * 2 - 1, atol=1e-6)
    np.testing.assert_allclose(norm.channels[0], np.clip(raw.channels[0], 0, 6) / 4, atol=1e-6)
    z = normalise_channel(np.array([1.0, 2.0, 3.0]), "mri_t2")
    np.testing.assert_allclose(z, (np.array([1, 2, 3]) - 2) / np.std([1, 2, 3]), rtol=1e-6)
    np.testing.assert_array_equal(normalise_channel(np.full(4, 7.0), "mri_t2"), np.zeros(4))  # SD 0 → 1


def test_bad_inputs_are_clear_errors(case) -> None:
    folder, table, _, pet, _ = case
    arr = pet.array.copy()
    arr[1, 2, 2] = np.nan
    write_image(pet.with_array(arr), folder / "pet_nan.nii.gz")
    m = read_manifest(table.assign(pet="pet_nan.nii.gz"), base=folder)
    with pytest.raises(NonFiniteVoxelError, match=r"'pet' channel has .* NaN"):
        load_case(m, 0, ("pet", "ct"), "ct", "tumour_mask")
    m = read_manifest(table, base=folder)
    with pytest.raises(SegmentationError, match="no column"):
        load_case(m, 0, ("pet", "mri_t1"), "pet")
    with pytest.raises(SegmentationError, match="cannot be a label"):
        load_case(read_manifest(table.assign(tumour_mask="auto:models/x"), base=folder), 0, ("ct",), "ct",
                  "tumour_mask")
    with pytest.raises(SegmentationError, match="is empty"):
        load_case(read_manifest(table.assign(pet=""), base=folder), 0, ("pet",), "pet")


def test_grid_at_spacing_covers_the_same_box() -> None:
    from radiogenomics.image import Geometry
    from radiogenomics.preprocess.regrid import grid_at_spacing

    g = Geometry((10, 7, 5), (1.0, 1.5, 3.0), (10.0, 20.0, 30.0), (1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0))
    w = grid_at_spacing(g, (2.0, 3.0, 3.0))
    assert w.size == (5, 4, 5)  # 10 mm / 2, ceil(10.5 mm / 3), 15 mm / 3
    # the first voxel's corner stays: origin moves by D (s' - s) / 2 (y runs backwards here)
    np.testing.assert_allclose(w.origin, (10.5, 20.0 - 0.75, 30.0))
    assert w.direction == g.direction
    assert grid_at_spacing(g, g.spacing) == g


def test_working_grid_channels_and_partial_volume_label(case) -> None:
    folder, table, ct, pet, mask = case
    m = read_manifest(table, base=folder)
    fine = load_case(m, 0, ("pet", "ct"), "ct", "tumour_mask", normalise=False)
    coarse = load_case(m, 0, ("pet", "ct"), "ct", "tumour_mask", normalise=False, spacing=(4.0, 4.0, 8.0))
    assert coarse.reference.geometry == ct.geometry  # masks are still written on the CT grid
    assert coarse.grid.size == (5, 6, 3) and coarse.channels.shape == (2, 3, 6, 5)
    # the PET is interpolated once, from its own file onto the working grid
    np.testing.assert_allclose(coarse.channels[0], resample_to_reference(pet, coarse.grid).array, atol=1e-6)
    # label: voxels whose interpolated 0/1 label is >= 0.5, i.e. the same volume within a coarse voxel's share
    fraction = resample_to_reference(Image((mask > 0).astype(np.float32), ct.spacing, ct.origin), coarse.grid).array
    np.testing.assert_array_equal(coarse.label, (fraction >= 0.5).astype(np.uint8))
    assert fine.label.sum() * 16 == pytest.approx(coarse.label.sum() * 128, rel=0.5)
