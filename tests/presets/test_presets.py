"""Built-in presets: the feature counts of the paper (19 image types × 93 + 14 shape) and of its BAT set."""

from __future__ import annotations

import numpy as np
import pytest

from radiogenomics import extract
from radiogenomics.errors import UnknownNameError
from radiogenomics.image import Image, Mask
from radiogenomics.presets import PRESETS, load_preset


@pytest.mark.parametrize(("name", "image_types", "n_features"), [("default", 1, 107), ("paper", 19, 1781),
                                                                  ("bat", 19, 342)])
def test_preset_counts(name: str, image_types: int, n_features: int) -> None:
    settings = load_preset(name)
    rng = np.random.default_rng(0)
    image = Image(rng.normal(100, 30, (24, 24, 24)))
    mask = np.zeros(image.array.shape, np.uint8)
    mask[6:18, 6:18, 6:18] = 1
    names = extract(image, Mask(mask), settings=settings).index
    expanded = sum(len(v.get("sigma", settings.sigma)) if k == "LoG" else 8 if k == "Wavelet"
                   else 3 if k == "LBP3D" else 1 for k, v in settings.image_types.items())
    assert expanded == image_types
    assert len(names) == n_features


def test_unknown_preset_suggests() -> None:
    assert set(PRESETS) >= {"default", "paper", "bat"}
    with pytest.raises(UnknownNameError, match="Did you mean 'paper'"):
        load_preset("papr")
