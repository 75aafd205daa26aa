"""One call from a manifest to an evaluated CNN — optionally beside radiomics models in the same table.

:func:`run_cnn` preprocesses the manifest's cases into the volume cache, builds a
:class:`~radiogenomics.cnn.classifier.CNNClassifier` keyed ``(arch, "<roi>_<channel>+<channel>…")`` and,
when a cohort feature table is given, the radiomics models of
:func:`~radiogenomics.models.fusion.build_models` for every imaging source of that table, and evaluates them
all with :func:`radiogenomics.models.evaluate` on the same cases, splits and seeds. :func:`write_cnn_outputs`
writes the files of ``radiogenomics model`` (``metrics.json`` in the same record format, ``folds.parquet``,
``delong.json`` — DeLong of every model against the best by CV AUC —, per-model folders) and saves each
fitted CNN as safetensors + JSON in ``<arch>__<source>/model/`` (radiomics models are saved as
``radiogenomics model`` saves them).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from radiogenomics.cnn.cache import prepare_volumes
from radiogenomics.cnn.classifier import CNNClassifier
from radiogenomics.cnn.persistence import save_cnn
from radiogenomics.cnn.settings import CNNSettings
from radiogenomics.io.manifest import Manifest, read_manifest
from radiogenomics.models.errors import InvalidTargetError
from radiogenomics.models.fusion import build_models
from radiogenomics.models.outputs import prepare_table, write_outputs
from radiogenomics.models.protocol import EvaluationResult, Protocol, evaluate
from radiogenomics.models.sources import CLINICAL, find_sources

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["cnn_source_name", "run_cnn", "write_cnn_outputs"]


def cnn_source_name(roi: str, channels: Sequence[str]) -> str:
    """Source label of a CNN in result tables: ``<roi>_<channel>+<channel>…`` (e.g. ``tumour_pet+ct``)."""
    return f"{roi}_{'+'.join(channels)}"


def run_cnn(
    manifest: Manifest | str | Path | pd.DataFrame,
    target: str,
    settings: CNNSettings,
    cache_dir: str | Path,
    protocol: Protocol | None = None,
    *,
    features: pd.DataFrame | None = None,
    models: Sequence[str] = (),
    drop: Sequence[str] = (),
    selector: str = "univariate",
    k: int = 50,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[EvaluationResult, dict[str, Any], pd.DataFrame]:
    """Preprocess, then evaluate the CNN (and radiomics ``models`` on ``features``) under ``protocol``.

    Parameters
    ----------
    manifest : :class:`~radiogenomics.io.manifest.Manifest` or a path to one; holds ``target``.
    target : binary 0/1 column of the manifest (cases with a missing target are left out).
    settings : preprocessing and training settings.
    cache_dir : root of the volume cache.
    protocol : evaluation protocol (default :class:`~radiogenomics.models.Protocol` with ``settings.train.seed``).
    features : optional cohort feature table (``case_id`` + ``<roi>_<modality>__<feature>`` columns); only cases
        present both there and in the volume cache are evaluated.
    models : radiomics model names for ``features`` (e.g. ``("lasso", "rf")``).
    drop : feature-table columns to ignore (e.g. other targets).
    selector, k : feature selection of the radiomics pipelines.
    progress : forwarded to :func:`~radiogenomics.cnn.cache.prepare_volumes`.

    Returns
    -------
    result, meta (JSON-friendly run description), failures (preprocessing failures, see
    :data:`~radiogenomics.cnn.cache.FAILURE_COLUMNS`).
    """
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    if target not in manifest.columns:
        raise InvalidTargetError(f"target column {target!r} not in the manifest")
    protocol = protocol or Protocol(seed=settings.train.seed)
    cache, failures = prepare_volumes(manifest, settings.preprocess, cache_dir, progress=progress)
    table = manifest.table[["case_id", target]].copy()
    table[target] = pd.to_numeric(table[target], errors="coerce")
    table = table[table["case_id"].isin(cache.case_ids)].reset_index(drop=True)
    estimators = {}
    key = (settings.train.arch, cnn_source_name(settings.preprocess.roi, settings.preprocess.channels))
    estimators[key] = CNNClassifier(str(cache.directory), settings.train)
    sources: list[str] = []
    if features is not None and models:
        feats = features.drop(columns=[c for c in (target, *drop) if c in features.columns])
        feats = feats.assign(case_id=feats["case_id"].astype(str))
        table = table.merge(feats, on="case_id", how="inner")
        table, _ = prepare_table(table, target)
        found = find_sources(table, target)
        sources = [s for s in found if s != CLINICAL]
        estimators.update(build_models(found, list(models), sources, selector=selector, k=k,
                                       seed=settings.train.seed))
    logger.info("evaluating %d model(s) on %d cases", len(estimators), len(table))
    result = evaluate(table, target, estimators, protocol)
    meta = {"kind": "cnn", "target": target, "cnn": list(key), "settings": settings.model_dump(mode="json"),
            "cache": str(cache.directory), "n_cases": int(table[target].notna().sum()),
            "failures": failures["case_id"].tolist(), "models": list(models), "sources": sources,
            "protocol": {k2: v for k2, v in dataclasses.asdict(protocol).items()}}
    return result, meta, failures


def write_cnn_outputs(result: EvaluationResult, outdir: str | Path, meta: dict[str, Any]) -> dict[str, Path]:
    """Write the run's files (module docstring); returns ``name → path`` as
    :func:`~radiogenomics.models.outputs.write_outputs` does, plus ``"cnn_model"``."""
    cnns = {k: v for k, v in result.fitted.items() if isinstance(v, CNNClassifier)}
    others = {k: v for k, v in result.fitted.items() if k not in cnns}
    paths = write_outputs(dataclasses.replace(result, fitted=others), outdir, meta)
    out = Path(outdir)
    for (m, s), est in cnns.items():
        paths["cnn_model"] = save_cnn(est, out / f"{m}__{s}" / "model", meta={**meta, "model": m, "source": s})
    return paths
