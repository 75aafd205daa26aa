r"""Segmentation metrics: overlap, surface distance, lesion-wise detection, results by lesion size.

Masks are binary label maps: a :class:`~radiogenomics.image.Mask` (its spacing is used, and two masks must
share their grid) or a NumPy array indexed ``[z, y, x]`` with ``spacing`` given in ``(x, y, z)`` order in mm
(the order of :attr:`Mask.spacing`); every voxel with a label > 0 is foreground (or ``== label`` when one
is named). :math:`P` is the predicted foreground, :math:`R` the reference.

Overlap
    :math:`\mathrm{Dice} = 2|P \cap R| / (|P| + |R|)`, :math:`\mathrm{IoU} = |P \cap R| / |P \cup R|`; both
    are 1 when :math:`P` and :math:`R` are empty (MONAI's ``ignore_empty=False`` convention).
Surface
    The surface :math:`\partial X` of a mask is its set of foreground voxels with at least one background
    face neighbour: :math:`\partial X = X \setminus \mathrm{erode}(X)` with the 6-neighbourhood cross and
    background beyond the array border (what MONAI's ``get_mask_edges`` computes). The distances of
    :math:`\partial P` to :math:`\partial R` are :math:`d_{P\to R}(p) = \min_{r \in \partial R} \lVert
    (p - r) \odot s \rVert_2` for voxel index vectors and spacing :math:`s` (exact, by a KD-tree).
Hausdorff 95
    :math:`\mathrm{HD95} = \max\bigl(q_{95}(d_{P\to R}), q_{95}(d_{R\to P})\bigr)` with :math:`q_{95}` the
    95th percentile with linear interpolation (``numpy.percentile``; MONAI's ``HausdorffDistanceMetric(
    percentile=95)``). 0 when both masks are empty, :math:`+\infty` when exactly one is.
Surface Dice at tolerance :math:`\tau` (normalised surface distance)
    :math:`\bigl(|\{p \in \partial P: d_{P\to R}(p) \le \tau\}| + |\{r \in \partial R: d_{R\to P}(r) \le \tau\}|\bigr)
    / (|\partial P| + |\partial R|)` — MONAI's ``SurfaceDiceMetric`` with ``use_subvoxels=False``; 1 when both
    masks are empty.
Lesions
    Connected components of :math:`R` (default: 26-connectivity) are the reference lesions. A lesion is
    *detected* when at least one predicted voxel overlaps it; its lesion Dice is the Dice between the lesion
    and the union of the predicted components that overlap it. A predicted component touching no reference
    lesion is a false positive. The lesion diameter is the maximum 3D (Feret) diameter of the voxelised
    lesion — the largest distance between two corners of its voxels, in physical space — and its size class
    is ``"<2cm"`` when that diameter is below ``size_threshold_mm`` (20 mm), else ``">=2cm"``.

Tables (tidy, fixed columns): :data:`CASE_COLUMNS` (one row per case), :data:`LESION_COLUMNS` (one row per
reference lesion) and :data:`SIZE_COLUMNS` (one row per size class, always both classes).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.spatial import ConvexHull, KDTree, QhullError
from scipy.spatial.distance import pdist

from radiogenomics.errors import GeometryMismatchError, InvalidMaskError
from radiogenomics.image import Mask

__all__ = [
    "CASE_COLUMNS",
    "LESION_COLUMNS",
    "METHOD_COLUMNS",
    "SIZE_CLASSES",
    "SIZE_COLUMNS",
    "SegmentationEvaluation",
    "case_metrics",
    "dice",
    "evaluate_segmentations",
    "hd95",
    "iou",
    "lesion_diameter",
    "lesion_table",
    "metrics_by_size",
    "summarise_cases",
    "surface_dice",
    "surface_distances",
]

logger = logging.getLogger(__name__)

CASE_COLUMNS = (
    "case_id", "dice", "iou", "hd95_mm", "surface_dice", "tolerance_mm", "reference_ml", "predicted_ml",
    "n_lesions", "n_detected", "n_false_positive",
)
LESION_COLUMNS = (
    "case_id", "lesion", "volume_ml", "diameter_mm", "size_class", "detected", "dice", "n_pred_components",
)
SIZE_COLUMNS = ("size_class", "n_lesions", "n_detected", "sensitivity", "dice_mean", "dice_median")
SIZE_CLASSES = ("<2cm", ">=2cm")

ArrayOrMask = np.ndarray | Mask


def _binary(volume: ArrayOrMask, label: int | None) -> np.ndarray:
    array = volume.array if isinstance(volume, Mask) else np.asarray(volume)
    if array.ndim not in (2, 3):
        raise InvalidMaskError(f"masks must be 2D or 3D, got shape {array.shape}")
    if array.dtype != bool and not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise InvalidMaskError(f"mask voxels must be labels, got dtype {array.dtype}")
    return array == label if label is not None else array > 0


def _pair(
    prediction: ArrayOrMask, reference: ArrayOrMask, spacing: Sequence[float] | None, label: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binary arrays of both masks and the spacing in *array* axis order."""
    pred, ref = _binary(prediction, label), _binary(reference, label)
    if pred.shape != ref.shape:
        raise GeometryMismatchError(f"prediction shape {pred.shape} differs from reference shape {ref.shape}")
    if isinstance(prediction, Mask) and isinstance(reference, Mask):
        a, b = prediction.geometry, reference.geometry
        if not (np.allclose(a.spacing, b.spacing, rtol=1e-5) and np.allclose(a.origin, b.origin, atol=1e-3)
                and np.allclose(a.direction, b.direction, atol=1e-5)):
            raise GeometryMismatchError(
                f"prediction and reference are on different grids:\n  {a.describe()}\n  {b.describe()}"
            )
    if spacing is None:
        spacing = next((m.spacing for m in (reference, prediction) if isinstance(m, Mask)), (1.0,) * pred.ndim)
    if len(spacing) != pred.ndim:
        raise GeometryMismatchError(f"spacing {tuple(spacing)} does not fit a {pred.ndim}D mask")
    return pred, ref, np.asarray(spacing, dtype=np.float64)[::-1]


def dice(prediction: ArrayOrMask, reference: ArrayOrMask, label: int | None = None) -> float:
    r"""Dice similarity coefficient :math:`2|P \cap R| / (|P| + |R|)` (1 for two empty masks)."""
    pred, ref, _ = _pair(prediction, reference, None, label)
    total = int(pred.sum()) + int(ref.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(pred, ref).sum()) / total


def iou(prediction: ArrayOrMask, reference: ArrayOrMask, label: int | None = None) -> float:
    r"""Intersection over union (Jaccard) :math:`|P \cap R| / |P \cup R|` (1 for two empty masks)."""
    pred, ref, _ = _pair(prediction, reference, None, label)
    union = int(np.logical_or(pred, ref).sum())
    return 1.0 if union == 0 else int(np.logical_and(pred, ref).sum()) / union


def _edges(pred: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Surface voxels of both masks (as index arrays in the full grid) — erosion on the union's bounding box
    padded by one background voxel, which equals erosion of the full array with background beyond its border."""
    union = pred | ref
    if not union.any():
        empty = np.zeros((0, pred.ndim), dtype=np.int64)
        return empty, empty, np.zeros(pred.ndim, dtype=np.int64)
    idx = np.argwhere(union)
    lo, hi = idx.min(axis=0), idx.max(axis=0) + 1
    box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    out = []
    for m in (pred, ref):
        padded = np.pad(m[box], 1)
        edge = padded & ~ndimage.binary_erosion(padded)
        out.append(np.argwhere(edge) - 1 + lo)
    return out[0], out[1], lo


def surface_distances(
    prediction: ArrayOrMask,
    reference: ArrayOrMask,
    spacing: Sequence[float] | None = None,
    label: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Distances (mm) from each surface voxel of ``prediction`` to the surface of ``reference`` and back.

    Returns
    -------
    (d_pred_to_ref, d_ref_to_pred)
        float64 arrays, one value per surface voxel of the prediction (resp. reference); :math:`+\infty` for
        every voxel when the other surface is empty.
    """
    pred, ref, s = _pair(prediction, reference, spacing, label)
    edge_p, edge_r, _ = _edges(pred, ref)
    xp, xr = edge_p * s, edge_r * s

    def directed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if len(a) == 0:
            return np.zeros(0, dtype=np.float64)
        if len(b) == 0:
            return np.full(len(a), np.inf)
        return np.asarray(KDTree(b).query(a, k=1)[0], dtype=np.float64)

    return directed(xp, xr), directed(xr, xp)


def hd95(
    prediction: ArrayOrMask,
    reference: ArrayOrMask,
    spacing: Sequence[float] | None = None,
    percentile: float = 95.0,
    label: int | None = None,
) -> float:
    r"""Symmetric percentile Hausdorff distance (mm), :math:`\max(q_{95}(d_{P\to R}), q_{95}(d_{R\to P}))`.

    0 when both masks are empty; :math:`+\infty` when exactly one is (no finite distance exists).
    """
    if not 0.0 <= percentile <= 100.0:
        raise ValueError(f"percentile must lie in [0, 100], got {percentile}")
    d_pr, d_rp = surface_distances(prediction, reference, spacing, label)
    if len(d_pr) == 0 and len(d_rp) == 0:
        return 0.0
    if len(d_pr) == 0 or len(d_rp) == 0:
        return float("inf")
    return float(max(np.percentile(d_pr, percentile), np.percentile(d_rp, percentile)))


def surface_dice(
    prediction: ArrayOrMask,
    reference: ArrayOrMask,
    tolerance_mm: float,
    spacing: Sequence[float] | None = None,
    label: int | None = None,
) -> float:
    r"""Surface Dice (normalised surface distance) at tolerance :math:`\tau` = ``tolerance_mm`` (module docstring)."""
    if not np.isfinite(tolerance_mm) or tolerance_mm < 0:
        raise ValueError(f"tolerance_mm must be finite and >= 0, got {tolerance_mm}")
    d_pr, d_rp = surface_distances(prediction, reference, spacing, label)
    total = len(d_pr) + len(d_rp)
    if total == 0:
        return 1.0
    return float((np.count_nonzero(d_pr <= tolerance_mm) + np.count_nonzero(d_rp <= tolerance_mm)) / total)


def _physical(points: np.ndarray, spacing_xyz: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Array-order index vectors (possibly fractional) → physical offsets in mm (``D diag(s) i``)."""
    return (points[:, ::-1] * spacing_xyz) @ direction.T


def lesion_diameter(
    lesion: np.ndarray, spacing: Sequence[float] = (1.0, 1.0, 1.0), direction: Sequence[float] | None = None
) -> float:
    r"""Maximum 3D (Feret) diameter (mm) of a voxelised lesion: the largest distance between two corners of
    its voxels, :math:`\max_{a,b} \lVert D\,\mathrm{diag}(s)(a - b)\rVert` over voxel corners ``a, b``.

    A box of :math:`n_x \times n_y \times n_z` voxels has diameter :math:`\sqrt{(n_x s_x)^2 + (n_y s_y)^2 +
    (n_z s_z)^2}`.
    """
    lesion = np.asarray(lesion, dtype=bool)
    nd = lesion.ndim
    if not lesion.any():
        return 0.0
    s = np.asarray(spacing, dtype=np.float64)[:nd]
    d = np.eye(nd) if direction is None else np.asarray(direction, dtype=np.float64).reshape(nd, nd)
    surface = lesion & ~ndimage.binary_erosion(np.pad(lesion, 1))[(slice(1, -1),) * nd]
    centres = np.argwhere(surface).astype(np.float64)
    offsets = np.array(np.meshgrid(*([(-0.5, 0.5)] * nd), indexing="ij")).reshape(nd, -1).T
    corners = np.unique((centres[:, None, :] + offsets[None]).reshape(-1, nd), axis=0)
    points = _physical(corners, s, d)
    if len(points) > nd + 1:
        try:
            points = points[ConvexHull(points).vertices]
        except QhullError:  # degenerate (flat) point sets: keep all points, pdist is exact anyway
            logger.debug("convex hull failed for a flat lesion; using all %d corners", len(points))
    return float(pdist(points).max()) if len(points) > 1 else 0.0


def _size_class(diameter_mm: float, threshold_mm: float) -> str:
    return SIZE_CLASSES[0] if diameter_mm < threshold_mm else SIZE_CLASSES[1]


def _structure(ndim: int, connectivity: int) -> np.ndarray:
    if not 1 <= connectivity <= ndim:
        raise ValueError(f"connectivity must lie in 1..{ndim}, got {connectivity}")
    return ndimage.generate_binary_structure(ndim, connectivity)


def _spacing_direction(reference: ArrayOrMask, spacing: Sequence[float] | None, ndim: int
                       ) -> tuple[tuple[float, ...], tuple[float, ...] | None]:
    if spacing is not None:
        return tuple(float(v) for v in spacing), None
    if isinstance(reference, Mask):
        return reference.spacing, reference.direction
    return (1.0,) * ndim, None


def lesion_table(
    prediction: ArrayOrMask,
    reference: ArrayOrMask,
    case_id: str = "",
    spacing: Sequence[float] | None = None,
    connectivity: int | None = None,
    size_threshold_mm: float = 20.0,
    label: int | None = None,
) -> pd.DataFrame:
    """One row per reference lesion (columns :data:`LESION_COLUMNS`), see the module docstring.

    ``connectivity`` is 1 (faces), 2 (faces + edges) or 3 (26-neighbourhood in 3D; default: full).
    """
    pred, ref, _ = _pair(prediction, reference, spacing, label)
    sp, direction = _spacing_direction(reference, spacing, ref.ndim)
    structure = _structure(ref.ndim, connectivity or ref.ndim)
    ref_lab, n_ref = ndimage.label(ref, structure)
    pred_lab, _ = ndimage.label(pred, structure)
    voxel_ml = float(np.prod(sp)) / 1000.0
    rows = []
    objects = ndimage.find_objects(ref_lab)
    for k in range(1, n_ref + 1):
        box = objects[k - 1]
        lesion = ref_lab == k
        hits = np.unique(pred_lab[lesion])
        hits = hits[hits > 0]
        matched = np.isin(pred_lab, hits) if len(hits) else np.zeros_like(pred)
        n_lesion, n_matched = int(lesion.sum()), int(matched.sum())
        lesion_dice = 2.0 * int(np.logical_and(lesion, matched).sum()) / (n_lesion + n_matched)
        diameter = lesion_diameter(lesion[box], sp, direction)
        rows.append({
            "case_id": str(case_id), "lesion": k, "volume_ml": n_lesion * voxel_ml, "diameter_mm": diameter,
            "size_class": _size_class(diameter, size_threshold_mm), "detected": bool(len(hits)),
            "dice": lesion_dice, "n_pred_components": len(hits),
        })
    table = pd.DataFrame(rows, columns=list(LESION_COLUMNS))
    return table.astype({"lesion": "int64", "volume_ml": "float64", "diameter_mm": "float64", "detected": bool,
                         "dice": "float64", "n_pred_components": "int64"})


def case_metrics(
    prediction: ArrayOrMask,
    reference: ArrayOrMask,
    case_id: str = "",
    spacing: Sequence[float] | None = None,
    tolerance_mm: float = 2.0,
    connectivity: int | None = None,
    label: int | None = None,
) -> dict[str, object]:
    """All case-level metrics of one prediction (a row of :data:`CASE_COLUMNS`)."""
    pred, ref, s = _pair(prediction, reference, spacing, label)
    sp = tuple(s[::-1].tolist())
    structure = _structure(ref.ndim, connectivity or ref.ndim)
    ref_lab, n_ref = ndimage.label(ref, structure)
    pred_lab, n_pred = ndimage.label(pred, structure)
    touching = set(np.unique(pred_lab[ref]).tolist()) - {0}
    detected = len(set(np.unique(ref_lab[pred]).tolist()) - {0})
    voxel_ml = float(np.prod(sp)) / 1000.0
    return {
        "case_id": str(case_id),
        "dice": dice(pred, ref),
        "iou": iou(pred, ref),
        "hd95_mm": hd95(pred, ref, sp),
        "surface_dice": surface_dice(pred, ref, tolerance_mm, sp),
        "tolerance_mm": float(tolerance_mm),
        "reference_ml": int(ref.sum()) * voxel_ml,
        "predicted_ml": int(pred.sum()) * voxel_ml,
        "n_lesions": int(n_ref),
        "n_detected": int(detected),
        "n_false_positive": int(n_pred - len(touching)),
    }


def metrics_by_size(lesions: pd.DataFrame) -> pd.DataFrame:
    """Lesion-wise results per size class (columns :data:`SIZE_COLUMNS`; both classes, even when empty).

    ``sensitivity`` = detected / lesions; ``dice_mean`` / ``dice_median`` over the class's lesions (NaN for a
    class without lesions: there is nothing to average).
    """
    missing = {"size_class", "detected", "dice"} - set(lesions.columns)
    if missing:
        raise ValueError(f"lesion table lacks column(s) {sorted(missing)}; expected {LESION_COLUMNS}")
    rows = []
    for cls in SIZE_CLASSES:
        sub = lesions[lesions["size_class"] == cls]
        n = len(sub)
        n_det = int(sub["detected"].sum()) if n else 0
        rows.append({
            "size_class": cls, "n_lesions": n, "n_detected": n_det,
            "sensitivity": n_det / n if n else float("nan"),
            "dice_mean": float(sub["dice"].mean()) if n else float("nan"),
            "dice_median": float(sub["dice"].median()) if n else float("nan"),
        })
    return pd.DataFrame(rows, columns=list(SIZE_COLUMNS)).astype({"n_lesions": "int64", "n_detected": "int64"})


@dataclass(frozen=True)
class SegmentationEvaluation:
    """Result of :func:`evaluate_segmentations`: ``cases`` (:data:`CASE_COLUMNS`), ``lesions``
    (:data:`LESION_COLUMNS`) and ``by_size`` (:data:`SIZE_COLUMNS`)."""

    cases: pd.DataFrame
    lesions: pd.DataFrame
    by_size: pd.DataFrame

    def summary(self, method: str) -> dict[str, object]:
        """One :data:`METHOD_COLUMNS` row: case counts, Dice mean/SD/median, HD95 median (finite cases),
        false-positive components median/mean, of ``method``."""
        return summarise_cases(self.cases, method)


#: columns of the table comparing methods (``segment evaluate --baseline``, ``bench_segment.py``)
METHOD_COLUMNS = ("method", "n_cases", "dice_mean", "dice_sd", "dice_median", "dice_min", "hd95_median_mm",
                  "n_empty", "false_positives_median", "false_positives_mean")


def summarise_cases(cases: pd.DataFrame, method: str) -> dict[str, object]:
    """Summary of a ``cases`` table (:data:`CASE_COLUMNS`) as one :data:`METHOD_COLUMNS` row.

    Dice SD has ddof 1 (NaN for one case); the HD95 median is over the cases where it is finite (a
    prediction or reference that is empty has an infinite HD95), ``n_empty`` counts empty predictions.
    """
    d = cases["dice"].astype(float)
    hd = cases["hd95_mm"].astype(float)
    fp = cases["n_false_positive"].astype(float)
    finite = hd[np.isfinite(hd)]
    return {"method": method, "n_cases": len(cases), "dice_mean": float(d.mean()),
            "dice_sd": float(d.std(ddof=1)) if len(d) > 1 else float("nan"), "dice_median": float(d.median()),
            "dice_min": float(d.min()), "hd95_median_mm": float(finite.median()) if len(finite) else float("inf"),
            "n_empty": int((cases["predicted_ml"].astype(float) == 0).sum()),
            "false_positives_median": float(fp.median()), "false_positives_mean": float(fp.mean())}


def evaluate_segmentations(
    pairs: Iterable[tuple[str, ArrayOrMask, ArrayOrMask]],
    tolerance_mm: float = 2.0,
    size_threshold_mm: float = 20.0,
    connectivity: int | None = None,
) -> SegmentationEvaluation:
    """Evaluate ``(case_id, prediction, reference)`` triples: case table, lesion table and results by size."""
    cases, lesions = [], []
    for case_id, prediction, reference in pairs:
        cases.append(case_metrics(prediction, reference, case_id, tolerance_mm=tolerance_mm,
                                  connectivity=connectivity))
        lesions.append(lesion_table(prediction, reference, case_id, connectivity=connectivity,
                                    size_threshold_mm=size_threshold_mm))
    case_df = pd.DataFrame(cases, columns=list(CASE_COLUMNS))
    lesion_df = (pd.concat(lesions, ignore_index=True) if lesions
                 else pd.DataFrame(columns=list(LESION_COLUMNS)))
    return SegmentationEvaluation(case_df, lesion_df, metrics_by_size(lesion_df))
