"""Cohort extraction: manifest → per-case jobs → cached results → one feature table (DESIGN §1 row 8).

:func:`run_cohort` does, in order:

1. read and validate the manifest; problems of the whole manifest (or any problem with ``strict``) raise
   :class:`~radiogenomics.io.manifest.ManifestError` listing them all *before any work starts*; a
   problem of one case (missing file, duplicate id, empty cell) fails only the results that need it;
2. checksum every input and look every ``(case, roi, modality)`` result up in ``OUTDIR/cache``;
3. run the missing results as one job per case on the executor (the largest first), storing each finished
   result in the cache at once — a run that is killed loses only the cases in flight;
4. write the outputs (each atomically):

``features.parquet``, ``features.csv``
    One row per case id (sorted): ``case_id``, the manifest's clinical and target columns (as in the
    manifest), then the float64 columns ``<roi>_<modality>__<feature>`` — ROIs and modalities in the
    settings' order, features in PyRadiomics order. A result that failed or has no ROI (empty BAT) is NaN.
``status.csv``
    ``case_id, roi, modality, status, n_voxels``: ``ok``, ``empty`` or ``too_small`` (BAT), ``failed``; for a PET
    result how the PET became SUV: ``suv_method`` (``bw``, ``lbm``, ``bsa``; ``file`` for a PET file already in
    SUV), ``suv_factor`` (SUV per stored unit), ``suv_decay_s`` and ``suv_decayed_fraction`` (dose decay to the
    scan), ``suv_source`` (the units branch and the tags used). ``provenance.json`` holds the same per case
    under ``suv``.
``failures.csv``
    ``case_id, stage, roi, modality, error_type, message``: one row per failed stage of a case.
``provenance.json``
    :mod:`radiogenomics.cohort.provenance`, with the cache hits and timings of this run.
``masks/<case_id>/<roi>_<modality>.nii.gz``
    With ``save_masks`` (default), the mask each result was computed from, on its working grid (the
    CT grid for BAT): the ROI the features describe. A cached result whose mask file is missing is
    computed again.

The tables are deterministic: the same inputs and settings give byte-identical files, however the work
was split, executed, interrupted or cached.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from radiogenomics.cohort.cache import ResultCache, part_key
from radiogenomics.cohort.executors import Executor, make_executor
from radiogenomics.cohort.jobs import (
    STAGES,
    CaseJob,
    Failure,
    JobResult,
    PartResult,
    PartSpec,
    part_inputs,
    run_job,
    single_threaded,
)
from radiogenomics.cohort.manifest import validate_manifest
from radiogenomics.cohort.provenance import build_provenance
from radiogenomics.cohort.settings import CohortSettings
from radiogenomics.errors import RadiogenomicsError
from radiogenomics.features.extractor import extract
from radiogenomics.features.suv import FEATURES as SUV_FEATURES
from radiogenomics.image import Image, Mask
from radiogenomics.io.manifest import Manifest, ManifestError, ManifestProblem, read_manifest
from radiogenomics.io.volume import write_mask
from radiogenomics.layout import mask_path
from radiogenomics.provenance import atomic_write, checksum, write_json
from radiogenomics.settings import ExtractionSettings
from radiogenomics.table import feature_column

__all__ = ["FAILURE_COLUMNS", "STATUS_COLUMNS", "CohortResult", "ExtractionFailedError", "run", "run_cohort"]

logger = logging.getLogger(__name__)

FAILURE_COLUMNS = ("case_id", "stage", "roi", "modality", "error_type", "message")
STATUS_COLUMNS = ("case_id", "roi", "modality", "status", "n_voxels", "suv_method", "suv_factor", "suv_decay_s",
                  "suv_decayed_fraction", "suv_source")

#: The keys of a PET result's SUV record (:meth:`~radiogenomics.preprocess.case.CaseLoader.suv_record`), in order.
_SUV_KEYS = ("method", "factor", "decay_s", "decayed_fraction", "source")

#: ``progress(done_jobs, total_jobs, case_id)`` after every finished job.
ProgressCallback = Callable[[int, int, str], None]



@dataclass(frozen=True)
class CohortResult:
    """What :func:`run_cohort` wrote, as tables.

    Attributes
    ----------
    features
        ``case_id``, the clinical columns, then one float64 column per feature
        (``<roi>_<modality>__<feature>``).
    status, failures
        The ``status.csv`` and ``failures.csv`` tables.
    provenance
        The ``provenance.json`` record.
    outdir
        Output folder.
    cache_hits, computed
        ``(case_id, roi, modality)`` of the results read from the cache and of those computed now.
    """

    features: pd.DataFrame
    status: pd.DataFrame
    failures: pd.DataFrame
    provenance: dict[str, Any]
    outdir: Path
    cache_hits: tuple[tuple[str, str, str], ...] = field(default=())
    computed: tuple[tuple[str, str, str], ...] = field(default=())

    @property
    def failed_cases(self) -> int:
        """Cases with at least one failed result (the analyses leave them out)."""
        return int(self.status.loc[self.status["status"] == "failed", "case_id"].nunique())

    def check_failures(self, max_fraction: float = 1.0) -> None:
        """Raise :class:`ExtractionFailedError` when every case failed, or more than ``max_fraction`` of them."""
        n = len(self.features)
        if n and (self.failed_cases == n or self.failed_cases / n > max_fraction):
            raise ExtractionFailedError(self.failed_cases, n, max_fraction)


class ExtractionFailedError(RadiogenomicsError):
    """Too many cases of a cohort failed extraction: every case, or more than an allowed fraction."""

    def __init__(self, n_failed: int, n_cases: int, max_fraction: float = 1.0):
        self.n_failed, self.n_cases, self.max_fraction = n_failed, n_cases, max_fraction
        what = "every case" if n_failed == n_cases else f"{n_failed} of {n_cases} cases"
        limit = "" if n_failed == n_cases else f", more than the allowed fraction {max_fraction:g}"
        super().__init__(f"{what} failed extraction{limit}; failures.csv says why for each case")

    def __reduce__(self) -> tuple[type, tuple[int, int, float]]:  # picklable
        return type(self), (self.n_failed, self.n_cases, self.max_fraction)


@dataclass
class _Plan:
    case_ids: list[str]
    results: dict[tuple[str, str, str], PartResult]
    failures: list[Failure]
    jobs: list[CaseJob]
    hits: list[tuple[str, str, str]]
    inputs: dict[str, dict[str, str]]


def _problem_failure(p: ManifestProblem) -> Failure:
    return Failure(p.case_id or "", "manifest", p.kind, p.message)


def _input_text(path: Path | None, selector: str | None) -> str:
    """``path`` or ``path#selector`` (the form :class:`~radiogenomics.cohort.jobs.CaseJob` carries)."""
    return str(path) if selector is None else f"{path}#{selector}"


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def _plan(manifest: Manifest, settings: CohortSettings, problems: list[ManifestProblem], cache: ResultCache,
          outdir: Path, group_by: str = "case") -> _Plan:
    """Decide, for every part of every case, whether it fails up front, comes from the cache or is computed.

    Parts to compute are grouped into one job per case and ROI (``group_by="roi"``) or per case (``"case"``).
    """
    table_ids = [manifest.cell(r, "case_id") for r in range(len(manifest.table))]
    first_row: dict[str, int] = {}
    for row, cid in enumerate(table_ids):
        if cid:
            first_row.setdefault(cid, row)
    case_ids = sorted(first_row)
    by_case: dict[str, list[ManifestProblem]] = {}
    failures = [_problem_failure(p) for p in problems]
    for p in problems:
        if p.case_id is not None:
            by_case.setdefault(p.case_id, []).append(p)

    results: dict[tuple[str, str, str], PartResult] = {}
    hits: list[tuple[str, str, str]] = []
    inputs: dict[str, dict[str, str]] = {}
    sums: dict[Path, str | OSError] = {}
    sizes: dict[Path, int] = {}
    groups: dict[tuple[str, str], list[tuple[PartSpec, dict[str, tuple[Path, str | None]]]]] = {}
    tumour_masks: dict[tuple[str, str], tuple[str, str]] = {}

    for cid in case_ids:
        row = first_row[cid]
        bad_columns = {p.column for p in by_case.get(cid, [])}
        duplicate = any(p.kind == "duplicate_id" for p in by_case.get(cid, []))
        for roi, modality in settings.parts():
            roles = part_inputs(manifest, settings, row, roi, modality)
            columns = sorted(set(roles.values()))
            if duplicate or bad_columns & set(columns):
                results[(cid, roi, modality)] = PartResult(cid, roi, modality, "", "failed")
                continue
            digests: dict[str, str] = {}
            files: dict[str, tuple[Path, str | None]] = {}
            failed = None
            for column in columns:
                path, selector = manifest.input(row, column)
                assert path is not None  # validated
                files[column] = (path, selector)
                if path not in sums:
                    try:
                        sums[path] = checksum(path)
                    except OSError as exc:
                        sums[path] = exc
                value = sums[path]
                if isinstance(value, OSError):
                    failed = Failure(cid, "checksum", type(value).__name__, f"{column}: {value}")
                    break
                digests[column] = value if selector is None else f"{value}#{selector}"
            if failed is not None:
                failures.append(failed)
                results[(cid, roi, modality)] = PartResult(cid, roi, modality, "", "failed")
                continue
            inputs.setdefault(cid, {}).update(digests)
            key = part_key(cid, roi, modality, digests, settings.part_hash(roi, modality))
            cached = cache.get(key)
            masked = (not settings.save_masks or cached is None or cached.status not in ("ok", "too_small")
                      or mask_path(outdir, cid, roi, modality).is_file())
            if cached is not None and masked and (cached.case_id, cached.roi, cached.modality) == (cid, roi, modality):
                results[(cid, roi, modality)] = cached
                hits.append((cid, roi, modality))
                continue
            spec = PartSpec(roi, modality, key, roles.get("mask"), roles.get("mask_grid", modality))
            group = (cid, roi if group_by == "roi" else "")
            groups.setdefault(group, []).append((spec, files))
            if "bat_tumour" in roles:
                tumour_masks[group] = (roles["bat_tumour"], roles["bat_tumour_grid"])

    jobs = []
    for group, members in groups.items():
        inputs_of_job: dict[str, tuple[Path, str | None]] = {}
        for _, f in members:
            inputs_of_job.update(f)
        for path, _ in inputs_of_job.values():
            sizes.setdefault(path, _size(path))
        # a rough cost (input bytes x image types x families per part), only to start expensive jobs first
        work = sum(max(1, len(settings.extraction[spec.roi].image_types))
                   * max(1, len(settings.extraction[spec.roi].feature_classes)) for spec, _ in members)
        cost = float(sum(sizes[p] for p, _ in inputs_of_job.values())) * work
        paths = {c: _input_text(*inputs_of_job[c]) for c in sorted(inputs_of_job)}
        jobs.append(CaseJob(group[0], paths, tuple(spec for spec, _ in members), settings,
                            tumour_masks.get(group), cost))
    jobs.sort(key=lambda j: (-j.cost, j.case_id, j.parts[0].roi))
    return _Plan(case_ids, results, failures, jobs, hits, inputs)


def _failure_frame(failures: Sequence[Failure]) -> pd.DataFrame:
    order = {s: i for i, s in enumerate(STAGES)}
    unique = sorted(
        {(f.case_id, f.stage, f.roi, f.modality, f.error_type, f.message) for f in failures},
        key=lambda t: (t[0], order.get(t[1], len(order)), t[2], t[3], t[4], t[5]),
    )
    return pd.DataFrame(unique, columns=list(FAILURE_COLUMNS)).astype(str)


def _feature_names(settings: ExtractionSettings) -> list[str]:
    """Feature names ``settings`` produce, from a small fixed phantom (names never depend on the data).

    Used for a part that no case could compute (e.g. BAT empty everywhere), so that the table's columns
    depend on the settings only.
    """
    rng = np.random.default_rng(0)
    image = rng.normal(100.0, 30.0, (16, 16, 16))
    mask = np.zeros(image.shape, np.int64)
    mask[3:13, 3:13, 3:13] = settings.label
    try:
        with single_threaded():
            return [str(n) for n in extract(Image(image), Mask(mask), settings=settings).index]
    except Exception as exc:  # the columns are then left out; the run itself is fine
        logger.warning("cannot derive the feature names of settings %s (%s)", settings.settings_hash()[:12], exc)
        return []


def _tables(case_ids: list[str], settings: CohortSettings, results: dict[tuple[str, str, str], PartResult],
            clinical: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The feature table (clinical columns first) and the status table, in the documented fixed order."""
    index = {cid: i for i, cid in enumerate(case_ids)}
    blocks: list[np.ndarray] = []
    columns: list[str] = []
    status_rows = []
    for roi, modality in settings.parts():
        names: list[str] = []
        position: dict[str, int] = {}
        for cid in case_ids:
            res = results.get((cid, roi, modality))
            if res is not None and res.status == "ok":
                for n in res.names:
                    if n not in position:
                        position[n] = len(names)
                        names.append(n)
        if not names:
            names = _feature_names(settings.extraction[roi]) if settings.mode == "pyradiomics" else []
            if modality == "pet" and settings.suv_features:
                names += list(SUV_FEATURES)
            position = {n: i for i, n in enumerate(names)}
        block = np.full((len(case_ids), len(names)), np.nan, dtype=np.float64)
        for cid in case_ids:
            res = results.get((cid, roi, modality))
            status = res.status if res is not None else "failed"
            suv = (res.suv if res is not None else None) or {}
            status_rows.append((cid, roi, modality, status, None if res is None else res.n_voxels,
                                *(suv.get(k) for k in _SUV_KEYS)))
            if res is not None and res.status == "ok":
                if list(res.names) == names:
                    block[index[cid]] = res.values
                else:
                    logger.warning("case %s %s/%s: feature names differ from the other cases; aligned by name",
                                   cid, roi, modality)
                    for n, v in zip(res.names, res.values, strict=True):
                        block[index[cid], position[n]] = v
        prefix = feature_column(roi, modality)
        columns.extend(prefix + n for n in names)
        blocks.append(block)
    values = np.concatenate(blocks, axis=1) if blocks else np.empty((len(case_ids), 0))
    features = pd.concat([clinical.reset_index(drop=True), pd.DataFrame(values, columns=columns)], axis=1)
    status = pd.DataFrame(status_rows, columns=list(STATUS_COLUMNS))
    status = status.sort_values("case_id", kind="stable").reset_index(drop=True)  # by case, parts in order
    status["n_voxels"] = status["n_voxels"].astype("Int64")
    return features, status


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode()


def _parquet(frame: pd.DataFrame) -> bytes:
    """Parquet bytes of ``frame`` (no index), built column by column with pyarrow (fast for thousands of
    float64 columns)."""
    arrays = []
    for name in frame.columns:
        col = frame[name]
        if col.dtype == np.float64:
            values = col.to_numpy(copy=True)
            values[np.isnan(values)] = np.nan  # one NaN bit pattern (a computed 0/0 NaN has its sign bit set)
            arrays.append(pa.array(values, type=pa.float64()))
        else:
            arrays.append(pa.Array.from_pandas(col))
    table = pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def run_cohort(
    manifest: str | Path | Manifest | pd.DataFrame,
    outdir: str | Path,
    settings: CohortSettings | None = None,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> CohortResult:
    """Extract the features of every case, ROI and modality of a manifest into one table.

    Parameters
    ----------
    manifest
        Manifest file (CSV/YAML), a :class:`~radiogenomics.io.manifest.Manifest`, or a DataFrame
        (relative paths then relative to the working directory).
    outdir
        Output folder (created); its ``cache/`` sub-folder makes re-runs resume.
    settings
        :class:`~radiogenomics.cohort.settings.CohortSettings` (default: seed 001's pipeline).
    executor
        Where jobs run (:mod:`radiogenomics.cohort.executors`); default: ``workers`` local processes.
        An executor passed in is not closed.
    workers
        Local worker processes when no executor is given (``None``: all CPUs; 1: in this process).
        Worker processes are *spawned*: a script that calls this needs the usual
        ``if __name__ == "__main__":`` guard.
    progress
        Called as ``progress(done, total, case_id)`` after every finished job.

    Returns
    -------
    CohortResult
        The tables written to ``outdir``, and which results were cached or computed.

    Raises
    ------
    ManifestError
        The manifest has problems that concern every case (or any problem, with ``settings.strict``);
        every problem is listed and nothing is computed.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    s = settings or CohortSettings()
    m = manifest if isinstance(manifest, Manifest) else read_manifest(manifest)
    problems = validate_manifest(m, s)
    fatal = [p for p in problems if p.case_id is None and p.kind != "empty_id"]
    if fatal or (s.strict and problems):
        raise ManifestError(problems, m.source)
    for p in problems:
        logger.warning("manifest problem (%s) in case %s, column %s: the results that need it fail", p.kind,
                       p.case_id or "-", p.column or "-")

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    cache = ResultCache(out / "cache")
    stale = cache.clean_temporary()
    if stale:
        logger.info("removed %d temporary cache file(s) left by an interrupted run", stale)

    own_executor = executor is None
    ex = executor if executor is not None else make_executor(workers)
    try:
        ex.start()  # workers start up while the inputs are checksummed
        plan = _plan(m, s, problems, cache, out)
        logger.info("%d case(s): %d result(s) cached, %d job(s) to run on %s", len(plan.case_ids),
                    len(plan.hits), len(plan.jobs), ex.name)
        results, failures = plan.results, plan.failures
        computed: list[tuple[str, str, str]] = []
        done = 0
        for job, outcome in ex.run(run_job, plan.jobs):
            done += 1
            if isinstance(outcome, JobResult):
                for part in outcome.parts:
                    results[(part.case_id, part.roi, part.modality)] = part
                    computed.append((part.case_id, part.roi, part.modality))
                    if part.mask is not None:
                        write_mask(part.mask.unpack(), mask_path(out, part.case_id, part.roi, part.modality))
                    if part.status != "failed":
                        cache.put(part)
                failures.extend(outcome.failures)
                logger.info("case %s: %s", job.case_id,
                            ", ".join(f"{p.roi}_{p.modality} {p.status}" for p in outcome.parts))
            else:
                error = outcome if isinstance(outcome, BaseException) else RuntimeError(repr(outcome))
                logger.error("case %s: job lost (%s)", job.case_id, type(error).__name__)
                failures.append(Failure(job.case_id, "worker", type(error).__name__,
                                        " ".join(str(error).split()) or type(error).__name__, job.parts[0].roi))
                for spec in job.parts:
                    results[(job.case_id, spec.roi, spec.modality)] = PartResult(
                        job.case_id, spec.roi, spec.modality, spec.key, "failed")
            if progress is not None:
                progress(done, len(plan.jobs), job.case_id)
        described = ex.describe()
    finally:
        if own_executor:
            ex.close()

    clinical = m.clinical(plan.case_ids)
    features, status = _tables(plan.case_ids, s, results, clinical)
    failure_frame = _failure_frame(failures)
    outputs = {
        "features.parquet": _parquet(features),
        "features.csv": _csv(features),
        "status.csv": _csv(status),
        "failures.csv": _csv(failure_frame),
    }
    for name, data in outputs.items():
        atomic_write(out / name, data)
    counts: dict[str, Any] = {
        "cases": len(plan.case_ids),
        "clinical_columns": int(clinical.shape[1] - 1),
        "feature_columns": int(features.shape[1] - clinical.shape[1]),
        "cache_hits": len(plan.hits),
        "computed": len(computed),
        "jobs": len(plan.jobs),
        "failures": len(failure_frame),
        "status": {k: int(v) for k, v in sorted(status["status"].value_counts().items())},
    }
    manifest_info: dict[str, Any] = {"source": m.source, "n_rows": len(m.table)}
    if isinstance(manifest, str | Path):
        manifest_info["sha256"] = checksum(manifest)
    record = build_provenance(
        settings=s, manifest=manifest_info, inputs=plan.inputs, started=started,
        seconds=time.perf_counter() - t0, executor=described, counts=counts,
        outputs={name: hashlib.sha256(data).hexdigest() for name, data in outputs.items()},
    )
    record["suv"] = {cid: rec for cid, rec in sorted({
        r.case_id: r.suv for r in results.values() if r.suv is not None}.items())}
    record["cache"] = {
        "hits": [list(k) for k in sorted(plan.hits)],
        "computed": [list(k) for k in sorted(computed)],
    }
    write_json(out / "provenance.json", record)
    logger.info("cohort done: %d case(s), %d feature column(s), %d failure(s), %d cached, %d computed in %.1f s",
                len(plan.case_ids), counts["feature_columns"], len(failure_frame), len(plan.hits), len(computed),
                time.perf_counter() - t0)
    return CohortResult(features, status, failure_frame, record, out, tuple(sorted(plan.hits)),
                        tuple(sorted(computed)))


def run(
    settings: CohortSettings,
    manifest: str | Path | Manifest | pd.DataFrame,
    outdir: str | Path,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> CohortResult:
    """The cohort stage's entry point (the ``cohort extract`` command and the study): :func:`run_cohort` with
    the stage interface's argument order ``(settings, inputs, outdir)``."""
    return run_cohort(manifest, outdir, settings, executor=executor, workers=workers, progress=progress)
