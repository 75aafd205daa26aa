r"""DICOM RT Structure Sets (RTSTRUCT): one boolean :class:`~radiogenomics.image.Mask` per ROI, by name.

Each ``CLOSED_PLANAR`` contour (``ContourData``: points :math:`\mathbf p` in patient coordinates, mm) is
mapped to the continuous voxel index of the image grid,

.. math:: (i, j, k)^\top = (D\,\mathrm{diag}(\Delta))^{-1}\,(\mathbf p - \mathbf o),

with direction :math:`D`, spacing :math:`\Delta` and origin :math:`\mathbf o`. A contour must lie in one
image slice plane: all its :math:`k` within ``slice_tolerance`` (a fraction of the slice spacing) of one
integer. Contours are placed by this position, never by ``ReferencedSOPInstanceUID`` (which often names
images of another, e.g. uncropped, series). A contour off every slice plane (or tilted against the slices)
raises :class:`~radiogenomics.errors.GeometryMismatchError`: rasterise on the image the contours were
drawn on and resample the mask instead.

Inside rule (:func:`rasterise_polygons`)
    A voxel belongs to the ROI when its *centre* is inside the polygon by the **even-odd rule**, over all
    contours of the ROI on that slice together: inner contours (holes) are cut out, and so are overlaps.
    Centres exactly on an edge follow a half-open convention: inside on the low-index side (left /
    top edges), outside on the high-index side, so an axis-aligned square with corners at integer indices
    :math:`a \le i < b` covers exactly :math:`(b - a)^2` voxels, and two polygons sharing an edge never
    both claim a centre on it. Contours whose planes map to the same slice are refused (they would be
    combined by the even-odd rule although they describe different planes). ``POINT`` and
    ``OPEN_PLANAR`` contours enclose nothing and are skipped.

Frame of reference
    When the reference is a DICOM series and both it and the ROI carry a ``FrameOfReferenceUID`` that
    differ, the coordinates are unrelated: :class:`~radiogenomics.errors.GeometryMismatchError`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from radiogenomics.errors import (
    GeometryMismatchError,
    ImageReadError,
    InvalidMaskError,
    UnknownNameError,
)
from radiogenomics.image import Image, Mask
from radiogenomics.io.dicom import (
    DicomVolume,
    list_series,
    read_dicom_series,
    referenced_series_uids,
    short_uid,
)

__all__ = ["RoiInfo", "list_rois", "rasterise_polygons", "read_rtstruct"]

logger = logging.getLogger(__name__)

RTSTRUCT_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"


@dataclass(frozen=True)
class RoiInfo:
    """One ROI of a structure set: number, name, interpreted type, contour count and geometric types."""

    number: int
    name: str
    interpreted_type: str
    n_contours: int
    geometric_types: tuple[str, ...]
    frame_of_reference_uid: str | None = None


def _read(path: str | Path) -> Dataset:
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"RTSTRUCT file not found: {path}")
    try:
        ds = pydicom.dcmread(path)
    except Exception as exc:
        raise ImageReadError(f"cannot read {path.name} as DICOM (corrupt or not DICOM): {type(exc).__name__}"
                             ) from None
    if str(ds.get("SOPClassUID", "")) != RTSTRUCT_STORAGE and ds.get("Modality") != "RTSTRUCT":
        raise ImageReadError(f"{path.name} is not an RT Structure Set (Modality {ds.get('Modality', '?')})")
    return ds


def _contours_by_roi(ds: Dataset) -> dict[int, list[Dataset]]:
    out: dict[int, list[Dataset]] = {}
    for item in ds.get("ROIContourSequence", []):
        out.setdefault(int(item.ReferencedROINumber), []).extend(item.get("ContourSequence", []))
    return out


def _rois(ds: Dataset) -> list[RoiInfo]:
    contours = _contours_by_roi(ds)
    observations = {int(o.ReferencedROINumber): str(o.get("RTROIInterpretedType", "") or "")
                    for o in ds.get("RTROIObservationsSequence", []) if "ReferencedROINumber" in o}
    rois = []
    for roi in ds.get("StructureSetROISequence", []):
        number = int(roi.ROINumber)
        items = contours.get(number, [])
        rois.append(RoiInfo(
            number, str(roi.get("ROIName", "") or f"ROI {number}"), observations.get(number, ""), len(items),
            tuple(sorted({str(c.get("ContourGeometricType", "")) for c in items})),
            str(roi.get("ReferencedFrameOfReferenceUID", "") or "") or None,
        ))
    return rois


def list_rois(path: str | Path) -> list[RoiInfo]:
    """The ROIs of an RTSTRUCT file, in file order."""
    return _rois(_read(path))


def rasterise_polygons(polygons: Sequence[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Voxels of one slice whose centres lie inside ``polygons`` by the even-odd rule.

    Parameters
    ----------
    polygons
        Each an ``(n, 2)`` array of vertices ``(column, row)`` in continuous index coordinates (voxel
        centres at integers); closed implicitly (last vertex joins the first).
    shape
        ``(rows, columns)`` of the slice.

    Returns
    -------
    numpy.ndarray
        Boolean ``(rows, columns)``. For every row centre :math:`y = j`, the crossings :math:`x_c` of the
        edges with :math:`\\min(y_0, y_1) \\le j < \\max(y_0, y_1)` are sorted and paired; voxels with
        :math:`x_{2m} \\le i < x_{2m+1}` are inside (see the module docstring).
    """
    rows, cols = shape
    x0s, y0s, x1s, y1s = [], [], [], []
    for poly in polygons:
        p = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
        if len(p) < 3:
            continue
        q = np.roll(p, -1, axis=0)
        x0s.append(p[:, 0])
        y0s.append(p[:, 1])
        x1s.append(q[:, 0])
        y1s.append(q[:, 1])
    inside = np.zeros((rows, cols), dtype=bool)
    if not x0s:
        return inside
    x0, y0, x1, y1 = (np.concatenate(a) for a in (x0s, y0s, x1s, y1s))
    keep = y0 != y1  # horizontal edges never cross a row centre under the half-open rule
    x0, y0, x1, y1 = x0[keep], y0[keep], x1[keep], y1[keep]
    lo, hi = np.minimum(y0, y1), np.maximum(y0, y1)
    first = np.ceil(lo).astype(np.int64)  # rows j with lo <= j < hi
    last = np.ceil(hi).astype(np.int64) - 1
    first_c, last_c = np.maximum(first, 0), np.minimum(last, rows - 1)
    counts = np.maximum(last_c - first_c + 1, 0)
    if counts.sum() == 0:
        return inside
    edge = np.repeat(np.arange(len(counts)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    row = first_c[edge] + offsets
    t = (row - y0[edge]) / (y1[edge] - y0[edge])
    xc = x0[edge] + t * (x1[edge] - x0[edge])
    order = np.lexsort((xc, row))
    row, xc = row[order], xc[order]
    # every row has an even number of crossings (closed polygons, rows clipped as a whole)
    starts = np.clip(np.ceil(xc[0::2]), 0, cols).astype(np.int64)
    stops = np.clip(np.ceil(xc[1::2]), 0, cols).astype(np.int64)
    pair_row = row[0::2]
    diff = np.zeros((rows, cols + 1), dtype=np.int32)
    np.add.at(diff, (pair_row, starts), 1)
    np.add.at(diff, (pair_row, stops), -1)
    return np.cumsum(diff, axis=1)[:, :cols] > 0


def _reference(reference: Image | DicomVolume | str | Path, ds: Dataset) -> tuple[Image, str | None]:
    if isinstance(reference, DicomVolume):
        return reference.image, reference.frame_of_reference_uid
    if isinstance(reference, Image):
        return reference, None
    uid = None
    for study in ds.get("ReferencedFrameOfReferenceSequence", []):
        for st in study.get("RTReferencedStudySequence", []):
            for se in st.get("RTReferencedSeriesSequence", []):
                uid = uid or str(se.get("SeriesInstanceUID", "") or "") or None
    if uid is not None and not any(s.uid == uid for s in list_series(reference)):
        uid = None
    volume = read_dicom_series(reference, uid)
    return volume.image, volume.frame_of_reference_uid


def read_rtstruct(
    path: str | Path,
    reference: Image | DicomVolume | str | Path,
    *,
    rois: Sequence[str] | None = None,
    slice_tolerance: float = 0.25,
) -> dict[str, Mask]:
    """Rasterise the ROIs of an RTSTRUCT onto an image grid.

    Parameters
    ----------
    path
        The RTSTRUCT file.
    reference
        The image grid: an :class:`Image`, a :class:`~radiogenomics.io.dicom.DicomVolume`, or a DICOM folder
        (the series the RTSTRUCT references is chosen when it is there).
    rois
        ROI names to read (default: all ROIs that have contours). An unknown name raises
        :class:`~radiogenomics.errors.UnknownNameError` with the closest name.
    slice_tolerance
        Largest distance of a contour from its slice plane, as a fraction of the slice spacing.

    Returns
    -------
    dict
        ROI name → boolean :class:`Mask` on the reference grid (file order). An ROI whose contours all lie
        outside the grid gives an empty mask (logged).

    Raises
    ------
    ImageReadError, UnknownNameError, GeometryMismatchError, InvalidMaskError
    """
    path = Path(path)
    ds = _read(path)
    infos = _rois(ds)
    names = [r.name for r in infos]
    if rois is None:
        chosen = [r for r in infos if r.n_contours]
    else:
        chosen = []
        for name in rois:
            if name not in names:
                raise UnknownNameError(f"ROI in {path.name}", name, names)
            chosen.append(infos[names.index(name)])
    drawn_on = referenced_series_uids(ds)
    if isinstance(reference, DicomVolume) and drawn_on and reference.series.uid not in drawn_on:
        # contours are patient coordinates: valid on any series of the same frame of reference (checked per ROI)
        logger.info("%s was drawn on series %s and is rasterised on the %s series %s", path.name,
                    ", ".join(sorted(short_uid(u) for u in drawn_on)), reference.modality,
                    short_uid(reference.series.uid))
    image, image_for = _reference(reference, ds)
    if image.ndim != 3:
        raise InvalidMaskError("RTSTRUCT masks need a 3D reference image")
    contours = _contours_by_roi(ds)
    nz, ny, nx = image.array.shape
    matrix = np.array(image.direction).reshape(3, 3) * np.array(image.spacing)
    inverse = np.linalg.inv(matrix)
    origin = np.array(image.origin)

    out: dict[str, Mask] = {}
    for roi in chosen:
        if image_for and roi.frame_of_reference_uid and image_for != roi.frame_of_reference_uid:
            raise GeometryMismatchError(
                f"ROI {roi.name!r} is in frame of reference {short_uid(roi.frame_of_reference_uid)}, the image in "
                f"{short_uid(image_for)}: the coordinates are unrelated")
        by_slice: dict[int, list[np.ndarray]] = {}
        planes: dict[int, set[float]] = {}
        outside = skipped = 0
        for contour in contours.get(roi.number, []):
            kind = str(contour.get("ContourGeometricType", "CLOSED_PLANAR")).upper()
            data = contour.get("ContourData")
            if kind != "CLOSED_PLANAR" or not data or len(data) < 9:
                skipped += 1
                continue
            points = np.asarray(data, dtype=np.float64).reshape(-1, 3)
            index = (points - origin) @ inverse.T  # (i, j, k) per point
            k = float(np.mean(index[:, 2]))
            slice_k = round(k)
            off = np.abs(index[:, 2] - slice_k).max()
            if off > slice_tolerance:
                raise GeometryMismatchError(
                    f"a contour of ROI {roi.name!r} lies {off * image.spacing[2]:.3g} mm from the nearest slice plane "
                    f"(more than slice_tolerance={slice_tolerance} of the {image.spacing[2]:.4g} mm spacing) or is "
                    "tilted against the slices; rasterise on the image the contours were drawn on and resample the "
                    "mask")
            if not 0 <= slice_k < nz:
                outside += 1
                continue
            by_slice.setdefault(slice_k, []).append(index[:, :2])
            planes.setdefault(slice_k, set()).add(round(k, 3))
        crowded = [k for k, zs in planes.items() if max(zs) - min(zs) > 0.01]
        if crowded:
            raise GeometryMismatchError(
                f"ROI {roi.name!r}: contours from different planes fall on the same image slice(s) "
                f"{sorted(crowded)[:5]} (the contours are finer than the slices); rasterise on the image they were "
                "drawn on and resample the mask")
        mask = np.zeros((nz, ny, nx), dtype=bool)
        for k, polygons in by_slice.items():
            mask[k] = rasterise_polygons(polygons, (ny, nx))
        if skipped:
            logger.info("ROI %r: %d non-CLOSED_PLANAR or empty contour(s) skipped", roi.name, skipped)
        if outside:
            logger.warning("ROI %r: %d contour(s) outside the image slices", roi.name, outside)
        if not mask.any():
            logger.warning("ROI %r is empty on this image grid", roi.name)
        name = roi.name if roi.name not in out else f"{roi.name} ({roi.number})"
        out[name] = Mask(mask, image.spacing, image.origin, image.direction)
    logger.debug("rasterised %d ROI(s) of %s", len(out), path.name)
    return out
