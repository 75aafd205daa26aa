"""Run a study's stages in order, resumably (``radiogenomics run study.yaml -o OUTDIR``).

Stages and their artefacts (DESIGN §2), each reading the previous stage's files only:

==========  ===============================================================================
``data``    synthetic cohort → ``OUTDIR/data/`` (manifest, images, truth); or the given manifest
``extract`` :func:`~radiogenomics.cohort.run_cohort` → ``OUTDIR/features.parquet``, ``failures.csv``,
            ``status.csv``, ``cohort/`` (cache and cohort provenance)
``stats``   per target :func:`~radiogenomics.stats.analysis.run_stats` → ``OUTDIR/stats/<target>/``
``models``  per target :func:`~radiogenomics.models.run_models` → ``OUTDIR/models/<target>/`` (with
            ``data.compare_masks``: every model also evaluated on the features of those masks, sources
            ``<source>@auto``, from ``OUTDIR/features_compare.parquet`` written by ``extract``)
``validation`` per target the chosen saved model on an external cohort (:mod:`radiogenomics.models.validate`;
            off unless ``validation.features`` or ``validation.manifest`` is given) → ``OUTDIR/validation/<target>/``
``cnn``     per target :func:`~radiogenomics.cnn.run_cnn` (off by default) → ``OUTDIR/cnn/<target>/``
``cluster`` :func:`~radiogenomics.cluster.run_clustering` → ``OUTDIR/cluster/``
``report``  :func:`~radiogenomics.report.write_report` → ``OUTDIR/report.html``
==========  ===============================================================================

Resuming: every finished stage writes ``OUTDIR/stages/<stage>.json`` with its *key*, the SHA-256 of
the settings it depends on (:meth:`StudySettings.stage_settings`), the package version and the
checksums of the artefacts it read. A stage whose key is unchanged and whose outputs are all present
is skipped. The extraction is always entered, but it has its own per-case cache (a killed run loses
only the cases in flight) and writes byte-identical tables, so the stages after it are skipped when
nothing changed. A failing stage raises :class:`StageError` naming it; everything finished is kept.
``OUTDIR/provenance.json`` records the whole run.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from radiogenomics import __version__, cnn, cohort, layout, models, report, stats
from radiogenomics import cluster as clustering
from radiogenomics.errors import RadiogenomicsError, UnknownNameError
from radiogenomics.provenance import atomic_write, checksum, library_versions
from radiogenomics.segment.registry import resolve_auto_masks
from radiogenomics.settings import sha256_json
from radiogenomics.study.settings import StudySettings
from radiogenomics.synth import make_cohort

__all__ = ["STAGES", "StageError", "StageEvent", "StudyResult", "run_study"]

logger = logging.getLogger(__name__)

STAGES: tuple[str, ...] = ("data", "extract", "stats", "models", "validation", "cnn", "cluster", "report")

#: Name of the alternate features of ``data.compare_masks`` (sources ``<source>@auto``).
COMPARE = "auto"


class StageError(RadiogenomicsError):
    """A stage of a study failed; the stages before it are finished and kept."""

    def __init__(self, stage: str, cause: BaseException, outdir: Path) -> None:
        self.stage, self.cause = stage, cause
        text = " ".join(str(cause).split()) or type(cause).__name__
        super().__init__(f"stage {stage!r} failed ({type(cause).__name__}: {text}); finished stages are kept in "
                         f"{outdir} - fix the cause and run again to resume")


@dataclass(frozen=True)
class StageEvent:
    """Progress of a study run: ``kind`` is ``start``, ``skip``, ``done`` or ``step``.

    ``step`` events carry ``done``/``total`` units of work inside a stage (e.g. extracted cases).
    """

    stage: str
    kind: str
    done: int = 0
    total: int = 0
    message: str = ""
    seconds: float = 0.0


ProgressCallback = Callable[[StageEvent], None]


@dataclass
class StudyResult:
    """Outcome of :func:`run_study`: per stage ``ran`` or ``skipped``, timings and the main artefacts."""

    outdir: Path
    status: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    artefacts: dict[str, Path] = field(default_factory=dict)

    @property
    def report(self) -> Path:
        """Path of ``report.html``."""
        return self.outdir / "report.html"


def _files(paths: list[Path], root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of files (folders: every file in them)."""
    out: dict[str, str] = {}
    for p in paths:
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            out[str(f.relative_to(root))] = checksum(f)
    return out


class _Stages:
    """The stage functions and their bookkeeping (one instance per run)."""

    def __init__(self, settings: StudySettings, outdir: Path, progress: ProgressCallback | None) -> None:
        self.s, self.out, self.progress = settings, outdir, progress
        self.records: dict[str, dict[str, Any]] = {}
        (outdir / "stages").mkdir(parents=True, exist_ok=True)

    # --------------------------------------------------------------------------------- bookkeeping
    def emit(self, stage: str, kind: str, **kw: Any) -> None:
        if self.progress is not None:
            self.progress(StageEvent(stage, kind, **kw))

    def record_path(self, stage: str) -> Path:
        return self.out / "stages" / f"{stage}.json"

    def key(self, stage: str, inputs: dict[str, str]) -> str:
        return sha256_json({"version": __version__, "settings": self.s.stage_settings(stage), "inputs": inputs})

    def fresh(self, stage: str, key: str) -> bool:
        path = self.record_path(stage)
        if not path.is_file():
            return False
        try:
            rec = json.loads(path.read_text())
        except json.JSONDecodeError:
            return False
        if rec.get("key") != key:
            return False
        outputs = rec.get("outputs", {})
        return bool(outputs) and all((self.out / name).is_file() for name in outputs)

    def run(self, stage: str, inputs: list[Path], fn: Callable[[], list[Path]], always: bool = False) -> None:
        in_sums = _files([p for p in inputs if p.exists()], self.out) if inputs else {}
        key = self.key(stage, in_sums)
        if not always and self.fresh(stage, key):
            rec = json.loads(self.record_path(stage).read_text())
            self.records[stage] = {**rec, "status": "skipped"}
            self.emit(stage, "skip", message="inputs and settings unchanged")
            logger.info("stage %s: unchanged, skipped", stage)
            return
        self.emit(stage, "start")
        t0 = time.perf_counter()
        try:
            outputs = fn()
        except Exception as exc:  # every failure is reported with the stage named
            logger.error("stage %s failed: %s", stage, exc)
            raise StageError(stage, exc, self.out) from exc
        seconds = time.perf_counter() - t0
        rec = {"stage": stage, "key": key, "inputs": in_sums, "outputs": _files(outputs, self.out),
               "seconds": round(seconds, 3), "finished": datetime.now(UTC).isoformat(timespec="seconds"),
               "settings": self.s.stage_settings(stage)}
        atomic_write(self.record_path(stage), (json.dumps(rec, indent=1, sort_keys=True) + "\n").encode())
        self.records[stage] = {**rec, "status": "ran"}
        self.emit(stage, "done", seconds=seconds)

    # ------------------------------------------------------------------------------------ stages
    def manifest_path(self) -> Path:
        if self.s.data.manifest is not None:
            return Path(self.s.data.manifest)
        return self.out / "data" / "manifest.csv"

    def data(self) -> list[Path]:
        syn = self.s.data.synthetic
        assert syn is not None
        folder = self.out / "data"
        make_cohort(syn.n, syn.effect, self.s.seed, size=syn.size, outdir=folder, workers=self.s.workers or 0,
                    progress=lambda done, total: self.emit("data", "step", done=done, total=total))
        return [folder / "manifest.csv", folder / "truth.json"]

    def resolved_manifest(self, stage: str, masks: dict[str, str] | None = None,
                          manifest: Path | None = None) -> Any:
        """The manifest with ``auto:<modeldir>`` masks (``masks``, default data.masks, or cells) predicted; cached
        per model."""
        masks = self.s.data.masks if masks is None else masks
        resolved, _ = resolve_auto_masks(manifest or self.manifest_path(), self.out / "auto_masks", masks,
                                         progress=lambda d, t, _c: self.emit(stage, "step", done=d, total=t,
                                                                             message="auto masks"))
        return resolved

    def extract(self) -> list[Path]:
        cohort_dir = self.out / "cohort"
        manifest = self.resolved_manifest("extract")
        result = cohort.run(self.s.extraction, manifest, cohort_dir, workers=self.s.workers,
                            progress=lambda done, total, _case: self.emit("extract", "step", done=done, total=total))
        names = (layout.FEATURES, layout.FEATURES_CSV, layout.STATUS, layout.FAILURES)
        for name in names:  # the study's top-level artefacts (DESIGN §2)
            atomic_write(self.out / name, (cohort_dir / name).read_bytes())
        result.check_failures(self.s.max_failed_fraction)
        n_cases, n_failed = len(result.features), result.failed_cases
        if n_failed:
            self.emit("extract", "step", done=n_cases, total=n_cases,
                      message=f"{n_failed} of {n_cases} case(s) failed; they are left out of the analyses")
        outputs = [self.out / n for n in names] + [cohort_dir / layout.PROVENANCE]
        if self.s.data.compare_masks:  # the same cases with other masks (e.g. predicted): features beside
            alt = self.resolved_manifest("extract", {**self.s.data.masks, **self.s.data.compare_masks})
            alt_dir = self.out / "cohort_compare"
            res = cohort.run(self.s.extraction, alt, alt_dir, workers=self.s.workers,
                             progress=lambda d, t, _c: self.emit("extract", "step", done=d, total=t,
                                                                  message="compare masks"))
            if res.failed_cases:
                self.emit("extract", "step", message=f"compare masks: {res.failed_cases} case(s) failed; they are "
                          "left out of the comparison")
            atomic_write(self.out / "features_compare.parquet", (alt_dir / layout.FEATURES).read_bytes())
            outputs.append(self.out / "features_compare.parquet")
        return outputs

    def excluded(self) -> dict[str, str]:
        """Cases whose extraction failed: every analysis leaves them out (:func:`radiogenomics.layout.failed_cases`)."""
        return layout.failed_cases(self.out)

    def features(self) -> pd.DataFrame:
        return pd.read_parquet(self.out / layout.FEATURES)

    def per_target(self, stage: str, fn: Callable[[str, Path], Any]) -> list[Path]:
        """``fn(target, OUTDIR/<stage>/<target>)`` for every target, with a progress step each."""
        folders = []
        for i, target in enumerate(self.s.targets):
            self.emit(stage, "step", done=i, total=len(self.s.targets), message=target)
            folder = self.out / stage / target
            fn(target, folder)
            folders.append(folder)
        return folders

    def stats(self) -> list[Path]:
        df = self.features()
        return self.per_target("stats", lambda t, folder: stats.run(self.s.stats_settings(t), df, folder,
                                                                    exclude=self.excluded()))

    def alternates(self) -> dict[str, pd.DataFrame]:
        """``{"auto": features of data.compare_masks}`` (cases whose extraction failed there left out)."""
        path = self.out / "features_compare.parquet"
        if not self.s.data.compare_masks or not path.is_file():
            return {}
        alt = pd.read_parquet(path)
        failed = layout.failed_cases(self.out / "cohort_compare")
        return {COMPARE: alt[~alt["case_id"].astype(str).isin(failed)]}

    def models(self) -> list[Path]:
        df = self.features()
        alternates = self.alternates()
        return self.per_target("models", lambda t, folder: models.run(self.s.model_settings(t), df, folder,
                                                                      exclude=self.excluded(),
                                                                      alternates=alternates))

    def validation(self) -> list[Path]:
        v = self.s.validation
        if v.features is not None:
            table: Any = v.features
        else:  # an external manifest: extracted with the study's settings (and its data.masks)
            manifest = self.resolved_manifest("validation", manifest=v.manifest)
            res = cohort.run(self.s.extraction, manifest, self.out / "validation" / "cohort", workers=self.s.workers,
                             progress=lambda d, t, _c: self.emit("validation", "step", done=d, total=t,
                                                                  message="external cohort"))
            failed = set(layout.failed_cases(self.out / "validation" / "cohort"))
            table = res.features[~res.features["case_id"].astype(str).isin(failed)]

        def one(target: str, folder: Path) -> None:
            run_dir = self.out / "models" / target
            name = v.model if v.model != "best" else models.best_saved_model(run_dir)
            settings = models.ValidationSettings(target=target, n_boot=v.n_boot, seed=self.s.seed,
                                                 harmonise=v.harmonise)
            models.run_validation(settings, run_dir / name, table, folder)

        return self.per_target("validation", one)

    def cnn(self) -> list[Path]:
        manifest = self.resolved_manifest("cnn")  # the masks the features were computed from
        feats = self.features() if self.s.cnn.compare else None
        return self.per_target("cnn", lambda t, folder: cnn.run(self.s.cnn_run_settings(t), manifest, folder,
                                                                features=feats, cache_dir=self.out / "cnn" / "cache",
                                                                exclude=self.excluded()))

    def cluster(self) -> list[Path]:
        folder = self.out / "cluster"
        clustering.run(self.s.cluster_settings(), self.features(), folder, exclude=self.excluded())
        return [folder]

    def report(self) -> list[Path]:
        return [report.run(self.s.report_settings(), self.out, self.out, manifest=self.manifest_path(),
                           stages=self.records)]


def _provenance(st: _Stages, started: datetime, seconds: float) -> dict[str, Any]:
    cohort_prov = st.out / "cohort" / "provenance.json"
    inputs = json.loads(cohort_prov.read_text()).get("inputs", {}) if cohort_prov.is_file() else {}
    return {
        "package": "radiogenomics",
        "version": __version__,
        "command": "run",
        "created": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "seed": st.s.seed,
        "libraries": library_versions(),
        "platform": platform.platform(),
        "settings_hash": st.s.settings_hash(),
        "settings": st.s.model_dump(mode="json"),
        "stages": {name: {k: v for k, v in rec.items() if k != "settings"} for name, rec in st.records.items()},
        "inputs": inputs,
    }


def run_study(
    settings: StudySettings | str | Path,
    outdir: str | Path,
    *,
    progress: ProgressCallback | None = None,
    stop_after: str | None = None,
) -> StudyResult:
    """Run every stage of a study (module docstring) and write ``OUTDIR/report.html``.

    Parameters
    ----------
    settings
        :class:`StudySettings` or the path of a study YAML file.
    outdir
        Output folder (created); running again into the same folder resumes.
    progress
        Called with a :class:`StageEvent` at the start, skip and end of each stage and for steps inside.
    stop_after
        Run the stages up to and including this one only.

    Raises
    ------
    StageError
        A stage failed (its name, the error type and message are in the text).
    """
    s = settings if isinstance(settings, StudySettings) else StudySettings.from_file(settings)
    if stop_after is not None and stop_after not in STAGES:
        raise UnknownNameError("stage", stop_after, STAGES)
    s.check_columns()  # before any work: a misspelt column fails now, not after the extraction
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "study.json", (json.dumps(s.model_dump(mode="json"), indent=1) + "\n").encode())
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    st = _Stages(s, out, progress)
    features = out / "features.parquet"
    plan: list[tuple[str, list[Path], Callable[[], list[Path]], bool, bool]] = [
        ("data", [], st.data, False, s.data.synthetic is not None),
        ("extract", [], st.extract, True, True),
        ("stats", [features], st.stats, False, s.stats.enabled),
        ("models", [features], st.models, False, s.models.enabled),
        ("validation", [out / "models"], st.validation, False, s.validation.enabled and s.models.enabled),
        ("cnn", [features], st.cnn, False, s.cnn.enabled),
        ("cluster", [features], st.cluster, False, s.cluster.enabled),
        ("report", [], st.report, True, s.report.enabled),
    ]
    for name, inputs, fn, always, enabled in plan:
        if not enabled:
            st.records[name] = {"status": "disabled"}
            st.emit(name, "skip", message="disabled")
            continue
        st.run(name, inputs, fn, always=always)
        if name == stop_after:
            break
    seconds = time.perf_counter() - t0
    atomic_write(out / "provenance.json", (json.dumps(_provenance(st, started, seconds), indent=2, sort_keys=True,
                                                      default=str) + "\n").encode())
    return StudyResult(out, {k: v.get("status", "") for k, v in st.records.items()},
                       {k: float(v.get("seconds", 0.0)) for k, v in st.records.items()},
                       {"features": features, "report": out / "report.html", "provenance": out / "provenance.json"})
