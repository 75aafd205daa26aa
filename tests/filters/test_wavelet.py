"""Wavelet image type: sub-bands on the ROI box against ``pywt.swtn`` on the whole padded image, names
and order, and feature parity with PyRadiomics 3.0.1 (paper and bat references)."""

from __future__ import annotations

import itertools
import json
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
import pywt

from radiogenomics import extract
from radiogenomics.features.extractor import _as_image, _as_mask, prepare
from radiogenomics.filters import wavelet
from radiogenomics.filters.registry import FILTERS
from radiogenomics.image import Image, Mask
from radiogenomics.preprocess.roi import BoundingBox
from radiogenomics.presets import load_preset
from radiogenomics.settings import ExtractionSettings
from tests.conftest import PYRADIOMICS_CASES
from tests.parity import mismatches

NAMES_3D = [f"wavelet-{b}" for b in ("LLH", "LHL", "LHH", "HLL", "HLH", "HHL", "HHH", "LLL")]


def _reference(array: np.ndarray, s: ExtractionSettings) -> list[tuple[str, np.ndarray]]:
    """Whole-image transform as PyRadiomics defines it, written independently with ``pywt.swtn``."""
    axes = list(range(array.ndim))[::-1]
    if s.force2d:
        axes.remove(s.force2d_dimension)
    padded = np.pad(array, [(0, n % 2) for n in array.shape], mode="wrap")
    all_low = "a" * len(axes)
    for _ in range(s.start_level):
        padded = pywt.swtn(padded, s.wavelet, level=1, axes=axes)[0][all_low]
    unpad = tuple(slice(0, n) for n in array.shape)
    out = []
    for k in range(1, s.level + 1):
        bands = pywt.swtn(padded, s.wavelet, level=1, axes=axes)[0]
        padded = bands[all_low]
        tag = "wavelet-" if k == 1 else f"wavelet{k}-"
        for key in ("".join(p) for p in itertools.product("ad", repeat=len(axes))):
            if key != all_low:
                out.append((tag + key.replace("a", "L").replace("d", "H"), bands[key][unpad]))
    tag = "wavelet-" if s.level == 1 else f"wavelet{s.level}-"
    out.append((tag + "L" * len(axes), padded[unpad]))
    return out


def _boxes(shape: tuple[int, ...], rng: np.random.Generator) -> list[BoundingBox]:
    """The whole image, a box touching each lower and each upper border, and random boxes."""
    full = BoundingBox((0,) * len(shape), tuple(n - 1 for n in shape))
    boxes = [full]
    for axis in range(len(shape)):
        for side in (0, 1):
            lower = [int(rng.integers(0, n)) for n in shape]
            upper = [int(rng.integers(lo, n)) for lo, n in zip(lower, shape, strict=True)]
            if side == 0:
                lower[axis] = 0
            else:
                upper[axis] = shape[axis] - 1
            boxes.append(BoundingBox(tuple(lower), tuple(upper)))
    for _ in range(3):
        lower = [int(rng.integers(0, n)) for n in shape]
        upper = [int(rng.integers(lo, n)) for lo, n in zip(lower, shape, strict=True)]
        boxes.append(BoundingBox(tuple(lower), tuple(upper)))
    return boxes


def _check_against_swtn(array: np.ndarray, s: ExtractionSettings, seed: int) -> None:
    image = Image(array, spacing=(0.7, 0.8, 2.5), origin=(1.0, -2.0, 3.0))
    roi = Mask(np.zeros(array.shape, dtype=bool))
    reference = _reference(array, s)
    scale = max(1.0, max(float(np.max(np.abs(v))) for _, v in reference))
    for bbox in _boxes(array.shape, np.random.default_rng(seed)):
        got = list(wavelet.apply(image, roi, bbox, s))
        assert [n for n, _ in got] == [n for n, _ in reference]
        box = tuple(slice(lo, hi + 1) for lo, hi in zip(bbox.lower, bbox.upper, strict=True))
        for (name, ours), (_, ref) in zip(got, reference, strict=True):
            assert ours.array.dtype == ref.dtype, name
            assert ours.array.shape == bbox.size, name
            np.testing.assert_allclose(ours.array, ref[box], rtol=0, atol=1e-12 * scale, err_msg=f"{name} {bbox}")
            assert ours.origin == image.region(bbox.lower, bbox.upper).origin


SHAPES = [(7, 10, 9), (8, 6, 12), (5, 5, 5), (1, 9, 8), (3, 4, 13), (2, 2, 3)]
WAVELETS = ["coif1", "haar", "db2", "sym4", "bior2.2", "rbio3.1", "dmey"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", WAVELETS)
def test_level1_matches_swtn(shape: tuple[int, ...], name: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{shape}{name}".encode()))
    array = rng.normal(100.0, 50.0, size=shape)
    _check_against_swtn(array, ExtractionSettings(wavelet=name), seed=1)


@pytest.mark.parametrize("dimension", [0, 1, 2])
@pytest.mark.parametrize("name", ["coif1", "haar", "sym4"])
def test_force2d_matches_swtn(dimension: int, name: str) -> None:
    array = np.random.default_rng(dimension).normal(size=(5, 8, 7))
    s = ExtractionSettings(wavelet=name, force2d=True, force2d_dimension=dimension)
    _check_against_swtn(array, s, seed=dimension)


@pytest.mark.parametrize(
    ("start_level", "level", "force2d"),
    [(1, 1, False), (0, 2, False), (1, 2, False), (2, 1, False), (0, 3, False), (1, 2, True)],
)
@pytest.mark.parametrize("name", ["coif1", "haar", "db2"])
def test_levels_match_swtn(start_level: int, level: int, force2d: bool, name: str) -> None:
    array = np.random.default_rng(level).normal(size=(9, 12, 11))
    s = ExtractionSettings(wavelet=name, start_level=start_level, level=level, force2d=force2d)
    _check_against_swtn(array, s, seed=start_level)


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.uint8, np.float32, np.float16])
def test_dtypes_follow_pywavelets(dtype: type) -> None:
    """Integer images are transformed in float64, float32/float16 images in float32, as by pywt."""
    array = (np.random.default_rng(3).normal(size=(6, 7, 9)) * 40 + 100).astype(dtype)
    _check_against_swtn(array, ExtractionSettings(), seed=3)
    _check_against_swtn(array, ExtractionSettings(wavelet="haar", start_level=1, level=2), seed=4)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["coif1", "sym4", "dmey"])
def test_bit_identical_to_pywavelets(name: str, dtype: type) -> None:
    """Same taps, axis order and summation order (also at the wrapped end of a period) as pywt's C loop."""
    array = np.random.default_rng(7).normal(0.0, 300.0, size=(5, 12, 9)).astype(dtype)
    s = ExtractionSettings(wavelet=name, level=2)
    reference = _reference(array, s)
    bbox = BoundingBox((0, 0, 0), tuple(n - 1 for n in array.shape))
    got = list(wavelet.apply(Image(array), Mask(np.zeros(array.shape, dtype=bool)), bbox, s))
    for (label, ours), (_, ref) in zip(got, reference, strict=True):
        assert np.array_equal(ours.array, ref), label


def test_names_and_order() -> None:
    image = Image(np.zeros((4, 6, 6)))
    bbox = BoundingBox((1, 1, 1), (2, 3, 3))
    roi = Mask(np.zeros((4, 6, 6), dtype=bool))

    def names(**kw: object) -> list[str]:
        return [n for n, _ in wavelet.apply(image, roi, bbox, ExtractionSettings(**kw))]

    assert names() == NAMES_3D
    assert names(start_level=1) == NAMES_3D
    assert names(level=2) == NAMES_3D[:-1] + [f"wavelet2-{b}" for b in ("LLH", "LHL", "LHH", "HLL", "HLH", "HHL",
                                                                       "HHH", "LLL")]
    assert names(force2d=True) == ["wavelet-LH", "wavelet-HL", "wavelet-HH", "wavelet-LL"]


def test_registered_and_whole_image() -> None:
    assert FILTERS["Wavelet"].apply is wavelet.apply
    assert wavelet.margin(ExtractionSettings(), (1.0, 1.0, 1.0)) is None


def _paper_wavelet() -> ExtractionSettings:
    return load_preset("paper").replace(image_types={"Wavelet": {}})


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_features_match_pyradiomics(pyradiomics_data: Path, case: str) -> None:
    ours = extract(pyradiomics_data / f"{case}_image.nrrd", pyradiomics_data / f"{case}_label.nrrd",
                   settings=_paper_wavelet())
    paper = json.loads((pyradiomics_data / "reference" / "paper" / f"{case}.json").read_text())
    expected = {k: v for k, v in paper.items() if k.startswith(("wavelet", "original_shape_"))}
    assert list(ours.index) == list(expected), "feature names or order differ from PyRadiomics"
    assert len(ours) == 14 + 8 * 93
    problems = mismatches(ours.to_dict(), expected)
    assert not problems, "\n".join(problems)
    bat = json.loads((pyradiomics_data / "reference" / "bat" / f"{case}.json").read_text())
    first_order = {k: v for k, v in bat.items() if k.startswith("wavelet")}
    assert len(first_order) == 8 * 18
    problems = mismatches({k: ours[k] for k in first_order}, first_order)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", ["lung1", "lung2"])
def test_small(pyradiomics_data: Path, case: str) -> None:
    """The 8 sub-bands of the paper preset need little memory (box-sized arrays); their speed is measured by
    benchmarks/bench_kernels.py."""
    s = _paper_wavelet()
    image, roi, _, bbox = prepare(_as_image(pyradiomics_data / f"{case}_image.nrrd"),
                                  _as_mask(pyradiomics_data / f"{case}_label.nrrd", 0), s)
    settings = s.for_image_type("Wavelet")
    out = list(wavelet.apply(image, roi, bbox, settings))
    assert [n for n, _ in out] == NAMES_3D
    tracemalloc.start()
    try:
        list(wavelet.apply(image, roi, bbox, settings))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * np.prod(bbox.size) * 8 * 4, f"peak {peak / 1e6:.1f} MB for box {bbox.size}"
