"""First-order features: edge cases beyond the parity tests."""

from __future__ import annotations


def test_robust_mad_of_a_two_voxel_roi_is_nan_without_a_warning() -> None:
    """With two voxels no value lies between the interpolated 10th and 90th percentiles: PyRadiomics gives
    NaN (numpy's mean of an empty array); so do we, without the RuntimeWarning."""
    import warnings

    import numpy as np

    from radiogenomics import extract
    from radiogenomics.image import Image, Mask
    from radiogenomics.settings import ExtractionSettings

    arr = np.zeros((3, 3, 3))
    arr[1, 1, 1], arr[1, 1, 2] = 10.0, 30.0
    mask = np.zeros((3, 3, 3), np.uint8)
    mask[1, 1, 1:3] = 1
    settings = ExtractionSettings(feature_classes={"firstorder": None}, minimum_roi_dimensions=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = extract(Image(arr, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), tuple(np.eye(3).ravel())),
                    Mask(mask, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), tuple(np.eye(3).ravel())), settings=settings)
    assert np.isnan(f["original_firstorder_RobustMeanAbsoluteDeviation"])
    assert f["original_firstorder_MeanAbsoluteDeviation"] == 10.0
