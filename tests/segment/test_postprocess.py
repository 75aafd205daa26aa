"""Post-processing on known masks: largest component, small components, holes, and the choice on validation cases."""

from __future__ import annotations

import numpy as np
import pytest

from radiogenomics.segment.errors import SegmentationError
from radiogenomics.segment.postprocess import (
    CANDIDATES,
    PostProcessing,
    choose_postprocessing,
    components,
    fill_holes,
    keep_largest,
    remove_small,
)


def _blobs() -> np.ndarray:
    m = np.zeros((20, 20, 20), np.uint8)
    m[2:10, 2:10, 2:10] = 1        # 512 voxels
    m[14:16, 14:16, 14:16] = 1     # 8 voxels
    m[18, 18, 18] = 1              # 1 voxel
    m[11, 11, 11] = 1              # two voxels from the big cube (it ends at 9): its own component
    return m


def test_components_use_26_connectivity() -> None:
    m = np.zeros((5, 5, 5), np.uint8)
    m[1, 1, 1] = m[2, 2, 2] = 1  # corner neighbours: one component with 26-connectivity
    m[4, 4, 0] = 1
    _, n = components(m)
    assert n == 2


def test_keep_largest_and_remove_small_on_known_blobs() -> None:
    m = _blobs()
    largest = keep_largest(m)
    assert largest.sum() == 512 and largest[2:10, 2:10, 2:10].all()
    # spacing 2 mm: a voxel is 0.008 ml; the 8-voxel cube is 0.064 ml, the big one 4.096 ml
    kept = remove_small(m, (2.0, 2.0, 2.0), 0.05)
    assert kept.sum() == 512 + 8
    assert remove_small(m, (2.0, 2.0, 2.0), 5.0).sum() == 0
    assert keep_largest(np.zeros((3, 3, 3))).sum() == 0


def test_fill_holes_fills_an_enclosed_cavity_only() -> None:
    m = np.zeros((12, 12, 12), np.uint8)
    m[2:10, 2:10, 2:10] = 1
    m[4:8, 4:8, 4:8] = 0  # an enclosed necrotic core of 64 voxels
    cup = m.copy()
    cup[4:8, 4:8, 8:12] = 0  # opened to the border through one face: not a hole
    assert fill_holes(m).sum() == 512
    assert fill_holes(cup).sum() == cup.sum()


def test_recipe_order_and_names() -> None:
    m = _blobs()
    m[4:6, 4:6, 4:6] = 0
    recipe = PostProcessing(keep="largest", fill_holes=True)
    out = recipe.apply(m, (1.0, 1.0, 1.0))
    assert out.sum() == 512 and recipe.name == "largest component + fill holes"
    assert PostProcessing().name == "none" and np.array_equal(PostProcessing().apply(m, (1, 1, 1)), m)
    assert PostProcessing.from_dict(recipe.to_dict()) == recipe
    with pytest.raises(SegmentationError, match="keep"):
        PostProcessing(keep="biggest")  # type: ignore[arg-type]


def test_choice_on_validation_cases() -> None:
    ref = np.zeros((20, 20, 20), np.uint8)
    ref[2:10, 2:10, 2:10] = 1
    with_fp = _blobs()  # the reference cube plus false-positive specks: keeping the largest component is best
    choice, records = choose_postprocessing([with_fp, with_fp], [ref, ref], [(1, 1, 1), (1, 1, 1)])
    assert choice.keep == "largest" and not choice.fill_holes  # the simplest of the equally good recipes
    assert [r["postprocessing"] for r in records] == [c.name for c in CANDIDATES]
    assert max(r["mean_dice"] for r in records) == pytest.approx(1.0)
    # a prediction that equals the reference: nothing helps, so nothing is applied
    clean, _ = choose_postprocessing([ref], [ref], [(1, 1, 1)])
    assert clean == PostProcessing()
    # two true lesions: keeping only the largest would lose one, so it is not chosen
    two = ref.copy()
    two[14:19, 14:19, 14:19] = 1
    choice, _ = choose_postprocessing([two], [two], [(1, 1, 1)])
    assert choice.keep == "all"
    assert choose_postprocessing([], [], []) == (PostProcessing(), [])
