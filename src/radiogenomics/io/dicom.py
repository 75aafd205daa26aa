r"""DICOM image series: list the series in a folder and read one as an :class:`~radiogenomics.image.Image`.

A folder may hold several series (CT and PET of one study, an RTSTRUCT, a SEG...). :func:`list_series`
groups its files by ``SeriesInstanceUID``; :func:`read_dicom_series` reads one image series, chosen by
its UID, or the only image series in the folder (else it fails listing the choices).

Geometry (single-frame files, one slice per file)
-------------------------------------------------
With row direction :math:`\mathbf r` and column direction :math:`\mathbf c` from
``ImageOrientationPatient`` and the slice normal :math:`\mathbf n = \mathbf r \times \mathbf c`, slices are
sorted by :math:`d_k = \mathbf n \cdot \mathbf p_k` (:math:`\mathbf p_k` = ``ImagePositionPatient``), never
by file name or ``InstanceNumber``. The volume then has

- spacing :math:`(\Delta_c, \Delta_r, \Delta_s)` = (``PixelSpacing[1]``, ``PixelSpacing[0]``, the mean gap
  :math:`(d_{n-1} - d_0)/(n-1)`); a single slice takes ``SpacingBetweenSlices``, else ``SliceThickness``, else 1;
- origin :math:`\mathbf p_0` (the slice with the smallest :math:`d`);
- direction matrix with columns :math:`(\mathbf r, \mathbf c, \mathbf n)` (ITK's convention, row-major);
- array ``[k, row, column]``, with voxel :math:`(i, j, k)` at
  :math:`\mathbf p_0 + i\Delta_c\mathbf r + j\Delta_r\mathbf c + k\Delta_s\mathbf n`.

Voxel values are :math:`v = q\,m_k + b_k` with the stored value :math:`q` and each slice's own
``RescaleSlope`` :math:`m_k` and ``RescaleIntercept`` :math:`b_k` (PET scanners write a different slope
in every slice). The result is float64, or an integer type when every slope is 1 and every intercept an
integer (CT in HU).

Checks, each with its own error: slices of one series must share rows, columns, pixel spacing and
orientation; two slices at one position (several time frames, echoes or acquisitions mixed in one
series) are refused; a series whose slice positions are not along the normal (gantry tilt) is refused;
non-uniform slice spacing (a gap differing from the mean gap by more than ``spacing_tolerance`` times
it, e.g. a missing slice) is refused unless ``nonuniform="resample"``, which interpolates linearly
along the normal onto a uniform grid of the median gap from the first to the last slice.

Not supported: enhanced multi-frame images (one file holding a whole volume) and multi-component
(colour) images.

Privacy: patient identifiers never appear in logs or error messages; UIDs are shown only by their
last :data:`UID_TAIL` characters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from radiogenomics.choices import Choice
from radiogenomics.errors import (
    ImageReadError,
    InvalidImageError,
    MissingDicomTagError,
    SeriesSelectionError,
)
from radiogenomics.image import Image

__all__ = [
    "NON_IMAGE_MODALITIES",
    "DicomSeries",
    "DicomVolume",
    "list_series",
    "read_dicom_image",
    "read_dicom_series",
    "referenced_series_uids",
    "select_series",
    "short_uid",
    "tag_name",
]

logger = logging.getLogger(__name__)

#: Modalities whose series hold no image volume (listed by :func:`list_series`, never read as images).
NON_IMAGE_MODALITIES = frozenset({"SEG", "RTSTRUCT", "RTPLAN", "RTRECORD", "SR", "PR", "KO", "REG", "RWV", "DOC"})

#: Number of trailing characters of a UID shown in messages.
UID_TAIL = 12

_DICOMDIR = "1.2.840.10008.1.3.10"
_DICOM_SUFFIXES = (".dcm", ".dicom", ".ima", ".dic")
_LISTING_TAGS = ["SOPClassUID", "SeriesInstanceUID", "Modality", "SeriesDescription", "SeriesNumber", "Rows"]


def tag_name(keyword: str) -> str:
    """``"Keyword (gggg,eeee)"`` for a DICOM keyword, as used in error messages."""
    tag = pydicom.datadict.tag_for_keyword(keyword)
    return keyword if tag is None else f"{keyword} ({tag >> 16:04X},{tag & 0xFFFF:04X})"


def referenced_series_uids(ds: Dataset) -> set[str]:
    """SeriesInstanceUIDs a DICOM SEG (``ReferencedSeriesSequence``) or RTSTRUCT (``ReferencedFrameOfReferenceSequence``
    → ``RTReferencedStudySequence`` → ``RTReferencedSeriesSequence``) says it was drawn on (empty when not given)."""
    uids = {str(r.get("SeriesInstanceUID", "") or "") for r in ds.get("ReferencedSeriesSequence", [])}
    for fr in ds.get("ReferencedFrameOfReferenceSequence", []):
        for st in fr.get("RTReferencedStudySequence", []):
            uids |= {str(se.get("SeriesInstanceUID", "") or "") for se in st.get("RTReferencedSeriesSequence", [])}
    return uids - {""}


def short_uid(uid: str) -> str:
    """The last :data:`UID_TAIL` characters of a UID, prefixed by ``…`` (for messages and logs)."""
    uid = str(uid)
    return uid if len(uid) <= UID_TAIL else "…" + uid[-UID_TAIL:]


class NonUniform(Choice, kind="nonuniform option"):
    """What to do with non-uniform slice spacing."""

    ERROR = "error"
    RESAMPLE = "resample"


@dataclass(frozen=True)
class DicomSeries:
    """One series found in a folder: its UID, modality, description, number and files (sorted by path)."""

    uid: str
    modality: str
    description: str
    number: int | None
    files: tuple[Path, ...] = field(repr=False)

    @property
    def n_files(self) -> int:
        """Number of files of the series."""
        return len(self.files)

    @property
    def is_image(self) -> bool:
        """Whether the series holds image slices (not SEG, RTSTRUCT, SR, ...)."""
        return self.modality.upper() not in NON_IMAGE_MODALITIES

    def describe(self) -> str:
        """One line for messages: modality, series number, file count, shortened UID.

        The free-text ``SeriesDescription`` is left out: exports often put patient names or IDs in it.
        """
        number = "-" if self.number is None else str(self.number)
        return (f"{self.modality or '?'} series {number}: {self.n_files} file(s), "
                f"SeriesInstanceUID {short_uid(self.uid)}")

    def __repr__(self) -> str:  # no full UID in reprs that end up in logs
        return f"DicomSeries({self.describe()})"


@dataclass(frozen=True, eq=False)
class DicomVolume:
    """An image series read from DICOM: the :class:`Image` plus each slice's header.

    ``headers[k]`` is the header (pixel data removed) of the slice at array index ``k``; the SUV
    conversion (:mod:`radiogenomics.io.suv`) reads its tags from them.
    """

    image: Image
    headers: tuple[Dataset, ...] = field(repr=False)
    series: DicomSeries

    @property
    def header(self) -> Dataset:
        """Header of the first slice (series-level tags)."""
        return self.headers[0]

    @property
    def modality(self) -> str:
        return self.series.modality

    @property
    def frame_of_reference_uid(self) -> str | None:
        uid = self.header.get("FrameOfReferenceUID")
        return str(uid) if uid else None

    def __repr__(self) -> str:
        return f"DicomVolume({self.series.describe()}, size={self.image.geometry.size})"


# ----------------------------------------------------------------------------------------- listing


def _files(path: Path, recursive: bool) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ImageReadError(f"DICOM path not found: {path}")
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in path.glob(pattern) if p.is_file() and not p.name.startswith("."))


def _looks_like_dicom(path: Path) -> bool:
    if path.suffix.lower() in _DICOM_SUFFIXES:
        return True
    try:
        with path.open("rb") as fh:
            fh.seek(128)
            return fh.read(4) == b"DICM"
    except OSError:
        return False


def _read_header(path: Path, specific_tags: list[str] | None = None) -> Dataset | None:
    """Header of ``path``; ``None`` for a file that is not DICOM; :class:`ImageReadError` for a corrupt one.

    A file without the ``DICM`` marker is still taken when it parses as a dataset with a
    ``SOPClassUID`` and a ``SeriesInstanceUID`` (old exports without preamble).
    """
    try:
        return pydicom.dcmread(path, stop_before_pixels=True, specific_tags=specific_tags)
    except InvalidDicomError:
        claims = _looks_like_dicom(path)
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=specific_tags, force=True)
            ok = "SOPClassUID" in ds and "SeriesInstanceUID" in ds
        except Exception as exc:
            if claims:
                raise ImageReadError(f"corrupt DICOM file {path.name}: {type(exc).__name__}") from None
            ok = False
        if ok:
            return ds
        if claims:
            raise ImageReadError(f"corrupt DICOM file {path.name}: no DICOM header found") from None
        logger.debug("skipping %s: not a DICOM file", path.name)
        return None
    except Exception as exc:
        if not _looks_like_dicom(path):
            logger.debug("skipping %s: not a DICOM file", path.name)
            return None
        raise ImageReadError(f"corrupt DICOM file {path.name}: {type(exc).__name__}") from None


def list_series(path: str | Path, recursive: bool = True) -> list[DicomSeries]:
    """Group the DICOM files under ``path`` by ``SeriesInstanceUID``.

    Parameters
    ----------
    path
        A folder (searched recursively unless ``recursive=False``) or a single DICOM file.
    recursive
        Also look in sub-folders.

    Returns
    -------
    list of DicomSeries
        Ordered by modality, series number and UID. Files that are not DICOM (no ``DICM`` marker and no
        DICOM suffix) and ``DICOMDIR`` files are skipped.

    Raises
    ------
    ImageReadError
        ``path`` does not exist, or a DICOM file (``DICM`` marker or ``.dcm`` suffix) cannot be parsed or
        has no ``SeriesInstanceUID`` (truncated): a corrupt slice is never dropped silently.
    """
    path = Path(path)
    groups: dict[str, list[Path]] = {}
    info: dict[str, tuple[str, str, int | None]] = {}
    for file in _files(path, recursive):
        ds = _read_header(file, _LISTING_TAGS)
        if ds is None:
            continue
        uid = str(ds.get("SeriesInstanceUID", "") or "")
        if not uid:
            meta = getattr(ds, "file_meta", None)
            if meta is not None and str(meta.get("MediaStorageSOPClassUID", "")) == _DICOMDIR:
                logger.debug("skipping %s: DICOMDIR", file.name)
                continue
            raise ImageReadError(f"corrupt DICOM file {file.name}: no SeriesInstanceUID (truncated header?)")
        groups.setdefault(uid, []).append(file)
        if uid not in info:
            number = ds.get("SeriesNumber")
            info[uid] = (
                str(ds.get("Modality", "") or ""),
                str(ds.get("SeriesDescription", "") or ""),
                int(number) if number not in (None, "") else None,
            )
    series = [DicomSeries(uid, *info[uid], tuple(files)) for uid, files in groups.items()]
    series.sort(key=lambda s: (s.modality, s.number if s.number is not None else -1, s.uid))
    logger.debug("%s: %d series", path.name, len(series))
    return series


def select_series(
    series: str | Path | Sequence[DicomSeries], series_uid: str | None = None, modality: str | None = None
) -> DicomSeries:
    """Choose one image series.

    Parameters
    ----------
    series
        A folder or file (listed with :func:`list_series`) or series already listed.
    series_uid
        The ``SeriesInstanceUID`` to read. Its unique ending (at least 6 characters, e.g. as shown in
        messages without the ``…``) is accepted too.
    modality
        Only consider image series of this modality (``"CT"``, ``"PT"``, ``"MR"``...).

    Raises
    ------
    SeriesSelectionError
        No image series; ``series_uid`` not found; or several candidates and no ``series_uid``. The
        message lists every series found (modality, number, file count, UID ending).
    """
    found = list_series(series) if isinstance(series, str | Path) else list(series)
    where = f" in {Path(series).name}" if isinstance(series, str | Path) else ""
    listing = "\n".join("  - " + s.describe() for s in found) or "  (none)"
    if series_uid is not None:
        uid = str(series_uid).strip().lstrip("…")
        hits = [s for s in found if s.uid == uid]
        if not hits and len(uid) >= 6:
            hits = [s for s in found if s.uid.endswith(uid)]
        if len(hits) == 1:
            return hits[0]
        problem = "matches several series" if hits else "not found"
        raise SeriesSelectionError(f"SeriesInstanceUID {short_uid(uid)} {problem}{where}; series found:\n{listing}",
                                   found)
    candidates = [s for s in found if s.is_image]
    if modality is not None:
        candidates = [s for s in candidates if s.modality.upper() == modality.upper()]
    if len(candidates) == 1:
        return candidates[0]
    kind = f"{modality} image series" if modality else "image series"
    if not candidates:
        raise SeriesSelectionError(f"no {kind} found{where}; series found:\n{listing}", found)
    raise SeriesSelectionError(
        f"{len(candidates)} {kind} found{where}; choose one with series_uid= (the full SeriesInstanceUID from "
        f"list_series(), or its ending as shown):\n" + "\n".join("  - " + s.describe() for s in candidates),
        found,
    )


# ----------------------------------------------------------------------------------------- reading


def _floats(value: object) -> np.ndarray:
    return np.array([float(v) for v in value], dtype=np.float64)  # type: ignore[attr-defined]


def _slice_geometry(headers: list[Dataset], files: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orientation (2×3), pixel spacing (row, column) and positions (n×3); checks consistency."""
    missing = [name for name in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "Rows", "Columns")
               if any(h.get(name) in (None, "") for h in headers)]
    if missing:
        raise MissingDicomTagError([tag_name(name) for name in missing], "image geometry",
                                   "the files are not a volumetric image series")
    first = headers[0]
    orientation = _floats(first.ImageOrientationPatient).reshape(2, 3)
    pixel = _floats(first.PixelSpacing)
    shape = (int(first.Rows), int(first.Columns))
    for h, f in zip(headers, files, strict=True):
        if (int(h.Rows), int(h.Columns)) != shape:
            raise InvalidImageError(f"slice {f.name} has {h.Rows}×{h.Columns} pixels, others {shape[0]}×{shape[1]}")
        if not np.allclose(_floats(h.ImageOrientationPatient).reshape(2, 3), orientation, atol=1e-4):
            raise InvalidImageError(f"slice {f.name} has a different ImageOrientationPatient from the others")
        if not np.allclose(_floats(h.PixelSpacing), pixel, rtol=1e-4, atol=0):
            raise InvalidImageError(f"slice {f.name} has a different PixelSpacing from the others")
        if int(h.get("NumberOfFrames", 1) or 1) > 1:
            raise InvalidImageError(f"{f.name} is a multi-frame image; enhanced multi-frame DICOM is not supported")
        if int(h.get("SamplesPerPixel", 1) or 1) != 1:
            raise InvalidImageError(f"{f.name} has {h.SamplesPerPixel} samples per pixel; a scalar image is needed")
    positions = np.array([_floats(h.ImagePositionPatient) for h in headers])
    return orientation, pixel, positions


def _stored_pixels(ds: Dataset, file: Path) -> np.ndarray:
    try:
        return np.asarray(ds.pixel_array)
    except Exception as exc:
        raise ImageReadError(f"cannot decode the pixel data of {file.name} (corrupt, truncated or an unsupported "
                             f"compression): {type(exc).__name__}: {exc}") from None


def _rescale(stored: list[np.ndarray], headers: list[Dataset]) -> np.ndarray:
    """Apply each slice's RescaleSlope and RescaleIntercept (missing: 1 and 0)."""
    slopes = np.array([float(h.get("RescaleSlope", 1) or 1) for h in headers])
    intercepts = np.array([float(h.get("RescaleIntercept", 0) or 0) for h in headers])
    array = np.stack(stored)
    if np.all(slopes == 1) and np.all(intercepts == np.round(intercepts)) and np.issubdtype(array.dtype, np.integer):
        values = array.astype(np.int64) + intercepts.astype(np.int64)[:, None, None]
        for dtype in (np.int16, np.int32):
            info = np.iinfo(dtype)
            if values.size == 0 or (values.min() >= info.min and values.max() <= info.max):
                return values.astype(dtype)
        return values
    return array.astype(np.float64) * slopes[:, None, None] + intercepts[:, None, None]


def _resample_uniform(array: np.ndarray, d: np.ndarray, spacing: float) -> tuple[np.ndarray, int]:
    """Linear interpolation along the slice axis onto ``d[0] + k·spacing``."""
    n = round((d[-1] - d[0]) / spacing) + 1
    target = d[0] + spacing * np.arange(n)
    upper = np.clip(np.searchsorted(d, target, side="right"), 1, len(d) - 1)
    lower = upper - 1
    w = np.clip((target - d[lower]) / (d[upper] - d[lower]), 0.0, 1.0)[:, None, None]
    data = array.astype(np.float64)
    return (1 - w) * data[lower] + w * data[upper], n


def read_dicom_series(
    path: str | Path | DicomSeries,
    series_uid: str | None = None,
    *,
    modality: str | None = None,
    nonuniform: str = "error",
    spacing_tolerance: float = 0.01,
) -> DicomVolume:
    """Read one DICOM image series (one slice per file) with its geometry and headers.

    Parameters
    ----------
    path
        A folder (or a file) holding the series, or a :class:`DicomSeries` from :func:`list_series`.
    series_uid
        Which series to read when the folder holds several (see :func:`select_series`).
    modality
        Restrict the automatic choice to this modality (``"CT"``, ``"PT"``...).
    nonuniform
        ``"error"`` (default): refuse non-uniform slice spacing; ``"resample"``: interpolate linearly
        onto a uniform grid (median gap, from the first slice on).
    spacing_tolerance
        Largest accepted deviation of a slice gap from the mean gap, relative to the mean gap; also
        the largest in-plane drift of slice positions relative to the pixel spacing.

    Returns
    -------
    DicomVolume
        ``image`` (see the module docstring for geometry and rescaling) and ``headers`` per slice.

    Raises
    ------
    SeriesSelectionError, ImageReadError, MissingDicomTagError, InvalidImageError
    """
    mode = NonUniform.parse(nonuniform)
    series = path if isinstance(path, DicomSeries) else select_series(path, series_uid, modality)
    if not series.is_image:
        raise InvalidImageError(f"{series.describe()} holds no image slices")
    files = list(series.files)
    datasets: list[Dataset] = []
    stored: list[np.ndarray] = []
    for file in files:
        try:
            ds = pydicom.dcmread(file, force=True)  # listed as DICOM already (maybe without preamble)
        except Exception as exc:
            raise ImageReadError(f"corrupt DICOM file {file.name}: {type(exc).__name__}") from None
        if "PixelData" not in ds:
            raise ImageReadError(f"{file.name} has no pixel data")
        meta = getattr(ds, "file_meta", None)
        if meta is None or "TransferSyntaxUID" not in meta:  # no file meta: the encoding it was read with
            implicit, little = ds.original_encoding
            ds.ensure_file_meta()
            ds.file_meta.TransferSyntaxUID = (
                pydicom.uid.ImplicitVRLittleEndian if implicit
                else pydicom.uid.ExplicitVRLittleEndian if little else pydicom.uid.ExplicitVRBigEndian)
        stored.append(_stored_pixels(ds, file))
        del ds.PixelData
        datasets.append(ds)

    orientation, pixel, positions = _slice_geometry(datasets, files)
    row_dir, col_dir = orientation
    normal = np.cross(row_dir, col_dir)
    d = positions @ normal
    order = np.argsort(d, kind="stable")
    d, positions = d[order], positions[order]
    datasets = [datasets[i] for i in order]
    stored = [stored[i] for i in order]
    files = [files[i] for i in order]

    n = len(d)
    if n > 1:
        gaps = np.diff(d)
        if np.any(gaps <= 1e-6 * max(1.0, float(np.abs(d).max()))):
            k = int(np.sum(gaps <= 1e-6 * max(1.0, float(np.abs(d).max())))) + 1
            raise InvalidImageError(
                f"{series.describe()}: {k} slices share a position; the series mixes several time frames, "
                "echoes or acquisitions (split it before reading)")
        dz = float((d[-1] - d[0]) / (n - 1))  # mean gap: exact end points on a uniform grid
        in_plane = (positions - positions[0]) - np.outer(d - d[0], normal)
        drift = float(np.abs(in_plane).max())
        if drift > spacing_tolerance * float(pixel.min()):
            raise InvalidImageError(
                f"{series.describe()}: slice positions drift {drift:.3g} mm in-plane (gantry tilt or sheared "
                "volume); not supported")
    else:
        h = datasets[0]
        dz = float(h.get("SpacingBetweenSlices") or h.get("SliceThickness") or 1.0)

    values = _rescale(stored, datasets)
    headers = tuple(datasets)
    if n > 1:
        gaps = np.diff(d)
        deviation = float(np.abs(gaps - dz).max())
        if deviation > spacing_tolerance * dz:
            median = float(np.median(gaps))
            if mode is NonUniform.ERROR:
                raise InvalidImageError(
                    f"{series.describe()}: non-uniform slice spacing (gaps {gaps.min():.6g} … {gaps.max():.6g} mm, "
                    f"median {median:.6g} mm; a missing slice?). To interpolate onto a uniform grid set nonuniform: "
                    "resample (cohort settings, or a study's extraction section), --nonuniform resample (cohort "
                    "extract) or nonuniform='resample' (read_dicom_series)")
            values, m = _resample_uniform(values, d, median)
            targets = d[0] + median * np.arange(m)
            headers = tuple(datasets[int(np.argmin(np.abs(d - t)))] for t in targets)
            logger.warning("%s: non-uniform slice spacing (max deviation %.3g mm) resampled linearly onto %d "
                           "slices of %.6g mm", series.describe(), deviation, m, median)
            dz = median

    direction = np.column_stack([row_dir, col_dir, normal])
    image = Image(values, (float(pixel[1]), float(pixel[0]), dz), tuple(positions[0].tolist()),
                  tuple(direction.ravel().tolist()))
    logger.debug("read %s: size %s spacing %s", series.describe(), image.geometry.size, image.spacing)
    return DicomVolume(image, headers, series)


def read_dicom_image(
    path: str | Path | DicomSeries, series_uid: str | None = None, *, modality: str | None = None
) -> Image:
    """The :class:`Image` of :func:`read_dicom_series` (voxel values after rescale, no SUV conversion)."""
    return read_dicom_series(path, series_uid, modality=modality).image
