"""nnU-Net dataset conversion and the prediction path: exact round trips, checked with nnU-Net's own reader.

The test images have a non-identity direction (rotated 30° in-plane), anisotropic spacing and a PET on
another grid. The "identity model" stands in for a trained network: its output is channel 0 thresholded,
and channel 0 holds the mask itself, so a correct pipeline returns the original mask voxel for voxel on
the original geometry, and a swapped channel order or a transposed axis fails.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiogenomics.image import Image, Mask
from radiogenomics.io import read_image, write_image
from radiogenomics.io.manifest import read_manifest
from radiogenomics.preprocess.regrid import resample_to_reference
from radiogenomics.segment.errors import SegmentationError
from radiogenomics.segment.nnunet import NnUNetSegmenter, nnunet_environment, write_dataset, write_splits
from radiogenomics.segment.settings import NnUNetSettings

pytest.importorskip("nnunetv2", reason="nnU-Net is the optional 'nnunet' extra (see README)")

C, S = math.cos(math.radians(30)), math.sin(math.radians(30))
DIRECTION = (C, -S, 0.0, S, C, 0.0, 0.0, 0.0, 1.0)


def _case(rng: np.random.Generator, k: int) -> tuple[Mask, Image, Image]:
    shape = (9, 20 + k, 17)  # z, y, x — not cubic, so a transposition changes the shape
    mask = np.zeros(shape, np.uint8)
    mask[2 + k % 3 : 6, 4:12, 3 + k : 9 + k] = 1
    geo = {"spacing": (0.9, 1.3, 3.0), "origin": (-12.0 + k, 5.0, -40.0), "direction": DIRECTION}
    ref = Mask(mask, **geo)
    marker = Image(mask.astype(np.float32) * 100.0, **geo)  # channel 0: the mask as an image
    pet = Image(rng.gamma(2.0, 1.0, size=(5, 10, 9)).astype(np.float32), spacing=(2.1, 2.6, 5.5),
                origin=(-14.0 + k, 3.0, -42.0), direction=DIRECTION)
    return ref, marker, pet


@pytest.fixture()
def manifest(tmp_path):
    rng = np.random.default_rng(5)
    rows = []
    for k in range(3):
        ref, marker, pet = _case(rng, k)
        cid = f"P{k}"
        write_image(ref, tmp_path / cid / "mask.nii.gz")
        write_image(marker, tmp_path / cid / "ct.nii.gz")
        write_image(pet, tmp_path / cid / "pet.nii.gz")
        rows.append({"case_id": cid, "ct": f"{cid}/ct.nii.gz", "pet": f"{cid}/pet.nii.gz",
                     "tumour_mask": f"{cid}/mask.nii.gz"})
    rows.append({"case_id": "BROKEN", "ct": "missing/ct.nii.gz", "pet": "missing/pet.nii.gz",
                 "tumour_mask": "missing/mask.nii.gz"})
    pd.DataFrame(rows).to_csv(tmp_path / "manifest.csv", index=False)
    return read_manifest(tmp_path / "manifest.csv")


def test_dataset_files_round_trip_through_nnunets_reader(manifest, tmp_path) -> None:
    from nnunetv2.imageio.simpleitk_reader_writer import SimpleITKIO

    settings = NnUNetSettings(channels=("ct", "pet"), n_splits=2, folds=(0,))
    info = write_dataset(manifest, settings, tmp_path / "raw")
    assert info.identifiers == ["case_0000", "case_0001", "case_0002"]
    assert info.case_ids == ["P0", "P1", "P2"]
    assert info.failures["case_id"].tolist() == ["BROKEN"]  # reported and left out, the others kept
    meta = json.loads((info.folder / "dataset.json").read_text())
    assert meta["channel_names"] == {"0": "CT", "1": "pet"} and meta["numTraining"] == 3
    assert meta["labels"] == {"background": 0, "tumour": 1} and meta["file_ending"] == ".nii.gz"
    io = SimpleITKIO()
    for row, ident in enumerate(info.identifiers):
        ref = Mask.from_sitk(sitk.ReadImage(str(manifest.path(row, "tumour_mask"))))
        images, props = io.read_images([str(info.folder / "imagesTr" / f"{ident}_{c:04d}.nii.gz") for c in (0, 1)])
        seg, _ = io.read_seg(str(info.folder / "labelsTr" / f"{ident}.nii.gz"))
        assert images.shape == (2, *ref.array.shape)
        np.testing.assert_array_equal(seg[0], ref.array)  # the label, voxel for voxel
        np.testing.assert_array_equal(images[0], ref.array * 100.0)  # channel 0 is the 'ct' column
        pet = resample_to_reference(read_image(manifest.path(row, "pet")), ref)
        np.testing.assert_allclose(images[1], pet.array, rtol=0, atol=1e-5)  # channel 1: PET on the CT grid
        assert tuple(props["spacing"]) == pytest.approx(ref.spacing[::-1])  # nnU-Net's (z, y, x) order


def test_identity_model_maps_back_onto_the_original_geometry(manifest) -> None:
    calls = []

    class IdentityPredictor:
        def predict_single_npy_array(self, image, props, previous, output, probabilities):
            calls.append((image.shape, props))
            return (image[0] > 50).astype(np.uint8)

    seg = NnUNetSegmenter(NnUNetSettings(channels=("ct", "pet"), n_splits=2, folds=(0,)))
    seg.parameters_ = [{}]
    seg.dataset_json_ = {"channel_names": {"0": "CT", "1": "pet"}}
    seg._predictor = IdentityPredictor()
    for row in range(3):
        ref = Mask.from_sitk(sitk.ReadImage(str(manifest.path(row, "tumour_mask"))))
        out = seg.predict_case(manifest, row)
        assert out.geometry == ref.geometry  # size, spacing, origin, direction
        np.testing.assert_array_equal(out.array, ref.array)
        shape, props = calls[-1]
        assert shape == (2, *ref.array.shape) and props == {"spacing": list(ref.spacing[::-1])}
    with pytest.raises(SegmentationError, match=r"input must be \[2, z, y, x\]"):
        seg.predict_array(np.zeros((3, 4, 4, 4), np.float32), (1.0, 1.0, 1.0))
    bad = np.zeros((2, 4, 4, 4), np.float32)
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(SegmentationError, match="NaN"):
        seg.predict_array(bad, (1.0, 1.0, 1.0))


def test_splits_are_patient_wise_and_seeded(tmp_path) -> None:
    ids = [f"case_{i:04d}" for i in range(11)]
    a = write_splits(ids, 5, 3, tmp_path / "a.json")
    b = write_splits(ids, 5, 3, tmp_path / "b.json")
    assert a == b and json.loads((tmp_path / "a.json").read_text()) == a
    vals = [v for s in a for v in s["val"]]
    assert sorted(vals) == ids  # every case validated exactly once
    assert all(not set(s["train"]) & set(s["val"]) for s in a)
    assert write_splits(ids, 5, 4, tmp_path / "c.json") != a
    with pytest.raises(SegmentationError, match="cannot make 5 folds"):
        write_splits(ids[:3], 5, 0, tmp_path / "d.json")


def test_environment_is_set_for_the_block_only(tmp_path, monkeypatch) -> None:
    import os

    monkeypatch.setenv("nnUNet_raw", "/users/own/raw")
    monkeypatch.delenv("nnUNet_results", raising=False)
    with nnunet_environment(tmp_path / "nn") as folders:
        assert os.environ["nnUNet_raw"] == str(folders["raw"]) and folders["raw"].is_dir()
        assert os.environ["nnUNet_results"] == str(tmp_path / "nn" / "results")
        assert os.environ["nnUNet_n_proc_DA"] == "0"
        print("nnU-Net chatter")  # goes to the log, not the console
    assert os.environ["nnUNet_raw"] == "/users/own/raw" and "nnUNet_results" not in os.environ


def test_settings_errors_name_the_closest_value() -> None:
    from radiogenomics.errors import SettingsError, UnknownNameError

    with pytest.raises(UnknownNameError, match="3d_fullres"):
        NnUNetSettings.validate_dict({"configuration": "3d_fullress"})
    with pytest.raises(UnknownNameError, match="iterations_per_epoch"):
        NnUNetSettings.validate_dict({"iterations_per_epoc": 5})
    with pytest.raises(SettingsError, match="folds"):
        NnUNetSettings.validate_dict({"folds": (0, 5), "n_splits": 5})
