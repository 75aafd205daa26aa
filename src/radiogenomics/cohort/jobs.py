r"""Units of work of a cohort run and the per-case pipeline that computes them.

A *part* is one ``(roi, modality)`` result of one case, e.g. ``("tumour", "pet")``; its features become
the columns ``tumour_pet__<feature>``. A :class:`CaseJob` computes the parts of one case that are not
cached yet (loading and resampling the case's volumes once for all of them) and returns a
:class:`JobResult`; :func:`run_job` is the function executed on the workers.

Pipeline of one case (seed 001, Methods 2.2–2.4; :class:`~radiogenomics.cohort.settings.CohortSettings`)
----------------------------------------------------------------------------------------------------------
1. **Load** each input once: NIfTI/NRRD/MetaImage files, or a DICOM series folder. A DICOM PET is converted
   to SUV from its tags (:func:`radiogenomics.io.suv.pet_to_suv`); a PET *file* must already be in SUV —
   a maximum above ``pet_suv_limit`` (Bq/mL values are in the thousands) is refused with
   :class:`~radiogenomics.errors.SuvError`.
2. **Geometry**: every mask is checked against the image of the grid it was drawn on (``<roi>_mask``: the
   CT; ``<roi>_mask_<modality>``: that modality), with the ROI's ``geometryTolerance``
   (:class:`~radiogenomics.errors.GeometryMismatchError` otherwise; ``correctMask`` resamples instead).
3. **Working grid** of each modality: the CT grid, centre-cropped in-plane to ``crop_size``; the PET is
   resampled onto that cropped CT grid (``interpolation``, linear by default; voxels outside the PET's
   extent get SUV 0) unless ``pet_grid = "native"``, when it keeps its own (cropped) grid; other
   modalities keep their own grid. Cropping a volume on its own grid is slicing, never interpolation.
4. **Masks** are carried onto the working grid of the modality with nearest neighbour. So the tumour-PET
   ROI is, by default, ``tumour_mask_pet`` (drawn on the PET) resampled onto the CT grid next to the PET
   resampled onto the CT grid — both in the same physical frame; without a ``tumour_mask_pet`` column
   the CT contour ``tumour_mask`` is used for the PET as well. Use per-modality masks when the contours
   differ (in ``sts_petct`` patient STS_019 the CT and PET contours are 7 mm apart).
5. **Normalisation** (optional, ``normalise``) of each whole working image.
6. **BAT** (:func:`radiogenomics.bat.bat_mask`) on the cropped CT grid, from the un-normalised CT (HU) and
   the PET (SUV) resampled onto it with ``bat.interpolation``; the BAT-PET ROI is that mask on the PET's
   working grid. A case without BAT gives status ``empty``; a BAT too small for features ``too_small``
   — both reported, neither a failure.
7. **Extraction** (:func:`radiogenomics.features.extractor.extract`) with the ROI's settings.

Every error is caught per stage and recorded as a :class:`Failure` (``case_id``, ``stage``, error type,
message); the parts that need the failed step fail, the others of the case go on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from radiogenomics.cohort.settings import BAT_ROI, CohortSettings

__all__ = [
    "STAGES",
    "CaseJob",
    "Failure",
    "JobResult",
    "PartResult",
    "PartSpec",
    "part_inputs",
    "run_job",
    "single_threaded",
]

logger = logging.getLogger(__name__)

#: Stages of the pipeline, in order (the ``stage`` of a :class:`Failure`).
STAGES = ("manifest", "checksum", "load", "suv", "geometry", "preprocess", "bat", "extract", "worker")

#: Outcomes of one part. ``empty``/``too_small`` happen only for the computed BAT ROI.
STATUSES = ("ok", "empty", "too_small", "failed")


@dataclass(frozen=True)
class Failure:
    """One failed stage of one case.

    Attributes
    ----------
    case_id, stage
        Where it happened (``stage`` is one of :data:`STAGES`).
    error_type, message
        The exception's class name and message.
    roi, modality
        The part concerned (empty when the stage serves several parts, e.g. loading the CT).
    """

    case_id: str
    stage: str
    error_type: str
    message: str
    roi: str = ""
    modality: str = ""


@dataclass(frozen=True)
class PartSpec:
    """One part of a case as the workers need it.

    Attributes
    ----------
    roi, modality
        The part.
    key
        Cache key of its result.
    mask_column
        Manifest column of its mask (``None`` for the computed BAT ROI).
    mask_grid
        Modality whose native grid the mask was drawn on.
    """

    roi: str
    modality: str
    key: str
    mask_column: str | None = None
    mask_grid: str | None = None


@dataclass(frozen=True)
class CaseJob:
    """Parts of one case to compute, with everything a worker needs (picklable).

    Attributes
    ----------
    case_id
        The case.
    paths
        ``{manifest column: absolute path}`` of every input the parts use.
    parts
        The parts to compute.
    settings
        The run's settings.
    tumour_mask
        ``(column, grid modality)`` of the tumour mask excluded from BAT (``bat_exclude_tumour``).
    cost
        Estimated cost, used only to schedule expensive jobs first.
    """

    case_id: str
    paths: dict[str, str]
    parts: tuple[PartSpec, ...]
    settings: CohortSettings
    tumour_mask: tuple[str, str] | None = None
    cost: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.case_id}:{'+'.join(f'{p.roi}_{p.modality}' for p in self.parts)}"


@dataclass(frozen=True)
class PartResult:
    """Result of one part.

    Attributes
    ----------
    case_id, roi, modality, key
        The part and its cache key.
    status
        ``ok``, ``empty``, ``too_small`` or ``failed``.
    names, values
        Feature names (PyRadiomics order) and float64 values; empty unless ``status == "ok"``.
    n_voxels
        Voxels of the ROI on the working grid (``None`` when unknown).
    seconds
        Wall time of the extraction.
    """

    case_id: str
    roi: str
    modality: str
    key: str
    status: str
    names: tuple[str, ...] = ()
    values: tuple[float, ...] = ()
    n_voxels: int | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class JobResult:
    """What a worker returns for one :class:`CaseJob`."""

    case_id: str
    parts: tuple[PartResult, ...]
    failures: tuple[Failure, ...] = ()
    seconds: float = 0.0
    pid: int = field(default_factory=os.getpid)


# ------------------------------------------------------------------------------------------------ planning
def part_inputs(manifest: Any, settings: CohortSettings, row: int, roi: str, modality: str) -> dict[str, str]:
    """Manifest columns a part needs, by role (``image``, ``mask``, ``mask_grid``, ``reference``, …).

    Parameters
    ----------
    manifest
        :class:`~radiogenomics.cohort.manifest.Manifest`.
    settings
        The run's settings.
    row
        Row of the case in the manifest.
    roi, modality
        The part.
    """
    modalities = manifest.modalities
    out: dict[str, str] = {"image": modality}
    if modality == "pet" and settings.pet_grid == "ct" and "ct" in modalities:
        out["reference"] = "ct"
    if roi == BAT_ROI:
        out["bat_ct"], out["bat_pet"] = "ct", "pet"
        if settings.bat_exclude_tumour:
            column, grid = manifest.mask_column(row, "tumour", "ct")
            if column is not None:
                out["bat_tumour"] = column
                out["bat_tumour_grid"] = grid
        return out
    column, grid = manifest.mask_column(row, roi, modality)
    if column is not None:
        out["mask"] = column
        if grid != modality:
            out["mask_grid"] = grid
    return out


# ------------------------------------------------------------------------------------------------ workers
class _StageError(Exception):
    """An error in one stage of a case, remembered so that every part needing the step fails alike."""

    def __init__(self, stage: str, error: BaseException, roi: str = "", modality: str = "", source: str = ""):
        super().__init__(stage, error)
        self.stage, self.error, self.roi, self.modality, self.source = stage, error, roi, modality, source

    def failure(self, case_id: str) -> Failure:
        message = " ".join(str(self.error).split()) or type(self.error).__name__
        if self.source and not message.startswith(f"{self.source}:"):
            message = f"{self.source}: {message}"
        return Failure(case_id, self.stage, type(self.error).__name__, message, self.roi, self.modality)


def _is_dicom_file(path: Path) -> bool:
    if path.suffix.lower() in (".dcm", ".ima") or "." not in path.name:
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return head[128:132] == b"DICM"


def _dicom_modality(path: Path) -> str:
    import pydicom

    ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["Modality"])
    return str(ds.get("Modality", "")).upper()


class _Case:
    """Lazily loaded, memoised inputs and intermediate volumes of one case (inside a worker)."""

    def __init__(self, job: CaseJob):
        self.job = job
        self.s = job.settings
        self._memo: dict[tuple[str, ...], Any] = {}

    def _once(self, key: tuple[str, ...], stage: str, fn: Callable[[], Any], source: str = "") -> Any:
        if key not in self._memo:
            try:
                self._memo[key] = fn()
            except _StageError as exc:
                if source and not exc.source:
                    exc.source = source
                self._memo[key] = exc
            except Exception as exc:  # every error of a case is recorded, the cohort goes on
                logger.debug("case %s, stage %s: %s", self.job.case_id, stage, traceback.format_exc())
                self._memo[key] = _StageError(stage, exc, source=source)
        value = self._memo[key]
        if isinstance(value, _StageError):
            raise value
        return value

    def _path(self, column: str) -> Path:
        return self._input(column)[0]

    def _input(self, column: str) -> tuple[Path, str | None]:
        """Path and ROI selector (``file#selector``, see :meth:`Manifest.input`) of an input."""
        text = self.job.paths[column]
        if "#" in text and not Path(text).exists():
            head, tail = text.rsplit("#", 1)
            return Path(head), tail
        return Path(text), None

    # ---- loading ----------------------------------------------------------------------------------
    def native(self, modality: str) -> Any:
        """The image of ``modality`` on its own grid (PET in SUV)."""
        return self._once(("native", modality), "load", lambda: self._read_image(modality), modality)

    def _read_image(self, modality: str) -> Any:
        from radiogenomics.errors import SuvError
        from radiogenomics.io import read_image

        path = self._path(modality)
        if path.is_dir():
            image = self._read_dicom(path, modality)
        else:
            image = read_image(path)
        if modality == "pet" and not path.is_dir() and self.s.pet_suv_limit is not None:
            peak = float(np.nanmax(image.array)) if image.array.size else 0.0
            if peak > self.s.pet_suv_limit:
                raise _StageError("suv", SuvError(
                    f"maximum {peak:.6g} exceeds pet_suv_limit {self.s.pet_suv_limit:g}; the PET looks like "
                    "activity concentration (Bq/mL), not SUV. Give the DICOM series (converted to SUV from its "
                    "tags) or a PET already in SUV, or raise pet_suv_limit"))
        return image

    def _read_dicom(self, path: Path, modality: str) -> Any:
        from radiogenomics.io.dicom import read_dicom_series
        from radiogenomics.io.modality import dicom_modality

        if modality == "pet":  # as io.modality.read_modality_image, with SUV errors reported as the 'suv' stage
            from radiogenomics.io.suv import pet_to_suv

            volume = read_dicom_series(path, modality="PT")
            return _stage("suv", lambda: pet_to_suv(volume))
        return read_dicom_series(path, modality=dicom_modality(modality)).image

    def native_mask(self, column: str, grid: str) -> Any:
        """The mask in ``column``, checked against (and snapped onto) the native grid of ``grid``."""
        return self._once(("mask", column, grid), "load", lambda: self._read_mask(column, grid), column)

    def _read_mask(self, column: str, grid: str) -> Any:
        from radiogenomics.io import read_mask

        path, selector = self._input(column)
        if path.is_file() and _is_dicom_file(path):
            mask = self._read_dicom_mask(path, selector, grid)
        else:
            mask = read_mask(path)
            if selector is not None:  # a label of a label map: mask.nii.gz#2
                from radiogenomics.errors import InvalidMaskError

                if not selector.isdigit():
                    raise InvalidMaskError(f"{path.name}#{selector}: a label map's selector is a label value")
                mask = mask.with_array(mask.array == int(selector))
        reference = self.native(grid)
        return _stage("geometry", lambda: self._on_grid(mask, reference, column, grid))

    def _read_dicom_mask(self, path: Path, selector: str | None, grid: str) -> Any:
        """A DICOM SEG segment or RTSTRUCT ROI on the native grid of ``grid``.

        ``selector`` names the segment (number or label) or ROI; without it the file must hold exactly one.
        """
        from radiogenomics.errors import ImageReadError, InvalidMaskError, UnknownNameError

        kind = _dicom_modality(path)
        reference = self.native(grid)
        if kind == "SEG":
            from radiogenomics.io.seg import read_seg

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
            from radiogenomics.io.rtstruct import read_rtstruct

            rois = read_rtstruct(path, reference, rois=None if selector is None else [selector])
            if len(rois) != 1:
                raise InvalidMaskError(
                    f"{path.name} holds {len(rois)} ROIs ({', '.join(rois)}); choose one in the manifest, e.g. "
                    f"{path.name}#{next(iter(rois), 'ROI')}")
            return next(iter(rois.values()))
        raise ImageReadError(f"{path.name} is a DICOM {kind or 'file'}, not a SEG or RTSTRUCT mask")

    def _on_grid(self, mask: Any, reference: Any, column: str, grid: str) -> Any:
        from radiogenomics.errors import GeometryMismatchError
        from radiogenomics.image import Mask, check_geometry
        from radiogenomics.preprocess.regrid import resample_to_reference

        roi_settings = self._roi_settings_for(column)
        tolerance = roi_settings.geometry_tolerance if roi_settings is not None else None
        try:
            check_geometry(reference, mask, tolerance)
        except GeometryMismatchError as exc:
            if roi_settings is not None and roi_settings.correct_mask:
                logger.warning("case %s: %s not on the %s grid; resampled (correctMask)", self.job.case_id, column,
                               grid)
                return resample_to_reference(mask, reference)
            raise GeometryMismatchError(f"the mask does not lie on the {grid} grid: {exc}") from None
        # on the grid within the tolerance: take the image's exact geometry
        return Mask(mask.array, reference.spacing, reference.origin, reference.direction)

    def _roi_settings_for(self, column: str) -> Any:
        """Extraction settings of the ROI whose mask is in ``column`` (``<roi>_mask[_<modality>]``)."""
        return self.s.extraction.get(column.split("_mask")[0])

    # ---- working grids ----------------------------------------------------------------------------
    def crop_box(self, modality: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Inclusive ``(lower, upper)`` array indices of the centre crop of ``modality``'s native grid."""
        shape = self.native(modality).array.shape
        lower, upper = [0] * len(shape), [n - 1 for n in shape]
        if self.s.crop_size is not None:
            for axis, size in zip((len(shape) - 1, len(shape) - 2), self.s.crop_size, strict=True):
                n = shape[axis]
                if n > size:
                    lower[axis] = (n - size) // 2
                    upper[axis] = lower[axis] + size - 1
        return tuple(lower), tuple(upper)

    def grid_owner(self, modality: str) -> str:
        """The modality whose (cropped) native grid is ``modality``'s working grid."""
        if modality == "pet" and self.s.pet_grid == "ct" and "ct" in self.job.paths:
            return "ct"
        return modality

    def cropped(self, modality: str) -> Any:
        """The image of ``modality`` on its working grid, before normalisation."""
        def build() -> Any:
            owner = self.grid_owner(modality)
            lower, upper = self.crop_box(owner)
            reference = self.native(owner).region(lower, upper)
            if owner == modality:
                return reference
            from radiogenomics.preprocess.regrid import resample_to_reference

            return resample_to_reference(self.native(modality), reference, self.s.interpolation)

        return self._once(("cropped", modality), "preprocess", build)

    def working(self, modality: str) -> Any:
        """The image of ``modality`` on its working grid, normalised if asked."""
        def build() -> Any:
            image = self.cropped(modality)
            if not self.s.normalise:
                return image
            from radiogenomics.preprocess import normalise

            return normalise(image, self.s.normalise_scale, self.s.normalise_remove_outliers)

        return self._once(("working", modality), "preprocess", build)

    def to_working(self, mask: Any, grid: str, modality: str) -> Any:
        """A mask on the native grid of ``grid`` carried onto ``modality``'s working grid."""
        owner = self.grid_owner(modality)
        if owner == grid:
            lower, upper = self.crop_box(owner)
            out = mask.region(lower, upper)
        else:
            from radiogenomics.preprocess.regrid import resample_to_reference

            out = resample_to_reference(mask, self.cropped(modality))
        if owner == grid and self.s.crop_size is not None:
            lost = int(np.count_nonzero(mask.array)) - int(np.count_nonzero(out.array))
            if lost > 0:
                logger.warning("case %s: the centre crop %s cuts %d ROI voxel(s) off on the %s grid",
                               self.job.case_id, self.s.crop_size, lost, owner)
        return out

    def roi(self, spec: PartSpec) -> Any:
        """The ROI mask of a (non-BAT) part on its modality's working grid."""
        def build() -> Any:
            if spec.mask_column is None:
                from radiogenomics.errors import InvalidMaskError

                raise InvalidMaskError(f"no mask column for ROI {spec.roi!r} and modality {spec.modality!r}")
            mask = self.native_mask(spec.mask_column, spec.mask_grid or spec.modality)
            return self.to_working(mask, spec.mask_grid or spec.modality, spec.modality)

        return self._once(("roi", spec.roi, spec.modality), "preprocess", build)

    def bat(self) -> Any:
        """The BAT rule's result on the cropped CT grid."""
        def build() -> Any:
            from radiogenomics.bat import bat_mask

            ct = self.cropped("ct")
            if self.grid_owner("pet") == "ct" and self.s.bat.interpolation == self.s.interpolation:
                pet = self.cropped("pet")  # already resampled onto this grid with the same kernel
            else:
                pet = self.native("pet")
            tumour = None
            if self.job.tumour_mask is not None:
                column, grid = self.job.tumour_mask
                tumour = self.to_working(self.native_mask(column, grid), grid, "ct")
            return _stage("bat", lambda: bat_mask(ct, pet, self.s.bat, tumour=tumour))

        return self._once(("bat",), "bat", build)

    def bat_roi(self, modality: str) -> Any:
        """The BAT mask on ``modality``'s working grid."""
        def build() -> Any:
            mask = self.bat().mask
            if self.grid_owner(modality) == "ct":
                return mask
            from radiogenomics.preprocess.regrid import resample_to_reference

            return resample_to_reference(mask, self.cropped(modality))

        return self._once(("bat_roi", modality), "bat", build)


def _stage(stage: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn``; an exception becomes a :class:`_StageError` of ``stage``."""
    try:
        return fn()
    except _StageError:
        raise
    except Exception as exc:  # recorded as a failure of this stage
        raise _StageError(stage, exc) from None


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run native libraries single-threaded inside the block (settings restored afterwards).

    SimpleITK's multi-threaded statistics (used by the ``normalize`` setting) sum in an order that depends
    on the number of threads, and so does a multi-threaded BLAS: the last bits of some features would depend
    on the machine and the executor. Every job runs single-threaded, so a table is byte-identical whether
    it was computed in this process, a process pool or a Dask cluster; parallelism comes from the cases.
    """
    import SimpleITK as sitk

    before = sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl is a dependency
            yield
        else:
            with threadpool_limits(limits=1):
                yield
    finally:
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(before)


def _compute(case: _Case, spec: PartSpec) -> PartResult:
    from radiogenomics.errors import EmptyMaskError, TooFewDimensionsError, TooSmallMaskError
    from radiogenomics.features.extractor import extract

    job = case.job
    settings = case.s.extraction[spec.roi]
    image = case.working(spec.modality)
    if spec.roi == BAT_ROI:
        bat = case.bat()
        if bat.empty:
            logger.info("case %s: no brown adipose tissue (BAT empty)", job.case_id)
            return PartResult(job.case_id, spec.roi, spec.modality, spec.key, "empty", n_voxels=0)
        mask = case.bat_roi(spec.modality)
    else:
        mask = case.roi(spec)
    n_voxels = int(np.count_nonzero(mask.array))
    t0 = time.perf_counter()
    try:
        series = extract(image, mask, settings=settings)
    except (EmptyMaskError, TooSmallMaskError, TooFewDimensionsError) as exc:
        if spec.roi == BAT_ROI:
            status = "empty" if isinstance(exc, EmptyMaskError) else "too_small"
            logger.info("case %s: BAT on %s is %s (%s)", job.case_id, spec.modality, status, exc)
            return PartResult(job.case_id, spec.roi, spec.modality, spec.key, status, n_voxels=n_voxels)
        raise _StageError("extract", exc, spec.roi, spec.modality) from None
    except Exception as exc:  # recorded as a failure of this part
        logger.debug("case %s %s/%s: %s", job.case_id, spec.roi, spec.modality, traceback.format_exc())
        raise _StageError("extract", exc, spec.roi, spec.modality) from None
    return PartResult(
        job.case_id, spec.roi, spec.modality, spec.key, "ok",
        names=tuple(str(n) for n in series.index), values=tuple(float(v) for v in series.to_numpy(np.float64)),
        n_voxels=n_voxels, seconds=time.perf_counter() - t0,
    )


def run_job(job: CaseJob) -> JobResult:
    """Compute the parts of one case (the function the executors run).

    Never raises for a problem of the case: failures are returned in :attr:`JobResult.failures`, one per
    failed stage, and the parts that needed it have status ``failed``.
    """
    t0 = time.perf_counter()
    case = _Case(job)
    results: list[PartResult] = []
    failures: dict[tuple[str, ...], Failure] = {}
    with single_threaded():
        for spec in job.parts:
            try:
                results.append(_compute(case, spec))
            except _StageError as exc:
                failure = exc.failure(job.case_id)
                failures.setdefault((failure.stage, failure.error_type, failure.message, failure.roi,
                                     failure.modality), failure)
                results.append(PartResult(job.case_id, spec.roi, spec.modality, spec.key, "failed"))
    logger.debug("job %s done in %.2f s", job.name, time.perf_counter() - t0)
    return JobResult(job.case_id, tuple(results), tuple(failures.values()), time.perf_counter() - t0)
