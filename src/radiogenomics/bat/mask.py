r"""Brown adipose tissue (BAT) masks from PET/CT: the rule of the seed study.

Seed 001, Methods 2.4: "Regions with a standardized uptake value (SUV) greater than 1.5 were selected from
the PET images, and combined with CT images, areas with CT values between −190 HU and −10 HU were
identified as brown adipose tissue". On the CT grid, with the PET resampled onto it first (linear
interpolation, as the study resampled PET to the CT resolution):

.. math:: \mathrm{BAT} = \{\,i : \mathrm{SUV}_i > s \ \wedge\ h_{lo} \le \mathrm{HU}_i \le h_{hi}\,\}
          \quad (s = 1.5,\ [h_{lo}, h_{hi}] = [-190, -10]\ \text{by default})

Optional refinements (all off by default, so the default is the paper's rule):

- ``restrict_to_body``: only voxels of the body (``HU > -500`` largest connected component, holes
  filled slice by slice), or of a body mask passed in;
- tumour exclusion: voxels of a given tumour mask, dilated by ``tumour_margin_mm`` (Euclidean distance in
  mm), are removed — FDG-avid tumours spill SUV > 1.5 into the fat around them;
- ``min_component_voxels`` / ``min_component_ml``: connected components (``connectivity`` 6, 18 or 26)
  smaller than this are removed (partial-volume specks at the edges of hot organs).

A patient without BAT is a result with ``status = "empty"``, not an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator
from scipy import ndimage

from radiogenomics.errors import SettingsError
from radiogenomics.image import Image, Mask, check_geometry
from radiogenomics.preprocess.regrid import Interpolation, resample_to_reference
from radiogenomics.settings import _Settings

__all__ = ["BatResult", "BatSettings", "BatStatus", "bat_mask", "body_mask"]

logger = logging.getLogger(__name__)


class BatSettings(_Settings):
    """Settings of the BAT rule (frozen; unknown keys fail with the closest valid name).

    Attributes
    ----------
    suv_threshold
        Voxels need SUV strictly above this (1.5, seed 001).
    hu_range
        Inclusive CT number window of fat (−190, −10 HU, seed 001).
    min_component_voxels, min_component_ml
        Remove connected components smaller than this many voxels / millilitres (``None``: keep all).
        When both are given the larger bound applies.
    connectivity
        Neighbourhood of the components: 6 (faces), 18 (faces and edges) or 26 (all).
    restrict_to_body
        Keep only voxels inside the body (a body mask given to :func:`bat_mask`, else one computed from the
        CT with :func:`body_mask`).
    tumour_margin_mm
        Margin around a tumour mask given to :func:`bat_mask` that is excluded as well (default 10 mm: the
        partial-volume spill of an FDG-avid tumour into the fat around it; 0 = the tumour only).
    interpolation
        How the PET is resampled onto the CT grid.
    """

    settings_name: ClassVar[str] = "BAT settings"

    suv_threshold: float = Field(1.5, gt=0)
    hu_range: tuple[float, float] = (-190.0, -10.0)
    min_component_voxels: int | None = Field(None, ge=1)
    min_component_ml: float | None = Field(None, gt=0)
    connectivity: Literal[6, 18, 26] = 26
    restrict_to_body: bool = False
    tumour_margin_mm: float = Field(10.0, ge=0)
    interpolation: Literal["linear", "nearest", "bspline"] = "linear"

    @model_validator(mode="after")
    def _ordered(self) -> BatSettings:
        if not self.hu_range[0] <= self.hu_range[1]:
            raise SettingsError(f"hu_range must be (low, high) with low <= high, got {self.hu_range}")
        return self


class BatStatus(StrEnum):
    """Outcome of the BAT rule for one patient."""

    found = "found"
    empty = "empty"


@dataclass(frozen=True)
class BatResult:
    """The BAT mask of one patient and its size.

    Attributes
    ----------
    mask
        Boolean :class:`~radiogenomics.image.Mask` on the CT grid.
    n_voxels, volume_ml
        Size of the mask.
    n_components
        Connected components left.
    status
        ``found`` or ``empty``.
    removed_small_voxels
        Voxels removed by the minimum component size.
    settings
        The settings used.
    """

    mask: Mask
    n_voxels: int
    volume_ml: float
    n_components: int
    status: BatStatus
    removed_small_voxels: int
    settings: BatSettings

    @property
    def empty(self) -> bool:
        """True when no voxel met the rule."""
        return self.status is BatStatus.empty


def _structure(connectivity: int) -> np.ndarray:
    rank = {6: 1, 18: 2, 26: 3}[connectivity]
    return ndimage.generate_binary_structure(3, rank)


def body_mask(ct: Image, threshold_hu: float = -500.0) -> Mask:
    """The body on a CT: ``HU > threshold`` largest connected component, holes filled per axial slice.

    Lungs and bowel gas, enclosed by the body in each slice, are part of it.
    """
    inside = np.asarray(ct.array) > threshold_hu
    labels, n = ndimage.label(inside)
    if n == 0:
        return _ct_mask(ct, inside)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    body = labels == int(np.argmax(sizes))
    if body.ndim == 3:
        for k in range(body.shape[0]):
            body[k] = ndimage.binary_fill_holes(body[k])
    else:
        body = ndimage.binary_fill_holes(body)
    return _ct_mask(ct, body)


def _ct_mask(ct: Image, array: np.ndarray) -> Mask:
    """A boolean mask on the CT's grid."""
    return Mask(array.astype(bool), ct.spacing, ct.origin, ct.direction)


def _dilate_mm(mask: np.ndarray, spacing_zyx: tuple[float, ...], margin: float) -> np.ndarray:
    """``mask`` grown by ``margin`` mm (Euclidean), computed inside the bounding box plus the margin."""
    if margin <= 0 or not mask.any():
        return mask
    pad = [int(np.ceil(margin / s)) + 1 for s in spacing_zyx]
    idx = np.argwhere(mask)
    lo = np.maximum(idx.min(axis=0) - pad, 0)
    hi = np.minimum(idx.max(axis=0) + pad + 1, mask.shape)
    box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
    dist = ndimage.distance_transform_edt(~mask[box], sampling=spacing_zyx)
    out = mask.copy()
    out[box] |= dist <= margin
    return out


def bat_mask(
    ct: Image,
    pet: Image,
    settings: BatSettings | None = None,
    *,
    tumour: Mask | None = None,
    body: Mask | None = None,
) -> BatResult:
    """Brown adipose tissue mask on the CT grid (rule in the module docstring).

    Parameters
    ----------
    ct
        CT in HU.
    pet
        PET in SUV, on any grid that overlaps the CT (resampled onto the CT grid with
        ``settings.interpolation``; voxels outside the PET get SUV 0).
    settings
        :class:`BatSettings`; defaults to the seed study's rule.
    tumour
        Tumour mask to exclude (any non-zero label), with ``settings.tumour_margin_mm`` around it. On another
        grid than the CT it is resampled (nearest neighbour).
    body
        Body mask for ``settings.restrict_to_body`` (computed from the CT when not given).

    Returns
    -------
    BatResult
        The mask, its voxel count and volume, and ``status`` (``empty`` when nothing meets the rule).
    """
    s = settings or BatSettings()
    suv = resample_to_reference(pet, ct, Interpolation.parse(s.interpolation), default_value=0.0).array
    hu = np.asarray(ct.array)
    lo, hi = s.hu_range
    keep = (suv > s.suv_threshold) & (hu >= lo) & (hu <= hi)
    spacing_zyx = tuple(ct.spacing[::-1])
    if s.restrict_to_body:
        region = body if body is not None else body_mask(ct)
        if body is not None and region.geometry != ct.geometry:
            region = resample_to_reference(region, ct)
        check_geometry(ct, region)
        keep &= region.array.astype(bool)
    if tumour is not None:
        t = tumour if tumour.geometry == ct.geometry else resample_to_reference(tumour, ct)
        check_geometry(ct, t)
        keep &= ~_dilate_mm(t.array.astype(bool), spacing_zyx, s.tumour_margin_mm)
    voxel_ml = float(np.prod(ct.spacing)) / 1000.0
    min_voxels = 0
    if s.min_component_voxels is not None:
        min_voxels = s.min_component_voxels
    if s.min_component_ml is not None:
        min_voxels = max(min_voxels, int(np.ceil(s.min_component_ml / voxel_ml - 1e-9)))
    removed = 0
    n_components = 0
    if keep.any():
        labels, n_components = ndimage.label(keep, structure=_structure(s.connectivity))
        if min_voxels > 1:
            sizes = np.bincount(labels.ravel())
            small = sizes < min_voxels
            small[0] = False
            if small.any():
                drop = small[labels]
                removed = int(drop.sum())
                keep &= ~drop
                n_components -= int(small.sum())
    n = int(np.count_nonzero(keep))
    status = BatStatus.found if n else BatStatus.empty
    logger.debug("BAT: %d voxels (%.2f ml) in %d components; %d removed as small", n, n * voxel_ml,
                 n_components, removed)
    return BatResult(
        mask=_ct_mask(ct, keep),
        n_voxels=n,
        volume_ml=n * voxel_ml,
        n_components=n_components,
        status=status,
        removed_small_voxels=removed,
        settings=s,
    )
