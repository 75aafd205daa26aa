"""Run a study's stages in order, resumably (``radiogenomics run study.yaml -o OUTDIR``).

Stages and their artefacts (DESIGN §2), each reading the previous stage's files only:

==========  ===============================================================================
``data``    synthetic cohort → ``OUTDIR/data/`` (manifest, images, truth); or the given manifest
``extract`` :func:`~radiogenomics.cohort.run_cohort` → ``OUTDIR/features.parquet``, ``failures.csv``,
            ``status.csv``, ``cohort/`` (cache and cohort provenance)
``stats``   per target :func:`~radiogenomics.stats.run.run_stats` → ``OUTDIR/stats/<target>/``
``models``  per target :func:`~radiogenomics.models.run_models` → ``OUTDIR/models/<target>/``
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

from radiogenomics import __version__
from radiogenomics.errors import RadiogenomicsError
from radiogenomics.provenance import atomic_write, checksum, library_versions
from radiogenomics.settings import sha256_json
from radiogenomics.study.settings import StudySettings
from radiogenomics.table import parse_feature_column

__all__ = ["STAGES", "StageError", "StageEvent", "StudyResult", "run_study"]

logger = logging.getLogger(__name__)

STAGES: tuple[str, ...] = ("data", "extract", "stats", "models", "cnn", "cluster", "report")


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
        from radiogenomics.synth import make_cohort

        syn = self.s.data.synthetic
        assert syn is not None
        folder = self.out / "data"
        make_cohort(syn.n, syn.effect, self.s.seed, size=syn.size, outdir=folder, workers=self.s.workers or 0,
                    progress=lambda done, total: self.emit("data", "step", done=done, total=total))
        return [folder / "manifest.csv", folder / "truth.json"]

    def resolved_manifest(self, stage: str) -> Any:
        """The manifest with ``auto:<modeldir>`` masks (data.masks, or cells) predicted; cached per model."""
        from radiogenomics.segment.registry import resolve_auto_masks

        manifest, _ = resolve_auto_masks(self.manifest_path(), self.out / "auto_masks", self.s.data.masks,
                                         progress=lambda d, t, _c: self.emit(stage, "step", done=d, total=t,
                                                                             message="auto masks"))
        return manifest

    def extract(self) -> list[Path]:
        from radiogenomics.cohort import run_cohort

        cohort = self.out / "cohort"
        manifest = self.resolved_manifest("extract")
        run_cohort(manifest, cohort, self.s.extraction, workers=self.s.workers,
                   progress=lambda done, total, _case: self.emit("extract", "step", done=done, total=total))
        names = ("features.parquet", "features.csv", "status.csv", "failures.csv")
        for name in names:  # the study's top-level artefacts (DESIGN §2)
            atomic_write(self.out / name, (cohort / name).read_bytes())
        return [self.out / n for n in names] + [cohort / "provenance.json"]

    def features(self) -> pd.DataFrame:
        return pd.read_parquet(self.out / "features.parquet")

    def stats(self) -> list[Path]:
        from radiogenomics.stats.run import run_stats

        df = self.features()
        st = self.s.stats
        written: list[Path] = []
        for i, target in enumerate(self.s.targets):
            self.emit("stats", "step", done=i, total=len(self.s.targets), message=target)
            others = [t for t in self.s.targets if t != target]
            res = run_stats(df.drop(columns=[c for c in others if c in df.columns]), target,
                            self.out / "stats" / target, by=st.by, test=st.test, fc_threshold=st.fc_threshold,
                            fdr=st.fdr, labels=st.labels, table1_by=st.table1_by, table1_vars=st.table1_vars,
                            heatmap_top=st.heatmap_top)
            written += res.written
            (self.out / "stats" / target / "warnings.json").write_text(json.dumps(res.warnings, indent=1) + "\n")
            written.append(self.out / "stats" / target / "warnings.json")
        return written

    def models(self) -> list[Path]:
        from radiogenomics.models import Protocol, run_models, write_outputs

        df = self.features()
        ms = self.s.models
        written: list[Path] = []
        for i, target in enumerate(self.s.targets):
            self.emit("models", "step", done=i, total=len(self.s.targets), message=target)
            keep = ["case_id", target, *self.s.clinical, *(c for c in df.columns if parse_feature_column(str(c)))]
            protocol = Protocol(kind=ms.protocol, n_folds=ms.folds, repeats=ms.repeats, seed=self.s.seed,
                                n_boot=ms.n_boot)
            table = df[list(dict.fromkeys(c for c in keep if c in df.columns))]
            result, meta = run_models(table, target, clinical=self.s.clinical, models=ms.models, sources=ms.sources,
                                      protocol=protocol, selector=ms.selector, k=ms.k, seed=self.s.seed,
                                      transformer_params=ms.transformer or None)
            folder = self.out / "models" / target
            write_outputs(result, folder, meta)
            written.append(folder)
        return written

    def cnn(self) -> list[Path]:
        from radiogenomics.cnn import run_cnn, write_cnn_outputs
        from radiogenomics.models import Protocol

        cs = self.s.cnn
        settings = cs.cnn_settings(self.s.seed)
        manifest = self.resolved_manifest("cnn")  # the masks the features were extracted from
        df = self.features()
        feats = df[["case_id", *(c for c in df.columns if parse_feature_column(str(c)))]] if cs.compare else None
        protocol = Protocol(kind=cs.protocol, n_folds=cs.folds, seed=self.s.seed, test_size=cs.test_size,
                            n_boot=cs.n_boot)
        written: list[Path] = []
        for i, target in enumerate(self.s.targets):
            self.emit("cnn", "step", done=i, total=len(self.s.targets), message=target)
            result, meta, failures = run_cnn(manifest, target, settings, self.out / "cnn" / "cache", protocol,
                                             features=feats, models=cs.compare)
            folder = self.out / "cnn" / target
            write_cnn_outputs(result, folder, meta)
            failures.to_csv(folder / "failures.csv", index=False)
            written.append(folder)
        return written

    def cluster(self) -> list[Path]:
        from radiogenomics.cluster import run_clustering

        cs = self.s.cluster
        df = self.features()
        target = cs.target or self.s.targets[0]
        targets = [target, *[t for t in self.s.targets if t != target]]
        folder = self.out / "cluster"
        run_clustering(df, folder, targets=targets, clinical=self.s.clinical, annotate=cs.annotate,
                       embedding=cs.embedding, k_range=range(cs.k_min, cs.k_max + 1), seed=self.s.seed,
                       transformer_params=cs.transformer or None, n_boot=cs.n_boot)
        return [folder]

    def report(self) -> list[Path]:
        from radiogenomics.report import write_report

        path = write_report(self.out, self.s, manifest=self.manifest_path(), stages=self.records)
        return [path]


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
        from radiogenomics.errors import UnknownNameError

        raise UnknownNameError("stage", stop_after, STAGES)
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
