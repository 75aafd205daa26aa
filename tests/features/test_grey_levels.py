"""A ROI that discretises to a handful of grey levels (a SUV image with the HU binWidth of 25) is warned about."""

from __future__ import annotations

import numpy as np

from radiogenomics import extract
from radiogenomics.image import Image, Mask


def _roi(scale: float) -> tuple[Image, Mask]:
    rng = np.random.default_rng(0)
    image = Image(rng.uniform(1.0, 1.0 + 12.0 * scale, (12, 12, 12)))  # SUV 1..13 (scale 1)
    mask = np.zeros(image.array.shape, np.uint8)
    mask[2:10, 2:10, 2:10] = 1
    return image, Mask(mask)


def test_suv_with_binwidth_25_warns(caplog) -> None:
    image, mask = _roi(1.0)
    features = extract(image, mask)  # default preset: binWidth 25
    assert features["original_glcm_Contrast"] == 0.0  # one grey level: degenerate texture
    text = caplog.text
    assert "discretises to 1 grey level(s) with binWidth 25" in text and "binWidth near" in text


def test_enough_levels_no_warning(caplog) -> None:
    image, mask = _roi(20.0)  # 1..241: about 10 bins of 25
    extract(image, mask)
    assert "grey level" not in caplog.text
