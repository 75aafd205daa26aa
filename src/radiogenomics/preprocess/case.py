r"""The inputs of one case: manifest cells → images and masks, on their native and working grids.

:class:`CaseLoader` is the one place that interprets the cells of a manifest row, used by cohort
extraction, segmentation, the CNN stage and the report:

1. **Images** (:meth:`CaseLoader.native`): a NIfTI/NRRD/MetaImage file, or a DICOM series folder read as the
   modality's DICOM type (:func:`radiogenomics.io.modality.dicom_modality`). A DICOM PET is converted to SUV
   from its tags (:func:`radiogenomics.io.suv.pet_to_suv`, step ``suv``); a PET *file* must already hold SUV —
   a maximum above :attr:`WorkingGrid.pet_suv_limit` (activity concentration in Bq/mL is in the thousands) is
   refused with :class:`~radiogenomics.errors.SuvError`.
2. **Masks** (:meth:`CaseLoader.native_mask`): a label map (``file#n`` selects label ``n``), a DICOM SEG
   (``seg.dcm#3`` or ``seg.dcm#Neoplasm`` selects a segment) or a DICOM RTSTRUCT (``rt.dcm#GTV`` selects an
   ROI), rasterised on the image of the grid it was drawn on; checked against that image's geometry with
   the ROI's tolerance (:class:`~radiogenomics.errors.GeometryMismatchError`, step ``geometry``; with
   ``correct`` it is resampled instead) and then given the image's exact geometry.
3. **Working grids** (:class:`WorkingGrid`): the CT grid centre-cropped in-plane to ``crop_size``; the PET
   resampled onto that cropped CT grid (``interpolation``; voxels outside the PET's extent get 0) unless
   ``pet_grid = "native"``; other modalities keep their own (cropped) grid. Masks are carried onto a working
   grid by slicing (same grid) or nearest neighbour (another grid). Optional whole-image normalisation
   (PyRadiomics' ``normalize`` formula) comes last.

Every value is computed once per loader and memoised; an error is remembered too, so every result that
needs a failed step fails alike. Errors are raised as :class:`CaseStepError`, which names the step
(``load``, ``suv``, ``geometry``, ``preprocess``) and carries the original typed error; inside
:func:`original_errors` the typed error itself is raised.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from radiogenomics.errors import (
    GeometryMismatchError,
    ImageReadError,
    InvalidMaskError,
    SuvError,
    UnknownNameError,
)
from radiogenomics.image import Image, Mask, check_geometry
from radiogenomics.io.manifest import MASK_COLUMN, Manifest
from radiogenomics.io.modality import dicom_modality, read_label_map
from radiogenomics.io.volume import read_image
from radiogenomics.preprocess.normalise import normalise
from radiogenomics.preprocess.regrid import resample_to_reference
from radiogenomics.table import is_modality

__all__ = [
    "STEPS", "CaseLoader", "CaseStepError", "MaskCheck", "WorkingGrid", "crop_box", "original_errors", "split_cell",
]

logger = logging.getLogger(__name__)

#: Steps of loading a case, in order (the ``step`` of a :class:`CaseStepError`).
STEPS = ("load", "suv", "geometry", "preprocess")


@dataclass(frozen=True)
class WorkingGrid:
    """How the images of a case are put on their working grids (module docstring, item 3).

    Attributes
    ----------
    pet_grid
        ``"ct"``: the PET is resampled onto the (cropped) CT grid; ``"native"``: it keeps its own grid.
    interpolation
        Kernel resampling the PET onto the CT grid (masks always use nearest neighbour).
    crop_size
        In-plane ``(x, y)`` size of the centre crop, or ``None`` for none; a smaller image keeps its extent.
    normalise, normalise_scale, normalise_remove_outliers
        Whole-image normalisation of each working image (PyRadiomics' ``normalize``), after cropping.
    pet_suv_limit
        A PET file whose maximum exceeds this is refused as not being in SUV; ``None`` disables the check.
    nonuniform
        A DICOM series with uneven slice spacing: ``error`` or ``resample``
        (:func:`radiogenomics.io.dicom.read_dicom_series`).
    """

    pet_grid: Literal["ct", "native"] = "ct"
    interpolation: str = "linear"
    crop_size: tuple[int, int] | None = None
    normalise: bool = False
    normalise_scale: float = 1.0
    normalise_remove_outliers: float | None = None
    pet_suv_limit: float | None = 100.0
    nonuniform: str = "error"


@dataclass(frozen=True)
class MaskCheck:
    """Geometry check of a mask against its image: ``tolerance`` (``None``: the default of
    :func:`radiogenomics.image.check_geometry`) and whether a mismatch is ``correct``-ed by resampling."""

    tolerance: float | None = None
    correct: bool = False


class CaseStepError(Exception):
    """A step of loading a case failed; ``error`` is the original (typed) exception.

    Attributes
    ----------
    step
        One of :data:`STEPS` (or a caller's own step name).
    error
        The exception raised by the step.
    source
        The input concerned (a manifest column), prefixed to the message when set.
    """

    def __init__(self, step: str, error: BaseException, source: str = ""):
        super().__init__(step, error)
        self.step, self.error, self.source = step, error, source

    @property
    def message(self) -> str:
        """One-line message: ``"<source>: <error message>"``."""
        text = " ".join(str(self.error).split()) or type(self.error).__name__
        if self.source and not text.startswith(f"{self.source}:"):
            text = f"{self.source}: {text}"
        return text

    def __str__(self) -> str:
        return f"{self.step}: {self.message}"


@contextlib.contextmanager
def original_errors() -> Iterator[None]:
    """Inside the block a :class:`CaseStepError` is raised as the error it carries (for callers that report
    a case's failure by its typed error rather than by step)."""
    try:
        yield
    except CaseStepError as exc:
        raise exc.error from None


def split_cell(text: str) -> tuple[Path, str | None]:
    """The path and ROI selector of an input cell: ``"seg.dcm#3"`` → ``(seg.dcm, "3")``; a path that exists as
    written (even with a ``#`` in its name) has no selector."""
    if "#" in text and not Path(text).exists():
        head, tail = text.rsplit("#", 1)
        return Path(head), tail
    return Path(text), None


def crop_box(shape: tuple[int, ...], crop_size: tuple[int, int] | None) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Inclusive ``(lower, upper)`` array indices of the centre crop of an array of ``shape`` (``z, y, x``).

    Along x and y, an axis of :math:`n > s` voxels (crop size :math:`s`) keeps indices
    :math:`\\lfloor (n - s)/2 \\rfloor \\dots \\lfloor (n - s)/2 \\rfloor + s - 1`; every other axis is kept whole.
    """
    lower, upper = [0] * len(shape), [n - 1 for n in shape]
    if crop_size is not None:
        for axis, size in zip((len(shape) - 1, len(shape) - 2), crop_size, strict=True):
            n = shape[axis]
            if n > size:
                lower[axis] = (n - size) // 2
                upper[axis] = lower[axis] + size - 1
    return tuple(lower), tuple(upper)


def _is_dicom_file(path: Path) -> bool:
    if path.suffix.lower() in (".dcm", ".ima") or "." not in path.name:
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return head[128:132] == b"DICM"


def _stepped(step: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn``; an exception becomes a :class:`CaseStepError` of ``step``."""
    try:
        return fn()
    except CaseStepError:
        raise
    except Exception as exc:  # recorded as a failure of this step by the caller
        raise CaseStepError(step, exc) from None


class CaseLoader:
    """Lazily loaded, memoised images and masks of one case (module docstring).

    Parameters
    ----------
    case_id
        The case (used in log messages only).
    cells
        ``{manifest column: absolute path}`` of the inputs, a path optionally followed by ``#selector``.
    grid
        How working grids are made (default: native grids, no crop, no normalisation, SUV check on).
    mask_check
        ``column → MaskCheck`` for the geometry check of each mask column (default: exact geometry).
    """

    def __init__(self, case_id: str, cells: Mapping[str, str | Path], grid: WorkingGrid | None = None,
                 mask_check: Callable[[str], MaskCheck] | None = None):
        self.case_id = case_id
        self.cells = {str(k): str(v) for k, v in cells.items()}
        self.grid = grid or WorkingGrid()
        self.mask_check = mask_check or (lambda _column: MaskCheck())
        self._memo: dict[tuple[str, ...], Any] = {}
        self._dicom: dict[str, Any] = {}  # modality → DicomVolume of an image read from DICOM (its UIDs)
        self._suv: dict[str, Any] | None = None

    @classmethod
    def from_manifest(cls, manifest: Manifest, row: int, grid: WorkingGrid | None = None,
                      mask_check: Callable[[str], MaskCheck] | None = None) -> CaseLoader:
        """The loader of manifest row ``row``: its non-empty image and mask cells (``auto:`` masks, which a
        segmentation model has not predicted yet, are left out)."""
        cells: dict[str, str] = {}
        for column in manifest.columns:
            if not (is_modality(column) or MASK_COLUMN.match(column)):
                continue
            text = manifest.cell(row, column)
            if not text or text.startswith("auto:"):
                continue
            path, selector = manifest.input(row, column)
            if path is not None:
                cells[column] = str(path) if selector is None else f"{path}#{selector}"
        return cls(manifest.cell(row, "case_id"), cells, grid, mask_check)

    # ---------------------------------------------------------------------------------------- memo
    def once(self, key: tuple[str, ...], step: str, fn: Callable[[], Any], source: str = "") -> Any:
        """``fn()`` computed once under ``key``; an error is kept as a :class:`CaseStepError` of ``step`` and
        raised again on every later call."""
        if key not in self._memo:
            try:
                self._memo[key] = fn()
            except CaseStepError as exc:
                if source and not exc.source:
                    exc.source = source
                self._memo[key] = exc
            except Exception as exc:  # every error of a case is recorded, the caller decides what fails
                logger.debug("case %s, step %s: %s", self.case_id, step, traceback.format_exc())
                self._memo[key] = CaseStepError(step, exc, source)
        value = self._memo[key]
        if isinstance(value, CaseStepError):
            raise value
        return value

    def has(self, column: str) -> bool:
        """Whether the case has an input in ``column``."""
        return column in self.cells

    def input(self, column: str) -> tuple[Path, str | None]:
        """Path and selector of the input in ``column``."""
        if column not in self.cells:
            raise CaseStepError("load", ImageReadError(f"case {self.case_id!r} has no {column!r} input (empty cell "
                                                       "or no such column)"), column)
        return split_cell(self.cells[column])

    # ------------------------------------------------------------------------------------- images
    def native(self, modality: str) -> Image:
        """The image of ``modality`` on its own grid (a PET in SUV)."""
        return self.once(("native", modality), "load", lambda: self._read_image(modality), modality)

    def _read_image(self, modality: str) -> Image:
        path, _ = self.input(modality)
        if path.is_dir():
            return self._read_dicom(path, modality)
        image = read_image(path)
        limit = self.grid.pet_suv_limit
        if modality == "pet" and limit is not None:
            peak = float(np.nanmax(image.array)) if image.array.size else 0.0
            if peak > limit:
                raise CaseStepError("suv", SuvError(
                    f"maximum {peak:.6g} exceeds pet_suv_limit {limit:g}; the PET looks like activity "
                    "concentration (Bq/mL), not SUV. Give the DICOM series (converted to SUV from its tags) or a "
                    "PET already in SUV, or raise pet_suv_limit"))
        if modality == "pet":
            self._suv = {"method": "file", "factor": None, "decay_s": None, "decayed_fraction": None,
                         "source": "PET file already in SUV (values used as they are)"}
        return image

    def suv_record(self) -> dict[str, Any] | None:
        """How the PET became SUV: ``method`` (``bw``, ``lbm``, ``bsa``, or ``file`` for a PET file already in
        SUV), ``factor`` (SUV per stored unit; the mean of per-slice factors), ``decay_s`` and
        ``decayed_fraction`` of the dose decay correction, and ``source`` (the units branch and tags used).
        ``None`` before the PET is read or for a case without PET."""
        return self._suv

    def _read_dicom(self, path: Path, modality: str) -> Image:
        """A DICOM series folder; a PET is converted to SUV (step ``suv``). The series is kept for its UIDs."""
        # DICOM readers load on first use: pydicom and highdicom take about a second to import
        from radiogenomics.io.dicom import read_dicom_series  # lazy: imports pydicom

        if modality == "pet":
            from radiogenomics.io.suv import suv_scale  # lazy: imports pydicom

            volume = read_dicom_series(path, modality="PT", nonuniform=self.grid.nonuniform)
            self._dicom[modality] = volume
            scale = _stepped("suv", lambda: suv_scale(volume))
            factor = scale.factor
            self._suv = {"method": scale.kind,
                         "factor": float(np.mean(factor)) if isinstance(factor, tuple) else float(factor),
                         "decay_s": scale.decay_time_s, "decayed_fraction": scale.decayed_fraction,
                         "source": scale.source + (" (per-slice factors)" if isinstance(factor, tuple) else "")}
            return _stepped("suv", lambda: scale.apply(volume.image))
        volume = read_dicom_series(path, modality=dicom_modality(modality), nonuniform=self.grid.nonuniform)
        self._dicom[modality] = volume
        return volume.image

    # -------------------------------------------------------------------------------------- masks
    def native_mask(self, column: str, grid: str, check: bool = True) -> Mask:
        """The mask in ``column`` on the native grid of the ``grid`` modality.

        A DICOM SEG or RTSTRUCT is rasterised on that image. With ``check``, a label map must lie on that
        grid (within the column's :class:`MaskCheck`) and is given its exact geometry; without, it is
        returned on its own grid as read.
        """
        return self.once(("mask", column, grid, str(check)), "load",
                         lambda: self._read_mask(column, grid, check), column)

    def _read_mask(self, column: str, grid: str, check: bool) -> Mask:
        path, selector = self.input(column)
        if path.is_file() and _is_dicom_file(path):
            return self._read_dicom_mask(path, selector, grid)
        mask = read_label_map(path, selector)
        if not check:
            return mask
        reference = self.native(grid)
        return _stepped("geometry", lambda: self._on_grid(mask, reference, column, grid))

    def _read_dicom_mask(self, path: Path, selector: str | None, grid: str) -> Mask:
        """A DICOM SEG segment or RTSTRUCT ROI rasterised on the native grid of ``grid``.

        ``selector`` names the segment (number or label) or ROI; without it the file must hold exactly one.
        """
        import pydicom

        kind = str(pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["Modality"])
                   .get("Modality", "")).upper()
        # an image read from DICOM carries its series and frame-of-reference UIDs: the SEG or RTSTRUCT must have
        # been drawn on that series, in that frame of reference (io.seg / io.rtstruct check them)
        reference = self._dicom.get(grid, self.native(grid))
        if kind == "SEG":
            from radiogenomics.io.seg import read_seg  # lazy: imports pydicom

            segments = read_seg(path, reference)
            names = {str(seg.number): seg for seg in segments}
            names.update({seg.label: seg for seg in segments if seg.label})
            if selector is None:
                if len(segments) != 1:
                    raise InvalidMaskError(
                        f"{path.name} holds {len(segments)} segments ("
                        f"{', '.join(f'{s.number}: {s.label}' for s in segments)}); choose one in the manifest, "
                        f"e.g. {path.name}#{segments[0].number}")
                return segments[0].mask
            if selector not in names:
                raise UnknownNameError(f"segment of {path.name}", selector, names)
            return names[selector].mask
        if kind == "RTSTRUCT":
            from radiogenomics.io.rtstruct import read_rtstruct  # lazy: imports pydicom

            rois = read_rtstruct(path, reference, rois=None if selector is None else [selector])
            if len(rois) != 1:
                raise InvalidMaskError(
                    f"{path.name} holds {len(rois)} ROIs ({', '.join(rois)}); choose one in the manifest, e.g. "
                    f"{path.name}#{next(iter(rois), 'ROI')}")
            return next(iter(rois.values()))
        raise ImageReadError(f"{path.name} is a DICOM {kind or 'file'}, not a SEG or RTSTRUCT mask")

    def _on_grid(self, mask: Mask, reference: Image, column: str, grid: str) -> Mask:
        rule = self.mask_check(column)
        try:
            check_geometry(reference, mask, rule.tolerance)
        except GeometryMismatchError as exc:
            if rule.correct:
                logger.warning("case %s: %s not on the %s grid; resampled (correctMask)", self.case_id, column, grid)
                return resample_to_reference(mask, reference)
            raise GeometryMismatchError(f"the mask does not lie on the {grid} grid: {exc}") from None
        # on the grid within the tolerance: take the image's exact geometry
        return Mask(mask.array, reference.spacing, reference.origin, reference.direction)

    # ------------------------------------------------------------------------------ working grids
    def grid_owner(self, modality: str) -> str:
        """The modality whose (cropped) native grid is ``modality``'s working grid."""
        if modality == "pet" and self.grid.pet_grid == "ct" and self.has("ct"):
            return "ct"
        return modality

    def crop_box(self, modality: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Inclusive array indices of the centre crop of ``modality``'s native grid (:func:`crop_box`)."""
        return crop_box(self.native(modality).array.shape, self.grid.crop_size)

    def cropped(self, modality: str) -> Image:
        """The image of ``modality`` on its working grid, before normalisation."""
        def build() -> Image:
            owner = self.grid_owner(modality)
            lower, upper = self.crop_box(owner)
            reference = self.native(owner).region(lower, upper)
            if owner == modality:
                return reference
            return resample_to_reference(self.native(modality), reference, self.grid.interpolation)

        return self.once(("cropped", modality), "preprocess", build)

    def working(self, modality: str) -> Image:
        """The image of ``modality`` on its working grid, normalised if asked."""
        def build() -> Image:
            image = self.cropped(modality)
            if not self.grid.normalise:
                return image
            return normalise(image, self.grid.normalise_scale, self.grid.normalise_remove_outliers)

        return self.once(("working", modality), "preprocess", build)

    def to_working(self, mask: Mask, grid: str, modality: str) -> Mask:
        """A mask on the native grid of ``grid`` carried onto ``modality``'s working grid."""
        owner = self.grid_owner(modality)
        if owner == grid:
            lower, upper = self.crop_box(owner)
            out = mask.region(lower, upper)
        else:
            out = resample_to_reference(mask, self.cropped(modality))
        if owner == grid and self.grid.crop_size is not None:
            lost = int(np.count_nonzero(mask.array)) - int(np.count_nonzero(out.array))
            if lost > 0:
                logger.warning("case %s: the centre crop %s cuts %d ROI voxel(s) off on the %s grid",
                               self.case_id, self.grid.crop_size, lost, owner)
        return out

    def working_mask(self, column: str, grid: str, modality: str) -> Mask:
        """The mask in ``column`` (drawn on ``grid``'s native grid) on ``modality``'s working grid."""
        return self.once(("working_mask", column, grid, modality), "preprocess",
                         lambda: self.to_working(self.native_mask(column, grid), grid, modality))
