"""Segmentation metrics against MONAI (the reference implementation) and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from radiogenomics.errors import GeometryMismatchError
from radiogenomics.image import Mask
from radiogenomics.segment.metrics import (
    CASE_COLUMNS,
    LESION_COLUMNS,
    SIZE_COLUMNS,
    case_metrics,
    dice,
    evaluate_segmentations,
    hd95,
    iou,
    lesion_diameter,
    lesion_table,
    metrics_by_size,
    surface_dice,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*always_return_as_numpy:FutureWarning")  # inside MONAI

SPACING = (0.8, 1.1, 2.5)  # (x, y, z) mm, anisotropic


def _blob(seed: int, shape=(14, 24, 22), fill=0.5, smooth=2.0) -> np.ndarray:
    """A random smooth binary shape (thresholded Gaussian-filtered noise) of array order ``shape``."""
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.normal(size=shape), smooth)
    return field > np.quantile(field, fill)


def _monai(pred: np.ndarray, ref: np.ndarray):
    import torch

    def onehot(a: np.ndarray):
        t = torch.from_numpy(a.astype(np.float32))[None, None]
        return torch.cat([1 - t, t], dim=1)

    return onehot(pred), onehot(ref)


PAIRS = [(_blob(s), _blob(s + 100)) for s in range(3)] + [(_blob(7), ndimage.binary_dilation(_blob(7)))]


@pytest.mark.parametrize("k", range(len(PAIRS)))
def test_overlap_and_surface_metrics_match_monai(k: int) -> None:
    from monai.metrics import DiceMetric, HausdorffDistanceMetric, MeanIoU, SurfaceDiceMetric

    pred, ref = PAIRS[k]
    yp, yr = _monai(pred, ref)
    spacing_zyx = SPACING[::-1]
    assert dice(pred, ref) == pytest.approx(float(DiceMetric(include_background=False)(yp, yr)), abs=1e-6)
    assert iou(pred, ref) == pytest.approx(float(MeanIoU(include_background=False)(yp, yr)), abs=1e-6)
    ref_hd = float(HausdorffDistanceMetric(percentile=95)(yp, yr, spacing=spacing_zyx))
    assert hd95(pred, ref, SPACING) == pytest.approx(ref_hd, rel=1e-6, abs=1e-6)
    for tau in (0.5, 1.5, 3.0):
        ref_sd = float(SurfaceDiceMetric([tau])(yp, yr, spacing=spacing_zyx))
        assert surface_dice(pred, ref, tau, SPACING) == pytest.approx(ref_sd, abs=1e-6)


def test_masks_carry_their_spacing_and_must_share_a_grid() -> None:
    pred, ref = PAIRS[0]
    a, b = Mask(pred.astype(np.uint8), SPACING), Mask(ref.astype(np.uint8), SPACING)
    assert hd95(a, b) == pytest.approx(hd95(pred, ref, SPACING))
    with pytest.raises(GeometryMismatchError, match="different grids"):
        hd95(a, Mask(ref.astype(np.uint8), (1.0, 1.0, 1.0)))
    with pytest.raises(GeometryMismatchError, match="shape"):
        dice(pred, ref[:-1])


def test_hd95_closed_forms() -> None:
    # single voxels: the distance between their centres, with anisotropic spacing
    a = np.zeros((10, 10, 10), bool)
    b = a.copy()
    a[2, 3, 4] = True
    b[5, 1, 8] = True  # Δ(z, y, x) = (3, -2, 4)
    expected = math.sqrt((3 * 2.5) ** 2 + (2 * 1.1) ** 2 + (4 * 0.8) ** 2)
    assert hd95(a, b, SPACING) == pytest.approx(expected, rel=1e-12)
    # a box shifted by k voxels along x: the largest surface distance is exactly k · s_x
    box = np.zeros((12, 16, 30), bool)
    box[3:9, 4:12, 5:15] = True
    for k in (1, 3, 6):
        shifted = np.roll(box, k, axis=2)
        assert hd95(shifted, box, SPACING, percentile=100) == pytest.approx(k * 0.8, rel=1e-12)
        assert 0 < hd95(shifted, box, SPACING) <= k * 0.8 + 1e-12
    # identical → 0; one empty → inf; both empty → 0 (and Dice/IoU/surface Dice 1)
    assert hd95(box, box, SPACING) == 0.0
    assert hd95(box, np.zeros_like(box), SPACING) == math.inf
    empty = np.zeros_like(box)
    assert hd95(empty, empty) == 0.0 and dice(empty, empty) == 1.0 and iou(empty, empty) == 1.0
    assert surface_dice(empty, empty, 1.0) == 1.0


def test_dice_and_iou_closed_form() -> None:
    a = np.zeros((4, 4, 10), bool)
    b = a.copy()
    a[..., 0:6] = True  # 96 voxels
    b[..., 3:10] = True  # 112 voxels, 48 shared
    assert dice(a, b) == pytest.approx(2 * 48 / (96 + 112))
    assert iou(a, b) == pytest.approx(48 / (96 + 112 - 48))


def test_lesion_diameter_closed_form_and_direction() -> None:
    lesion = np.ones((3, 4, 5), bool)  # n_z, n_y, n_x
    expected = math.sqrt((5 * 0.8) ** 2 + (4 * 1.1) ** 2 + (3 * 2.5) ** 2)
    assert lesion_diameter(lesion, SPACING) == pytest.approx(expected, rel=1e-12)
    c, s = math.cos(0.4), math.sin(0.4)
    rotated = (c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0)
    assert lesion_diameter(lesion, SPACING, rotated) == pytest.approx(expected, rel=1e-12)
    flat = np.zeros((1, 1, 6), bool)
    flat[0, 0, :] = True
    assert lesion_diameter(flat, SPACING) == pytest.approx(math.sqrt(4.8**2 + 1.1**2 + 2.5**2), rel=1e-12)


def _two_lesions() -> tuple[np.ndarray, np.ndarray]:
    """Reference: a 2×2×2-voxel lesion (diameter √(2²+2²+2²)·4 mm = 13.9 mm) and a 6×6×6 one (41.6 mm), at 4 mm
    isotropic spacing; the prediction finds the large one exactly plus a false positive, and misses the small."""
    ref = np.zeros((20, 20, 20), np.uint8)
    ref[2:4, 2:4, 2:4] = 1
    ref[10:16, 10:16, 10:16] = 1
    pred = np.zeros_like(ref)
    pred[10:16, 10:16, 10:16] = 1
    pred[2:4, 16:19, 16:19] = 1
    return pred, ref


def test_lesion_table_and_size_classes() -> None:
    pred, ref = _two_lesions()
    table = lesion_table(pred, ref, "c1", spacing=(4.0, 4.0, 4.0))
    assert tuple(table.columns) == LESION_COLUMNS
    small, large = table.sort_values("diameter_mm").itertuples()
    assert small.diameter_mm == pytest.approx(8 * math.sqrt(3)) and small.size_class == "<2cm"
    assert large.diameter_mm == pytest.approx(24 * math.sqrt(3)) and large.size_class == ">=2cm"
    assert not small.detected and small.dice == 0.0
    assert large.detected and large.dice == 1.0 and large.n_pred_components == 1
    assert large.volume_ml == pytest.approx(216 * 64 / 1000)
    by_size = metrics_by_size(table)
    assert tuple(by_size.columns) == SIZE_COLUMNS
    assert by_size.set_index("size_class")["sensitivity"].to_dict() == {"<2cm": 0.0, ">=2cm": 1.0}
    row = case_metrics(pred, ref, "c1", spacing=(4.0, 4.0, 4.0))
    assert tuple(row) == CASE_COLUMNS
    assert (row["n_lesions"], row["n_detected"], row["n_false_positive"]) == (2, 1, 1)
    assert row["dice"] == pytest.approx(2 * 216 / (216 + 18 + 216 + 8))


def test_evaluate_segmentations_tables() -> None:
    pred, ref = _two_lesions()
    m = Mask(ref, (4.0, 4.0, 4.0))
    ev = evaluate_segmentations([("a", Mask(pred, m.spacing), m), ("b", m, m)])
    assert list(ev.cases["case_id"]) == ["a", "b"] and tuple(ev.cases.columns) == CASE_COLUMNS
    assert ev.cases.set_index("case_id").loc["b", "dice"] == 1.0
    assert len(ev.lesions) == 4
    sizes = ev.by_size.set_index("size_class")
    assert sizes.loc["<2cm", "n_lesions"] == 2 and sizes.loc["<2cm", "n_detected"] == 1
    # an empty lesion table still lists both size classes
    empty = metrics_by_size(pd.DataFrame(columns=list(LESION_COLUMNS)))
    assert list(empty["size_class"]) == ["<2cm", ">=2cm"] and empty["n_lesions"].tolist() == [0, 0]
