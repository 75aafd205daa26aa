r"""PET threshold segmentation, the baselines every PET reader knows; no training.

For one case (:meth:`ThresholdSegmenter.segment`): the PET (SUV) is interpolated linearly onto the output grid
(``reference``, default the CT's); the search region is the whole volume, or a seed region / coarse mask
(``within``) dilated by ``margin_mm``; then

- ``suv``: :math:`\{v : SUV(v) \ge t\}`, :math:`t` = ``suv`` (2.5 by default);
- ``suvmax_fraction``: :math:`t = f \cdot SUV_{max}`, :math:`f` = ``fraction`` (0.41 by default), SUVmax the
  maximum of the PET on its own grid inside the search region (the clinical definition, not blurred by the
  interpolation);
- ``percist``: :math:`t = 1.5\,\bar{s}_{liver} + 2\,\sigma_{liver}` (PERCIST 1.0's threshold of a measurable
  lesion; mean and SD, ddof 0, of the PET voxels of the liver ROI on the PET grid);

limited to the search region; of its 26-connected components ``keep`` keeps the one holding the hottest
voxel of the output grid inside the region (``hottest``), the ``largest``, or ``all``; ``fill_holes`` fills the
cavities of the kept region (a necrotic core below the threshold belongs to the lesion).

A region without any voxel above the threshold gives an empty mask (logged), never an error: a reader would
see "no lesion". A case without a PET, a liver ROI that is empty or outside the PET, or a seed region of a
grid that cannot be matched raise :class:`~radiogenomics.segment.SegmentationError` and the cohort step
records the case as failed.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
from scipy import ndimage

from radiogenomics import __version__
from radiogenomics.image import Image, Mask
from radiogenomics.io.manifest import Manifest
from radiogenomics.preprocess.case import CaseLoader
from radiogenomics.preprocess.regrid import resample_to_reference
from radiogenomics.segment.data import mask_on, read_label, read_modality
from radiogenomics.segment.errors import SegmentationError
from radiogenomics.segment.postprocess import components, fill_holes, keep_largest
from radiogenomics.segment.settings import (
    META_FILE,
    Method,
    ThresholdKeep,
    ThresholdRule,
    ThresholdSettings,
    read_model_meta,
)

__all__ = ["ThresholdSegmenter", "threshold_mask"]

logger = logging.getLogger(__name__)


def _dilate(region: np.ndarray, spacing_zyx: tuple[float, ...], margin_mm: float) -> np.ndarray:
    """Voxels within ``margin_mm`` (Euclidean, physical) of ``region``."""
    if margin_mm <= 0 or not region.any():
        return region
    distance = ndimage.distance_transform_edt(~region, sampling=spacing_zyx)
    return distance <= margin_mm


def threshold_mask(
    suv: np.ndarray,
    threshold: float,
    region: np.ndarray | None = None,
    keep: ThresholdKeep | str = ThresholdKeep.hottest,
    holes: bool = True,
) -> np.ndarray:
    """uint8 mask of ``suv >= threshold`` inside ``region`` (all voxels when ``None``), components kept by
    ``keep`` (module docstring), holes filled when ``holes``."""
    keep = ThresholdKeep.parse(keep)
    values = np.asarray(suv, dtype=np.float64)
    inside = np.ones(values.shape, bool) if region is None else np.asarray(region, bool)
    if inside.shape != values.shape:
        raise SegmentationError(f"search region {inside.shape} and PET {values.shape} differ in shape")
    above = inside & (values >= threshold)
    if not above.any():
        return np.zeros(values.shape, np.uint8)
    if keep is not ThresholdKeep.all:
        labels, n = components(above)
        if n > 1:
            if keep is ThresholdKeep.largest:
                above = keep_largest(above) > 0
            else:
                above = labels == labels.flat[int(np.argmax(np.where(above, values, -np.inf)))]
    return fill_holes(above) if holes else above.astype(np.uint8)


class ThresholdSegmenter:
    """A PET threshold rule used like a trained segmenter (``segment train|predict``, ``auto:<modeldir>``).

    Parameters
    ----------
    settings
        :class:`~radiogenomics.segment.settings.ThresholdSettings` (defaults: 41 % of SUVmax).
    """

    device_ = "cpu"

    def __init__(self, settings: ThresholdSettings | None = None):
        self.settings = settings if settings is not None else ThresholdSettings()

    def fit(self, manifest: Manifest | None = None) -> ThresholdSegmenter:
        """Nothing to learn: returns ``self`` (kept so that every method trains the same way)."""
        return self

    def threshold_for(self, pet: Image, region: np.ndarray | None, liver: Mask | None) -> float:
        """The SUV threshold of one case (``region`` on the PET grid; ``liver`` for ``percist``)."""
        s = self.settings
        if s.rule is ThresholdRule.suv:
            return float(s.suv)
        if s.rule is ThresholdRule.suvmax_fraction:
            values = pet.array if region is None else pet.array[region]
            if values.size == 0:
                raise SegmentationError("the search region holds no PET voxel")
            return float(s.fraction * np.max(values))
        if liver is None:
            raise SegmentationError("rule 'percist' needs a liver ROI")
        inside = resample_to_reference(liver, pet).array > 0
        if not inside.any():
            raise SegmentationError("the liver ROI holds no voxel of the PET grid")
        values = pet.array[inside].astype(np.float64)
        return float(1.5 * values.mean() + 2.0 * values.std())

    def segment(self, pet: Image, grid: Image | Mask | None = None, within: Mask | None = None,
                liver: Mask | None = None) -> Mask:
        """The mask of one case on ``grid``'s grid (default the PET's): module docstring."""
        s = self.settings
        out = grid if grid is not None else pet
        region_pet = None if within is None else _dilate(resample_to_reference(within, pet).array > 0,
                                                          tuple(pet.spacing)[::-1], s.margin_mm)
        threshold = self.threshold_for(pet, region_pet, liver)
        suv = resample_to_reference(pet, out).array
        region = None if within is None else _dilate(resample_to_reference(within, out).array > 0,
                                                      tuple(out.spacing)[::-1], s.margin_mm)
        mask = threshold_mask(suv, threshold, region, s.keep, s.fill_holes)
        if not mask.any():
            logger.info("no voxel reaches SUV %.2f (%s): empty mask", threshold, s.label)
        return mask_on(out, mask)

    def predict_case(self, manifest: Manifest, row: int) -> Mask:
        """The threshold mask of manifest row ``row`` on its reference grid (the CT's when it has one)."""
        s = self.settings
        loader = CaseLoader.from_manifest(manifest, row)
        pet = read_modality(manifest, row, s.channels[0], loader)
        grid_name = s.reference or ("ct" if "ct" in manifest.columns and manifest.path(row, "ct") is not None
                                    else s.channels[0])
        grid = pet if grid_name == s.channels[0] else read_modality(manifest, row, grid_name, loader)
        within = None if s.within is None else read_label(manifest, row, s.within, grid_name, loader)
        liver = None if s.liver_column is None else read_label(manifest, row, s.liver_column, grid_name, loader)
        return self.segment(pet, grid, within, liver)

    def save(self, modeldir: str | Path) -> Path:
        """Write ``model.json`` (method and settings) into ``modeldir``."""
        out = Path(modeldir)
        out.mkdir(parents=True, exist_ok=True)
        meta = {"method": Method.threshold.value, "radiogenomics_version": __version__,
                "settings": self.settings.model_dump(mode="json"), "rule": self.settings.label}
        (out / META_FILE).write_text(json.dumps(meta, indent=2))
        return out

    @classmethod
    def load(cls, modeldir: str | Path, device: object = None) -> ThresholdSegmenter:
        """Read a folder written by :meth:`save` (``device`` is accepted and unused: no network)."""
        _, settings = read_model_meta(modeldir, Method.threshold)
        return cls(settings)  # type: ignore[arg-type]
