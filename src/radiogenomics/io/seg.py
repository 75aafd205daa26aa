r"""DICOM Segmentation (SEG) objects: one :class:`~radiogenomics.image.Mask` per segment.

The SEG is parsed and its frames decoded by `highdicom <https://highdicom.readthedocs.io>`_
(``segread`` and ``Segmentation.get_volume``), which places every frame by its
``ImagePositionPatient`` on a regular 3D grid (frames absent from the file are empty planes; positions
are matched with highdicom's tolerances, so frames written with reduced precision still land on their
plane). That grid has the SEG's own pixel spacing, plane orientation and slice spacing.

Onto a reference image grid
    With a reference image, each segment is resampled onto its grid with nearest-neighbour
    interpolation (SimpleITK, identity transform): reference voxel centre :math:`\mathbf x` takes the
    value of the SEG voxel whose centre is nearest to :math:`\mathbf x`, 0 outside the SEG grid. When the
    SEG grid and the reference grid coincide within :func:`~radiogenomics.image.check_geometry`'s
    tolerance no resampling happens. Segments are packed as bits of one integer volume (64 per pass), so
    overlapping segments stay independent.
Values
    BINARY segments are 0/1. FRACTIONAL segments (probability or occupancy) are scaled to
    :math:`[0, 1]` and thresholded at :math:`\ge 0.5`.
Frame of reference
    When both the reference series and the SEG carry a ``FrameOfReferenceUID`` and they differ, the
    coordinates are unrelated and :class:`~radiogenomics.errors.GeometryMismatchError` is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiogenomics.errors import (
    GeometryMismatchError,
    ImageReadError,
    InvalidMaskError,
    LabelNotFoundError,
)
from radiogenomics.image import Geometry, Image, Mask, check_geometry
from radiogenomics.io.dicom import (
    DicomVolume,
    list_series,
    read_dicom_series,
    referenced_series_uids,
    short_uid,
)

__all__ = ["Segment", "read_seg", "segments_to_label_map"]

logger = logging.getLogger(__name__)

SEG_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"


@dataclass(frozen=True, eq=False)
class Segment:
    """One segment of a DICOM SEG on an image grid.

    Attributes
    ----------
    number
        ``SegmentNumber`` (1-based, unique within the SEG).
    label
        ``SegmentLabel`` (not necessarily unique, e.g. several "Neoplasm, Secondary").
    mask
        Boolean :class:`Mask` on the reference grid (or the SEG's own grid without a reference).
    category, property_type
        Code meanings of ``SegmentedPropertyCategoryCodeSequence`` and ``SegmentedPropertyTypeCodeSequence``.
    algorithm_type
        ``SegmentAlgorithmType`` (``MANUAL``, ``SEMIAUTOMATIC``, ``AUTOMATIC``).
    """

    number: int
    label: str
    mask: Mask = field(repr=False)
    category: str = ""
    property_type: str = ""
    algorithm_type: str = ""

    @property
    def voxels(self) -> int:
        """Number of voxels in the segment."""
        return int(np.count_nonzero(self.mask.array))


def _segread(path: Path):  # -> highdicom.seg.Segmentation
    import highdicom as hd  # imported here: slow to import and only needed for SEG files

    if not path.is_file():
        raise ImageReadError(f"SEG file not found: {path}")
    try:
        return hd.seg.segread(str(path))
    except Exception as exc:
        raise ImageReadError(f"cannot read {path.name} as a DICOM SEG (corrupt or not a Segmentation object): "
                             f"{type(exc).__name__}: {exc}") from None


def _volume_to_sitk(array: np.ndarray, affine: np.ndarray) -> sitk.Image:
    """A ``[slice, row, column]`` array with a highdicom affine (index → LPS mm) as a SimpleITK image."""
    columns = affine[:3, [2, 1, 0]]  # ITK index order: column, row, slice
    spacing = np.linalg.norm(columns, axis=0)
    direction = columns / spacing
    origin = affine[:3, 3]
    if np.linalg.det(direction) < 0:  # slices ordered against the plane normal: flip them (right-handed grid)
        array = array[::-1]
        origin = origin + columns[:, 2] * (array.shape[0] - 1)
        direction[:, 2] *= -1
    img = sitk.GetImageFromArray(np.ascontiguousarray(array))
    img.SetSpacing(spacing.tolist())
    img.SetOrigin(origin.tolist())
    img.SetDirection(direction.ravel().tolist())
    return img


def _grid_of(image: Image) -> sitk.Image:
    """An empty SimpleITK image with ``image``'s grid (the reference of a resampling)."""
    grid = sitk.Image(list(image.geometry.size), sitk.sitkUInt8)
    grid.SetSpacing(image.spacing)
    grid.SetOrigin(image.origin)
    grid.SetDirection(image.direction)
    return grid


def _covered_region(image: Image, img: sitk.Image) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Index range (array order, inclusive, clipped) of ``image`` voxels that can lie within ``img``."""
    size = np.array(img.GetSize())
    corners = np.array([[i, j, k] for i in (-0.5, size[0] - 0.5) for j in (-0.5, size[1] - 0.5)
                        for k in (-0.5, size[2] - 0.5)])
    matrix = np.array(img.GetDirection()).reshape(3, 3) * np.array(img.GetSpacing())
    points = corners @ matrix.T + np.array(img.GetOrigin())
    target = np.array(image.direction).reshape(3, 3) * np.array(image.spacing)
    index = np.linalg.solve(target, (points - np.array(image.origin)).T).T
    shape = np.array(image.array.shape[::-1])
    lower = np.maximum(np.floor(index.min(axis=0)).astype(int) - 1, 0)  # may exceed upper: nothing covered
    upper = np.minimum(np.ceil(index.max(axis=0)).astype(int) + 1, shape - 1)
    return tuple(int(v) for v in lower[::-1]), tuple(int(v) for v in upper[::-1])


def _same_grid(image: Image, img: sitk.Image) -> bool:
    try:
        check_geometry(image.geometry, Geometry(img.GetSize(), img.GetSpacing(), img.GetOrigin(), img.GetDirection()))
    except GeometryMismatchError:
        return False
    return True


def _on_lattice(image: Image, img: sitk.Image, tol: float = 1e-3) -> bool:
    """``img``'s voxel centres are voxel centres of ``image``: same spacing and orientation, and the origin offset a
    whole number of voxels on every axis (within ``tol`` of a voxel)."""
    if not np.allclose(img.GetSpacing(), image.spacing, rtol=tol, atol=0) or not np.allclose(
            img.GetDirection(), image.direction, atol=tol):
        return False
    matrix = np.array(image.direction).reshape(3, 3) * np.array(image.spacing)
    index = np.linalg.solve(matrix, np.subtract(img.GetOrigin(), image.origin))
    return bool(np.all(np.abs(index - np.round(index)) <= tol))


def _reference_image(reference: Image | DicomVolume | str | Path, seg) -> tuple[Image, str | None]:
    if isinstance(reference, DicomVolume):
        return reference.image, reference.frame_of_reference_uid
    if isinstance(reference, Image):
        return reference, None
    uid = None
    refs = seg.get("ReferencedSeriesSequence")
    if refs:
        wanted = str(refs[0].SeriesInstanceUID)
        if any(s.uid == wanted for s in list_series(reference)):
            uid = wanted
    volume = read_dicom_series(reference, uid)
    return volume.image, volume.frame_of_reference_uid


def read_seg(
    path: str | Path,
    reference: Image | DicomVolume | str | Path | None = None,
    *,
    segments: Sequence[int] | None = None,
) -> list[Segment]:
    """Read the segments of a DICOM SEG as boolean masks.

    Parameters
    ----------
    path
        The SEG file.
    reference
        The image grid to put the masks on: an :class:`Image`, a
        :class:`~radiogenomics.io.dicom.DicomVolume`, or a DICOM folder (read with
        :func:`~radiogenomics.io.dicom.read_dicom_series`, choosing the series the SEG references when the
        folder holds several). ``None``: the SEG's own grid (its frames' extent only).
    segments
        Segment numbers to read (default: all).

    Returns
    -------
    list of Segment
        In segment-number order.

    Raises
    ------
    ImageReadError
        The file is missing, corrupt, or not a SEG.
    LabelNotFoundError
        A requested segment number is not in the SEG.
    GeometryMismatchError
        The SEG and the reference series have different frames of reference, or (a
        :class:`~radiogenomics.io.dicom.DicomVolume` reference) the SEG was drawn on another series whose voxels
        are not the reference's (its frames would have to be interpolated).
    InvalidMaskError
        The frames cannot be arranged on a 3D grid.
    """
    path = Path(path)
    seg = _segread(path)
    available = [int(n) for n in seg.segment_numbers]
    wanted = available if segments is None else [int(n) for n in segments]
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise LabelNotFoundError(f"segment(s) {unknown} not in {path.name}; segments present: {available}")
    try:
        volume = seg.get_volume(segment_numbers=wanted, combine_segments=False, rescale_fractional=True)
    except Exception as exc:
        raise InvalidMaskError(f"the frames of {path.name} do not form a 3D volume: {type(exc).__name__}: {exc}"
                               ) from None
    array = np.asarray(volume.array)
    if array.ndim == 3:
        array = array[..., None]
    binary = array >= 0.5 if np.issubdtype(array.dtype, np.floating) else array > 0
    affine = np.asarray(volume.affine, dtype=np.float64)

    target: Image | None = None
    if reference is not None:
        target, ref_for = _reference_image(reference, seg)
        seg_for = str(seg.get("FrameOfReferenceUID", "") or "") or None
        if ref_for and seg_for and ref_for != seg_for:
            raise GeometryMismatchError(
                f"{path.name} (FrameOfReferenceUID {short_uid(seg_for)}) and the reference image "
                f"({short_uid(ref_for)}) are in different frames of reference")
        if isinstance(reference, DicomVolume):
            drawn_on = referenced_series_uids(seg)
            if drawn_on and reference.series.uid not in drawn_on:
                other = ", ".join(sorted(short_uid(u) for u in drawn_on))
                if not _on_lattice(target, _volume_to_sitk(np.zeros((1, 1, 1), np.uint8), affine)):
                    raise GeometryMismatchError(
                        f"{path.name} was drawn on series {other}, not on the {reference.modality} series "
                        f"{short_uid(reference.series.uid)} it is applied to, whose voxels it does not share: give it "
                        "as the mask of the image it was drawn on (e.g. <roi>_mask_pet for a contour on the PET)")
                logger.info("%s was drawn on series %s; its frames lie on the voxels of the %s series %s", path.name,
                            other, reference.modality, short_uid(reference.series.uid))

    masks: list[np.ndarray] = []
    grid: Image | None = None
    for start in range(0, len(wanted), 64):
        chunk = binary[..., start:start + 64]
        n = chunk.shape[-1]
        dtype = np.uint8 if n <= 8 else np.uint16 if n <= 16 else np.uint32 if n <= 32 else np.uint64
        bits = np.zeros(chunk.shape[:3], dtype)
        for k in range(n):
            bits |= chunk[..., k].astype(dtype) << dtype(k)
        img = _volume_to_sitk(bits, affine)
        if target is None or _same_grid(target, img):
            packed = Image(sitk.GetArrayFromImage(img), img.GetSpacing(), img.GetOrigin(), img.GetDirection())
            grid = packed if target is None else target
            planes = [(packed.array >> dtype(k)) & dtype(1) for k in range(n)]
        else:
            grid = target
            lower, upper = _covered_region(target, img)
            planes = [np.zeros(target.array.shape, bool) for _ in range(n)]
            if all(u >= lo for lo, u in zip(lower, upper, strict=True)):
                sub = Image(np.zeros((1,) * 3, np.uint8), target.spacing, target.origin, target.direction)
                sub = sub._placed(np.zeros(tuple(u - lo + 1 for lo, u in zip(lower, upper, strict=True)), np.uint8),
                                  lower)
                res = sitk.GetArrayFromImage(sitk.Resample(img, _grid_of(sub), sitk.Transform(),
                                                           sitk.sitkNearestNeighbor, 0, img.GetPixelID()))
                region = tuple(slice(lo, u + 1) for lo, u in zip(lower, upper, strict=True))
                for k in range(n):
                    planes[k][region] = (res >> dtype(k)) & dtype(1)
        masks.extend(planes)

    assert grid is not None
    out = []
    for number, m in zip(wanted, masks, strict=True):
        desc = seg.get_segment_description(number)
        mask = Mask(m.astype(bool), grid.spacing, grid.origin, grid.direction)
        category = desc.segmented_property_category
        prop = desc.segmented_property_type
        algorithm = desc.algorithm_type
        out.append(Segment(
            number, str(desc.segment_label), mask,
            str(getattr(category, "meaning", "") or ""), str(getattr(prop, "meaning", "") or ""),
            str(getattr(algorithm, "value", algorithm) or ""),
        ))
        if not m.any():
            logger.warning("segment %d of %s is empty on the %s grid", number, path.name,
                           "reference" if target is not None else "SEG")
    logger.debug("read %d segment(s) of %s", len(out), path.name)
    return out


def segments_to_label_map(segments: Sequence[Segment]) -> Mask:
    """One label map whose value is the segment number (0 = background).

    Raises
    ------
    InvalidMaskError
        Segments overlap (a label map cannot hold a voxel in two segments), or lie on different grids.
    """
    if not segments:
        raise InvalidMaskError("no segment given")
    first = segments[0].mask
    labels = np.zeros(first.array.shape, np.uint16 if max(s.number for s in segments) < 65536 else np.uint32)
    for s in segments:
        check_geometry(first, s.mask)
        overlap = s.mask.array & (labels > 0)
        if overlap.any():
            raise InvalidMaskError(f"segment {s.number} overlaps another segment in {int(overlap.sum())} voxel(s); "
                                   "use the per-segment masks")
        labels[s.mask.array] = s.number
    return Mask(labels, first.spacing, first.origin, first.direction)
