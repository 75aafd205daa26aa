r"""Post-processing of predicted masks, chosen on validation cases as nnU-Net does.

Connected components use 26-connectivity (as the lesion metrics of :mod:`radiogenomics.segment.metrics`).

:class:`PostProcessing` applies, in this order:

1. ``keep``: ``"all"`` components, or only the ``"largest"`` (most voxels; ties: the first in scan order);
2. ``min_volume_ml``: drop components smaller than this volume (:math:`n_{vox}\,\prod_i s_i / 1000` ml);
3. ``fill_holes``: fill cavities not connected to the volume's border (``scipy.ndimage.binary_fill_holes``,
   full 3D connectivity of the background).

:func:`choose_postprocessing` scores the :data:`CANDIDATES` on validation predictions with their reference
masks and keeps the simplest candidate whose mean Dice is within ``tolerance`` of the best (nnU-Net keeps a
step only when it helps on its cross-validation predictions).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import ndimage

from radiogenomics.segment.errors import SegmentationError
from radiogenomics.segment.metrics import dice

__all__ = ["CANDIDATES", "PostProcessing", "choose_postprocessing", "components", "fill_holes", "keep_largest",
           "remove_small"]

logger = logging.getLogger(__name__)

def components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Labels (int32, 0 = background) and count of the 26-connected components of ``mask > 0``."""
    array = np.asarray(mask) > 0
    labels, n = ndimage.label(array, structure=np.ones((3,) * array.ndim, dtype=bool))
    return labels.astype(np.int32, copy=False), int(n)


def keep_largest(mask: np.ndarray) -> np.ndarray:
    """uint8 mask of the largest 26-connected component (all zeros for an empty mask)."""
    labels, n = components(mask)
    if n <= 1:
        return (labels > 0).astype(np.uint8)
    sizes = np.bincount(labels.ravel())[1:]
    return (labels == 1 + int(np.argmax(sizes))).astype(np.uint8)


def remove_small(mask: np.ndarray, spacing: Sequence[float], min_volume_ml: float) -> np.ndarray:
    """uint8 mask without the components smaller than ``min_volume_ml`` (``spacing`` in mm, any order)."""
    labels, n = components(mask)
    if n == 0 or min_volume_ml <= 0:
        return (labels > 0).astype(np.uint8)
    voxel_ml = float(np.prod(spacing)) / 1000.0
    sizes = np.bincount(labels.ravel()) * voxel_ml
    keep = sizes >= min_volume_ml
    keep[0] = False
    return keep[labels].astype(np.uint8)


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """uint8 mask with its enclosed cavities filled (3D)."""
    return ndimage.binary_fill_holes(np.asarray(mask) > 0).astype(np.uint8)


@dataclass(frozen=True)
class PostProcessing:
    """One post-processing recipe (module docstring); the default changes nothing."""

    keep: Literal["all", "largest"] = "all"
    min_volume_ml: float = 0.0
    fill_holes: bool = False

    def __post_init__(self) -> None:
        if self.keep not in ("all", "largest"):
            raise SegmentationError(f"post-processing keep must be 'all' or 'largest', got {self.keep!r}")
        if not np.isfinite(self.min_volume_ml) or self.min_volume_ml < 0:
            raise SegmentationError(f"min_volume_ml must be >= 0, got {self.min_volume_ml}")

    @property
    def name(self) -> str:
        """Short description, e.g. ``largest component + fill holes``."""
        parts = ["largest component" if self.keep == "largest" else ""]
        if self.min_volume_ml > 0:
            parts.append(f"components >= {self.min_volume_ml:g} ml")
        if self.fill_holes:
            parts.append("fill holes")
        return " + ".join(p for p in parts if p) or "none"

    def apply(self, mask: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
        """The post-processed uint8 mask of ``mask`` (voxel ``spacing`` in mm)."""
        out = (np.asarray(mask) > 0).astype(np.uint8)
        if self.keep == "largest":
            out = keep_largest(out)
        if self.min_volume_ml > 0:
            out = remove_small(out, spacing, self.min_volume_ml)
        if self.fill_holes:
            out = fill_holes(out)
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PostProcessing:
        return cls(**(data or {}))


#: candidates of :func:`choose_postprocessing`, simplest first
CANDIDATES: tuple[PostProcessing, ...] = (
    PostProcessing(),
    PostProcessing(fill_holes=True),
    PostProcessing(min_volume_ml=1.0),
    PostProcessing(min_volume_ml=1.0, fill_holes=True),
    PostProcessing(keep="largest"),
    PostProcessing(keep="largest", fill_holes=True),
)


def choose_postprocessing(
    predictions: Sequence[np.ndarray],
    references: Sequence[np.ndarray],
    spacings: Sequence[Sequence[float]],
    tolerance: float = 0.0,
) -> tuple[PostProcessing, list[dict[str, Any]]]:
    """The candidate with the best mean validation Dice (the simplest within ``tolerance`` of the best).

    Returns the choice and one ``{"postprocessing", "mean_dice"}`` record per candidate. With no validation
    case the choice is no post-processing.
    """
    if len(predictions) != len(references) or len(predictions) != len(spacings):
        raise SegmentationError("choose_postprocessing needs one reference and one spacing per prediction")
    if not predictions:
        return PostProcessing(), []
    scores = []
    for candidate in CANDIDATES:
        values = [dice(candidate.apply(p, s), np.asarray(r) > 0)
                  for p, r, s in zip(predictions, references, spacings, strict=True)]
        scores.append(float(np.mean(values)))
    best = max(scores)
    chosen = next(c for c, v in zip(CANDIDATES, scores, strict=True) if v >= best - tolerance)
    records = [{"postprocessing": c.name, "mean_dice": v} for c, v in zip(CANDIDATES, scores, strict=True)]
    logger.info("post-processing chosen on %d validation case(s): %s (mean Dice %s)", len(predictions), chosen.name,
                ", ".join(f"{r['postprocessing']}: {r['mean_dice']:.3f}" for r in records))
    return chosen, records
