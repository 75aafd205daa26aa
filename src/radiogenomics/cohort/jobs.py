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
7. **Extraction** (:func:`radiogenomics.features.extractor.extract`) with the ROI's settings, or in ``mode:
   ibsi`` the IBSI-1 features (:func:`radiogenomics.ibsi.compute_ibsi`) with the ROI's IBSI settings.
8. **SUV quantification** of every PET result (``suv_features``, :mod:`radiogenomics.features.suv`) on the
   native PET grid in SUV: the ROI is the PET-grid contour, or the CT-grid contour / BAT mask resampled onto
   the PET with nearest neighbour.

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
from typing import Any

import numpy as np
import pandas as pd
import SimpleITK as sitk
from threadpoolctl import threadpool_limits

from radiogenomics.bat import bat_mask
from radiogenomics.cohort.settings import BAT_ROI, CohortSettings
from radiogenomics.errors import EmptyMaskError, InvalidMaskError, TooFewDimensionsError, TooSmallMaskError
from radiogenomics.features.extractor import extract
from radiogenomics.features.suv import FEATURES as SUV_FEATURES
from radiogenomics.features.suv import suv_features
from radiogenomics.ibsi.compute import ibsi_series
from radiogenomics.image import Mask
from radiogenomics.preprocess.case import CaseLoader, CaseStepError
from radiogenomics.preprocess.regrid import resample_to_reference

__all__ = [
    "STAGES",
    "CaseJob",
    "Failure",
    "JobResult",
    "PackedMask",
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
    mask
        The ROI on the working grid (freshly computed results; ``None`` from the cache or when masks are
        not saved).
    suv
        How the PET became SUV (:meth:`~radiogenomics.preprocess.case.CaseLoader.suv_record`), for PET results.
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
    mask: PackedMask | None = field(default=None, repr=False, compare=False)
    suv: dict[str, Any] | None = field(default=None, compare=False)


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
        :class:`~radiogenomics.io.manifest.Manifest`.
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
@dataclass(frozen=True)
class PackedMask:
    """A mask compressed for the trip from a worker: its bounding box as packed bits plus the full geometry.

    :meth:`unpack` gives back the exact :class:`~radiogenomics.image.Mask` (0/1 ``uint8``) on the full grid.
    """

    shape: tuple[int, ...]
    lower: tuple[int, ...]
    box: tuple[int, ...]
    bits: bytes
    spacing: tuple[float, ...]
    origin: tuple[float, ...]
    direction: tuple[float, ...]

    @classmethod
    def pack(cls, mask: Mask) -> PackedMask:
        roi = np.asarray(mask.array) > 0
        idx = np.nonzero(roi)
        if idx[0].size:
            lower = tuple(int(i.min()) for i in idx)
            upper = tuple(int(i.max()) for i in idx)
        else:
            lower = upper = (0,) * roi.ndim
        sub = roi[tuple(slice(lo, hi + 1) for lo, hi in zip(lower, upper, strict=True))]
        return cls(roi.shape, lower, sub.shape, np.packbits(sub).tobytes(), tuple(mask.spacing),
                   tuple(mask.origin), tuple(mask.direction))

    def unpack(self) -> Mask:
        n = int(np.prod(self.box))
        sub = np.unpackbits(np.frombuffer(self.bits, np.uint8), count=n).reshape(self.box)
        full = np.zeros(self.shape, np.uint8)
        full[tuple(slice(lo, lo + k) for lo, k in zip(self.lower, self.box, strict=True))] = sub
        return Mask(full, self.spacing, self.origin, self.direction)


class _Case(CaseLoader):
    """The loader of one case inside a worker (:class:`~radiogenomics.preprocess.case.CaseLoader`) plus the
    cohort's computed ROIs: the BAT rule and the parts' masks."""

    def __init__(self, job: CaseJob):
        s = job.settings
        super().__init__(job.case_id, job.paths, s.working_grid(), s.mask_check)
        self.job, self.s = job, s

    def roi(self, spec: PartSpec) -> Mask:
        """The ROI mask of a (non-BAT) part on its modality's working grid."""
        if spec.mask_column is None:
            raise CaseStepError("preprocess", InvalidMaskError(
                f"no mask column for ROI {spec.roi!r} and modality {spec.modality!r}"))
        return self.working_mask(spec.mask_column, spec.mask_grid or spec.modality, spec.modality)

    def bat(self) -> Any:
        """The BAT rule's result on the cropped CT grid."""
        def build() -> Any:
            ct = self.cropped("ct")
            if self.grid_owner("pet") == "ct" and self.s.bat.interpolation == self.s.interpolation:
                pet = self.cropped("pet")  # already resampled onto this grid with the same kernel
            else:
                pet = self.native("pet")
            tumour = None
            if self.job.tumour_mask is not None:
                column, grid = self.job.tumour_mask
                tumour = self.working_mask(column, grid, "ct")
            return _stage("bat", lambda: bat_mask(ct, pet, self.s.bat, tumour=tumour))

        return self.once(("bat",), "bat", build)

    def bat_roi(self, modality: str) -> Mask:
        """The BAT mask on ``modality``'s working grid."""
        def build() -> Mask:
            mask = self.bat().mask
            if self.grid_owner(modality) == "ct":
                return mask
            return resample_to_reference(mask, self.cropped(modality))

        return self.once(("bat_roi", modality), "bat", build)

    def pet_roi(self, spec: PartSpec) -> Mask:
        """The ROI of a PET part on the native PET grid: the PET-grid contour as drawn, else the CT-grid contour
        (or the BAT mask) resampled onto the PET with nearest neighbour."""
        def build() -> Mask:
            pet = self.native("pet")
            if spec.roi == BAT_ROI:
                return resample_to_reference(self.bat().mask, pet)
            grid = spec.mask_grid or spec.modality
            mask = self.native_mask(str(spec.mask_column), grid)
            return mask if grid == "pet" else resample_to_reference(mask, pet)

        return self.once(("pet_roi", spec.roi), "preprocess", build)


def _stage(stage: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn``; an exception becomes a :class:`CaseStepError` of ``stage``."""
    try:
        return fn()
    except CaseStepError:
        raise
    except Exception as exc:  # recorded as a failure of this stage
        raise CaseStepError(stage, exc) from None


def _failure(case_id: str, exc: CaseStepError, roi: str = "", modality: str = "") -> Failure:
    return Failure(case_id, exc.step, type(exc.error).__name__, exc.message, roi, modality)


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run native libraries single-threaded inside the block (settings restored afterwards).

    SimpleITK's multi-threaded statistics (used by the ``normalize`` setting) sum in an order that depends
    on the number of threads, and so does a multi-threaded BLAS: the last bits of some features would depend
    on the machine and the executor. Every job runs single-threaded, so a table is byte-identical whether
    it was computed in this process, a process pool or a Dask cluster; parallelism comes from the cases.
    """
    before = sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(before)


def _compute(case: _Case, spec: PartSpec) -> PartResult:
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
    packed = PackedMask.pack(mask) if case.s.save_masks else None
    t0 = time.perf_counter()
    try:
        if case.s.mode == "ibsi":
            series = ibsi_series(image, mask, case.s.ibsi[spec.roi])
        else:
            series = extract(image, mask, settings=settings)
    except (EmptyMaskError, TooSmallMaskError, TooFewDimensionsError) as exc:
        if spec.roi == BAT_ROI:
            status = "empty" if isinstance(exc, EmptyMaskError) else "too_small"
            logger.info("case %s: BAT on %s is %s (%s)", job.case_id, spec.modality, status, exc)
            return PartResult(job.case_id, spec.roi, spec.modality, spec.key, status, n_voxels=n_voxels,
                              mask=packed)
        raise CaseStepError("extract", exc) from None
    except Exception as exc:  # recorded as a failure of this part
        logger.debug("case %s %s/%s: %s", job.case_id, spec.roi, spec.modality, traceback.format_exc())
        raise CaseStepError("extract", exc) from None
    if spec.modality == "pet" and case.s.suv_features:
        series = pd.concat([series, _suv(case, spec)])
    return PartResult(
        job.case_id, spec.roi, spec.modality, spec.key, "ok",
        names=tuple(str(n) for n in series.index), values=tuple(float(v) for v in series.to_numpy(np.float64)),
        n_voxels=n_voxels, seconds=time.perf_counter() - t0, mask=packed,
        suv=case.suv_record() if spec.modality == "pet" else None,
    )


def _suv(case: _Case, spec: PartSpec) -> pd.Series:
    """The ``suv`` family of a PET part on the native PET grid. A BAT with no voxel on the (coarser) PET grid gets
    NaN values and a warning (its radiomic features, on the working grid, stand); an empty contour fails."""
    roi = case.pet_roi(spec)
    if spec.roi == BAT_ROI and not np.any(roi.array):
        logger.warning("case %s: the BAT has no voxel on the native PET grid (smaller than a PET voxel); its suv "
                       "features are undefined (NaN)", case.job.case_id)
        return pd.Series(np.nan, index=list(SUV_FEATURES), dtype=np.float64)
    return _stage("extract", lambda: suv_features(case.native("pet"), roi))


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
            except CaseStepError as exc:
                part = (spec.roi, spec.modality) if exc.step == "extract" else ("", "")
                failure = _failure(job.case_id, exc, *part)
                failures.setdefault((failure.stage, failure.error_type, failure.message, failure.roi,
                                     failure.modality), failure)
                results.append(PartResult(job.case_id, spec.roi, spec.modality, spec.key, "failed"))
    logger.debug("job %s done in %.2f s", job.name, time.perf_counter() - t0)
    return JobResult(job.case_id, tuple(results), tuple(failures.values()), time.perf_counter() - t0)
