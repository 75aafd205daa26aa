r"""Loading a manifest case as network input: channels on one reference grid, normalised, and its label.

Every channel named in the settings is read from its manifest column by the case's
:class:`~radiogenomics.preprocess.case.CaseLoader` (an image file, or a DICOM folder — PET converted to SUV; a
PET file must already hold SUV) and resampled onto the grid of the reference modality (linear interpolation, 0 outside
the channel's extent); the label (voxels > 0, or ``== n`` for a ``file#n`` cell) is resampled with nearest
neighbour. Arrays are indexed ``[channel, z, y, x]``.

With a working ``spacing`` the channels are instead resampled (linearly, from each channel's own image) onto
:func:`~radiogenomics.preprocess.regrid.grid_at_spacing` of the reference — the same physical box at that spacing
— and the label becomes the voxels whose linearly interpolated 0/1 label is ≥ 0.5 (a partial-volume-aware
down-sampling, where nearest neighbour would shift borders by up to half a coarse voxel).

Normalisation (:func:`normalise_channel`), per modality:

- ``ct``: :math:`(\min(\max(HU, lo), hi) - lo) / (hi - lo) \cdot 2 - 1`, HU window ``[lo, hi]`` onto ``[-1, 1]``;
- ``pet``: :math:`\min(\max(SUV, 0), SUV_{max}) / SUV_{scale}`;
- anything else: :math:`(x - \bar{x}) / s_x` over the volume (1 when :math:`s_x = 0`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from radiogenomics.errors import NonFiniteVoxelError, RadiogenomicsError
from radiogenomics.image import Geometry, Image, Mask
from radiogenomics.io.manifest import Manifest
from radiogenomics.preprocess.case import CaseLoader, original_errors
from radiogenomics.preprocess.regrid import grid_at_spacing, resample_to_reference
from radiogenomics.segment.errors import SegmentationError

__all__ = [
    "FAILURE_COLUMNS", "CaseVolumes", "iter_cases", "load_case", "mask_on", "normalise_channel", "read_label",
    "read_modality",
]

#: columns of the table of cases that could not be read
FAILURE_COLUMNS = ("case_id", "error_type", "error")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseVolumes:
    """One case ready for a network.

    Attributes
    ----------
    case_id
        The manifest's case id.
    reference
        The reference image (masks are written on its grid).
    channels
        float32 ``[channel, z, y, x]`` (normalised when loaded with ``normalise``) on :attr:`grid`.
    label
        uint8 ``[z, y, x]`` 0/1 on :attr:`grid`, or ``None`` when no label was asked for.
    grid
        Grid of ``channels`` and ``label``: the reference's, or the working grid of a ``spacing``.
    """

    case_id: str
    reference: Image
    channels: np.ndarray
    label: np.ndarray | None
    grid: Geometry


def read_modality(manifest: Manifest, row: int, modality: str, loader: CaseLoader | None = None) -> Image:
    """The image of ``modality`` in ``row`` (a file, or a DICOM series folder; PET DICOM becomes SUV; a PET file
    must hold SUV), read by the case's :class:`~radiogenomics.preprocess.case.CaseLoader`."""
    case_id = manifest.cell(row, "case_id")
    if manifest.path(row, modality) is None:
        raise SegmentationError(f"case {case_id!r}: the {modality!r} cell is empty (columns: {manifest.columns})")
    with original_errors():
        return (loader or CaseLoader.from_manifest(manifest, row)).native(modality)


def read_label(manifest: Manifest, row: int, column: str, reference: str | None = None,
               loader: CaseLoader | None = None) -> Mask:
    """The 0/1 label of ``column`` in ``row`` (voxels > 0; ``== n`` for a ``file#n`` cell; a DICOM SEG or
    RTSTRUCT is rasterised on the ``reference`` modality's image), on its own grid."""
    case_id = manifest.cell(row, "case_id")
    if str(manifest.cell(row, column)).startswith("auto:"):
        raise SegmentationError(f"case {case_id!r}: {column!r} is 'auto:' (a predicted mask) and cannot be a label")
    if manifest.path(row, column) is None:
        raise SegmentationError(f"case {case_id!r}: the label cell {column!r} is empty")
    loader = loader or CaseLoader.from_manifest(manifest, row)
    grid = reference or next((m for m in manifest.modalities if loader.has(m)), "ct")
    with original_errors():
        mask = loader.native_mask(column, grid, check=False)
    return mask.with_array((mask.array > 0).astype(np.uint8))


def normalise_channel(
    array: np.ndarray,
    modality: str,
    ct_window: tuple[float, float] = (-1000.0, 1000.0),
    pet_scale_suv: float = 5.0,
    pet_max_suv: float = 30.0,
) -> np.ndarray:
    """Normalised float32 copy of one channel (formulas in the module docstring)."""
    x = np.asarray(array, dtype=np.float64)
    if modality == "ct":
        lo, hi = ct_window
        out = (np.clip(x, lo, hi) - lo) / (hi - lo) * 2.0 - 1.0
    elif modality == "pet":
        out = np.clip(x, 0.0, pet_max_suv) / pet_scale_suv
    else:
        sd = float(x.std())
        out = (x - float(x.mean())) / (sd if sd > 0 else 1.0)
    return out.astype(np.float32)


def load_case(
    manifest: Manifest,
    row: int,
    channels: Sequence[str],
    reference: str,
    mask_column: str | None = None,
    ct_window: tuple[float, float] = (-1000.0, 1000.0),
    pet_scale_suv: float = 5.0,
    pet_max_suv: float = 30.0,
    normalise: bool = True,
    spacing: Sequence[float] | None = None,
) -> CaseVolumes:
    """Read row ``row``: the ``channels`` on the ``reference`` modality's grid (and the label of ``mask_column``).

    With ``normalise=False`` the channels keep their values (HU, SUV, …) — what nnU-Net is given. With a
    ``spacing`` (x, y, z mm) everything is on the working grid of that spacing (module docstring).
    """
    case_id = manifest.cell(row, "case_id")
    missing = [c for c in channels if c not in manifest.columns]
    if missing:
        raise SegmentationError(f"manifest has no column(s) {missing} needed as channels; it has {manifest.columns}")
    loader = CaseLoader.from_manifest(manifest, row)
    ref = read_modality(manifest, row, reference, loader)
    grid = ref.geometry if spacing is None else grid_at_spacing(ref, tuple(float(v) for v in spacing))
    arrays = []
    for modality in channels:
        image = ref if modality == reference else read_modality(manifest, row, modality, loader)
        image = resample_to_reference(image, grid)
        values = image.array
        bad = int(np.count_nonzero(~np.isfinite(values)))
        if bad:
            raise NonFiniteVoxelError(f"case {case_id!r}: the {modality!r} channel has {bad} NaN or infinite voxel(s) "
                                      f"on the {reference} grid; a network would turn them into a silent empty mask")
        if normalise:
            values = normalise_channel(values, modality, ct_window, pet_scale_suv, pet_max_suv)
        arrays.append(np.asarray(values, dtype=np.float32))
    label = None
    if mask_column is not None:
        if mask_column not in manifest.columns:
            raise SegmentationError(f"manifest has no label column {mask_column!r}; it has {manifest.columns}")
        mask = read_label(manifest, row, mask_column, reference, loader)
        if spacing is None:
            label = (np.asarray(resample_to_reference(mask, grid).array) > 0).astype(np.uint8)
        else:
            fraction = resample_to_reference(Image(mask.array.astype(np.float32), mask.spacing, mask.origin,
                                                   mask.direction), grid)
            label = (fraction.array >= 0.5).astype(np.uint8)
    logger.debug("loaded case %s: channels %s on the %s grid %s", case_id, list(channels), reference, grid.size)
    return CaseVolumes(case_id, ref, np.stack(arrays), label, grid)


def iter_cases(
    manifest: Manifest,
    channels: Sequence[str],
    reference: str,
    mask_column: str | None,
    failures: list[dict[str, str]],
    purpose: str,
    **normalisation: object,
) -> Iterator[CaseVolumes]:
    """:func:`load_case` of every manifest row, in order; a row that cannot be read is logged ("left out of
    ``purpose``"), appended to ``failures`` (one :data:`FAILURE_COLUMNS` record) and skipped."""
    for row in range(len(manifest.table)):
        try:
            case = load_case(manifest, row, channels, reference, mask_column, **normalisation)  # type: ignore[arg-type]
        except RadiogenomicsError as exc:
            case_id = manifest.cell(row, "case_id")
            logger.warning("case %s left out of %s: %s", case_id, purpose, exc)
            failures.append({"case_id": case_id, "error_type": type(exc).__name__, "error": str(exc)})
            continue
        yield case


def mask_on(reference: Image, labels: np.ndarray) -> Mask:
    """A uint8 label map of ``labels`` on ``reference``'s grid."""
    return Mask(np.asarray(labels).astype(np.uint8), reference.spacing, reference.origin, reference.direction)
