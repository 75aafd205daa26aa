"""Compute every IBSI-1 feature of one ROI, and the compliance table of the IBSI phantoms.

:func:`compute_ibsi` returns a tidy table with columns ``feature_tag`` (IBSI compliance-sheet tag, the
aggregation in its suffix, e.g. ``cm_joint_max_3D_avg``), ``feature_name`` and ``value`` (float64).
:func:`ibsi_table` runs it on the IBSI-1 digital or CT phantom with the matching preset and adds
``reference``, ``tolerance`` and ``pass`` (see :func:`radiogenomics.ibsi.reference.matches`) where IBSI
gives a reference value; the ``family`` column names the feature family.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from radiogenomics.errors import UnknownNameError
from radiogenomics.ibsi import (
    glcm,
    gldzm,
    glrlm,
    glszm,
    histogram,
    ivh,
    local_intensity,
    morphology,
    ngldm,
    ngtdm,
    statistics,
)
from radiogenomics.ibsi.discretise import discretise
from radiogenomics.ibsi.processing import IbsiRoi, prepare
from radiogenomics.ibsi.reference import load_reference, matches
from radiogenomics.ibsi.settings import IbsiSettings, ibsi_preset
from radiogenomics.image import Image, Mask
from radiogenomics.io.volume import read_image, read_mask

__all__ = ["COLUMNS", "TABLE_COLUMNS", "compute_ibsi", "compute_roi", "feature_name", "ibsi_series", "ibsi_table"]

logger = logging.getLogger(__name__)

COLUMNS = ["feature_tag", "feature_name", "value"]
TABLE_COLUMNS = ["family", "feature_tag", "feature_name", "value", "reference", "tolerance", "pass"]

PHANTOMS = {"digital": "digital_phantom", "ct": "ct_phantom"}

_NAMES = {
    **morphology.NAMES, **local_intensity.NAMES, **statistics.NAMES, **histogram.NAMES, **ivh.NAMES,
    **glcm.NAMES, **glrlm.NAMES, **glszm.NAMES, **gldzm.NAMES, **ngtdm.NAMES, **ngldm.NAMES,
}
_FAMILY_PREFIX = {"morph": "morphology", "loc": "local_intensity", "stat": "intensity_statistics",
                  "ih": "intensity_histogram", "ivh": "intensity_volume_histogram", "cm": "glcm", "rlm": "glrlm",
                  "szm": "glszm", "dzm": "gldzm", "ngt": "ngtdm", "ngl": "ngldm"}
_SUFFIX_LABELS = {"_2D_avg": "2D, averaged", "_2D_comb": "2D, slice-merged", "_2_5D_avg": "2.5D, direction-merged",
                  "_2_5D_comb": "2.5D, merged", "_3D_avg": "3D, averaged", "_3D_comb": "3D, merged",
                  "_2D": "2D", "_2_5D": "2.5D", "_3D": "3D"}


def feature_name(tag: str) -> str:
    """Readable IBSI name of a feature tag, with the texture aggregation in parentheses."""
    if tag in _NAMES:
        return _NAMES[tag]
    for suffix in sorted(_SUFFIX_LABELS, key=len, reverse=True):
        if tag.endswith(suffix) and tag[: -len(suffix)] in _NAMES:
            return f"{_NAMES[tag[: -len(suffix)]]} ({_SUFFIX_LABELS[suffix]})"
    raise UnknownNameError("IBSI feature tag", tag, _NAMES)


def compute_roi(roi: IbsiRoi, settings: IbsiSettings) -> dict[str, float]:
    """All requested features of a processed ROI, ``{tag: value}`` in family order."""
    fam = set(settings.families)
    out: dict[str, float] = {}
    x = roi.intensities
    if "morphology" in fam:
        out.update(morphology.compute(roi.image, roi.morph_mask, roi.int_mask, roi.spacing))
    if "local_intensity" in fam:
        out.update(local_intensity.compute(roi.image, roi.int_mask, roi.in_image, roi.spacing))
    if "intensity_statistics" in fam:
        out.update(statistics.compute(x))
    if "intensity_volume_histogram" in fam:
        ivh_feats = ivh.compute(x, settings.ivh_discretisation, bin_number=settings.ivh_bin_number,
                                bin_width=settings.ivh_bin_width, intensity_range=roi.intensity_range)
    texture = fam & {"intensity_histogram", "glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm"}
    if texture:
        levels, n_g = discretise(roi.image, roi.int_mask, settings.discretisation, bin_number=settings.bin_number,
                                 bin_width=settings.bin_width, lower_bound=roi.intensity_range[0])
        dims, aggs = settings.texture_dimensions, settings.aggregations
        if "intensity_histogram" in fam:
            out.update(histogram.compute(levels[roi.int_mask], n_g))
        if "intensity_volume_histogram" in fam:
            out.update(ivh_feats)
        if "glcm" in fam:
            out.update(glcm.compute(levels, n_g, dims, aggs, settings.glcm_distance))
        if "glrlm" in fam:
            out.update(glrlm.compute(levels, n_g, dims, aggs))
        if "glszm" in fam:
            out.update(glszm.compute(levels, n_g, dims))
        if "gldzm" in fam:
            out.update(gldzm.compute(levels, roi.morph_mask, n_g, dims))
        if "ngtdm" in fam:
            out.update(ngtdm.compute(levels, n_g, dims))
        if "ngldm" in fam:
            out.update(ngldm.compute(levels, n_g, dims, settings.ngldm_distance, settings.ngldm_coarseness))
    elif "intensity_volume_histogram" in fam:
        out.update(ivh_feats)
    return out


def compute_ibsi(image: Image | str | Path, mask: Mask | str | Path, settings: IbsiSettings) -> pd.DataFrame:
    """IBSI-1 features of the ROI (every non-zero ``mask`` voxel) of ``image``.

    ``image`` and ``mask`` are volumes on one grid or paths to them (NIfTI, NRRD, MetaImage).

    Returns
    -------
    pandas.DataFrame
        Columns ``feature_tag``, ``feature_name``, ``value`` (float64), one row per feature.
    """
    if isinstance(image, str | Path) or isinstance(mask, str | Path):
        image = read_image(image) if isinstance(image, str | Path) else image
        mask = read_mask(mask) if isinstance(mask, str | Path) else mask
    roi = prepare(image, mask, settings)
    feats = compute_roi(roi, settings)
    return pd.DataFrame({
        "feature_tag": list(feats),
        "feature_name": [feature_name(t) for t in feats],
        "value": np.array(list(feats.values()), dtype=np.float64),
    }, columns=COLUMNS)


def ibsi_series(image: Image, mask: Mask, settings: IbsiSettings) -> pd.Series:
    """:func:`compute_ibsi` as a float64 Series indexed by IBSI tag (the form of
    :func:`radiogenomics.features.extractor.extract`'s result, for the CLI and cohort extraction)."""
    table = compute_ibsi(image, mask, settings)
    return pd.Series(table["value"].to_numpy(np.float64), index=table["feature_tag"].to_numpy(), dtype=np.float64)


def _family(tag: str) -> str:
    return _FAMILY_PREFIX[tag.split("_", 1)[0]]


def ibsi_table(phantom: str, config: str | None, data_dir: str | Path) -> pd.DataFrame:
    """Features of an IBSI-1 phantom with their reference values.

    Parameters
    ----------
    phantom
        ``digital`` or ``ct``.
    config
        CT configuration ``A`` ... ``E`` (required for ``ct``; ignored/``None`` for ``digital``).
    data_dir
        The IBSI data folder (``digital_phantom/``, ``ct_phantom/``, ``reference/``).

    Returns
    -------
    pandas.DataFrame
        Columns ``family``, ``feature_tag``, ``feature_name``, ``value``, ``reference``, ``tolerance``
        (NaN where IBSI gives no reference) and ``pass`` (bool, False without a reference), one row per
        computed feature.
    """
    if phantom not in PHANTOMS:
        raise UnknownNameError("IBSI phantom", phantom, PHANTOMS)
    if phantom == "ct":
        if config is None:
            raise UnknownNameError("CT configuration", "None", ["A", "B", "C", "D", "E"])
        config = config.upper()
        if config not in "ABCDE" or len(config) != 1:
            raise UnknownNameError("CT configuration", config, ["A", "B", "C", "D", "E"])
        settings, ref_config = ibsi_preset(config), config
    else:
        settings, ref_config = ibsi_preset("digital"), "-"
    folder = Path(data_dir) / PHANTOMS[phantom]
    table = compute_ibsi(folder / "image.nii.gz", folder / "mask.nii.gz", settings)
    ref = load_reference(data_dir)
    ref = ref[(ref["phantom"] == phantom) & (ref["config"] == ref_config) & (ref["family"] != "diagnostics")]
    ref = ref.set_index("feature_tag")
    table.insert(0, "family", [_family(t) for t in table["feature_tag"]])
    table["reference"] = table["feature_tag"].map(ref["value"]).astype(np.float64)
    table["tolerance"] = table["feature_tag"].map(ref["tolerance"]).astype(np.float64)
    texts = table["feature_tag"].map(ref["value_text"])
    table["pass"] = [
        bool(isinstance(t, str) and matches(v, t, tol))
        for v, t, tol in zip(table["value"], texts, table["tolerance"], strict=True)
    ]
    missing = sorted(set(ref.index) - set(table["feature_tag"]))
    if missing:
        logger.warning("%d referenced features not computed: %s", len(missing), ", ".join(missing))
    return table[TABLE_COLUMNS]
