"""The CNN stage: its settings and its one entry point, :func:`run` (the ``cnn train`` command and the study).

:class:`CnnOptions` are the study file's ``cnn`` section without the network settings: the radiomics models
compared on the same cases and splits, and the protocol (:class:`~radiogenomics.models.stage.ProtocolOptions`,
so the same rules as the ``models`` stage; ``holdout_cv`` or ``kfold``). :class:`CnnRunSettings` add the
target, the network settings (:class:`~radiogenomics.cnn.settings.CNNSettings`; the training seed is the
protocol's seed) and columns to ignore. :func:`run` preprocesses, trains and evaluates
(:func:`~radiogenomics.cnn.evaluation.run_cnn`) and writes the run's files, ``failures.csv`` and
``provenance.json``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import Field, field_validator

from radiogenomics.cnn.evaluation import run_cnn, write_cnn_outputs
from radiogenomics.cnn.settings import CNNSettings, load_cnn_settings
from radiogenomics.devices import resolve_device
from radiogenomics.errors import UnknownNameError
from radiogenomics.io.manifest import Manifest, read_manifest
from radiogenomics.models.errors import ModelParameterError
from radiogenomics.models.protocol import EvaluationResult
from radiogenomics.models.registry import DEFAULT_MODELS
from radiogenomics.models.stage import ProtocolOptions, model_names
from radiogenomics.provenance import provenance_record, write_json
from radiogenomics.settings import Names

__all__ = ["CnnOptions", "CnnOutputs", "CnnRunSettings", "run"]

logger = logging.getLogger(__name__)


class CnnOptions(ProtocolOptions):
    """Radiomics models compared with the CNN, and the protocol (hold-out share 0.2 by default).

    Attributes
    ----------
    compare
        Radiomics models (registry names) evaluated on the same cases, splits and seeds (none: CNN alone);
        default :data:`~radiogenomics.models.registry.DEFAULT_MODELS`.
    protocol
        ``auto`` (as the ``models`` stage), ``holdout_cv`` or ``kfold``.
    selector, k
        Feature selection of the radiomics models.
    """

    settings_name: ClassVar[str] = "CNN stage settings"

    compare: Names = DEFAULT_MODELS
    test_size: float = 0.2
    selector: Literal["none", "univariate", "mrmr", "lasso"] = "univariate"
    k: int = Field(50, ge=1)

    @field_validator("compare")
    @classmethod
    def _compare(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return model_names(value)

    @field_validator("protocol")
    @classmethod
    def _protocol(cls, value: str) -> str:
        if value not in ("auto", "holdout_cv", "kfold"):
            raise UnknownNameError("CNN protocol", value, ("auto", "holdout_cv", "kfold"))
        return value


class CnnRunSettings(CnnOptions):
    """One CNN run: :class:`CnnOptions`, the target, the network settings and columns to ignore."""

    target: str
    cnn: CNNSettings = Field(default_factory=CNNSettings)
    drop: Names = ()

    @field_validator("cnn", mode="before")
    @classmethod
    def _cnn(cls, value: Any) -> Any:
        return value if isinstance(value, CNNSettings) else load_cnn_settings(value)


@dataclass
class CnnOutputs:
    """What :func:`run` computed and wrote."""

    result: EvaluationResult
    meta: dict[str, Any]
    paths: dict[str, Path]
    failures: pd.DataFrame


def run(
    settings: CnnRunSettings,
    manifest: Manifest | str | Path,
    outdir: str | Path,
    *,
    features: pd.DataFrame | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    exclude: Mapping[str, str] | None = None,
) -> CnnOutputs:
    """Preprocess the manifest's cases, train and evaluate the CNN (beside ``settings.compare`` on ``features``).

    Parameters
    ----------
    settings
        The run.
    manifest
        The cohort manifest (images, masks, the target column).
    outdir
        Output folder: the files of :func:`~radiogenomics.cnn.evaluation.write_cnn_outputs`, ``failures.csv``
        (cases whose preprocessing failed) and ``provenance.json``.
    features
        Cohort feature table for the compared radiomics models (none: the CNN alone).
    cache_dir
        Volume cache (default ``OUTDIR/cache``).
    progress
        ``progress(done, total)`` after each preprocessed case.
    exclude
        ``{case_id: reason}`` of cases to leave out (e.g. their feature extraction failed), recorded in
        ``provenance.json``.
    """
    started, t0 = datetime.now(UTC), time.perf_counter()
    resolve_device(settings.cnn.train.device, ModelParameterError)  # before the (slow) preprocessing
    out = Path(outdir)
    protocol = settings.make_protocol(settings.cnn.train.seed)
    manifest = manifest if isinstance(manifest, Manifest) else read_manifest(manifest)
    ids = [manifest.cell(r, "case_id") for r in range(len(manifest.table))]
    left_out = [(r + 1, exclude[c]) for r, c in enumerate(ids) if exclude and c in exclude]
    if left_out:
        logger.warning("%d case(s) left out of the CNN (rows %s): %s", len(left_out),
                       ", ".join(str(r) for r, _ in left_out), "; ".join(sorted({why for _, why in left_out})))
        keep = [not (exclude and c in exclude) for c in ids]
        manifest = Manifest(manifest.table.loc[keep].reset_index(drop=True), manifest.base, manifest.source)
    result, meta, failures = run_cnn(
        manifest, settings.target, settings.cnn, cache_dir if cache_dir is not None else out / "cache", protocol,
        features=features, models=settings.compare if features is not None else (), drop=settings.drop,
        selector=settings.selector, k=settings.k, progress=progress)
    paths = write_cnn_outputs(result, out, meta)
    failures.to_csv(out / "failures.csv", index=False)
    paths["failures"] = out / "failures.csv"
    inputs: dict[str, Any] = {"manifest": {"source": manifest.source, "rows": len(manifest.table)}}
    record = provenance_record("cnn", settings=settings, seed=settings.cnn.train.seed, started=started,
                               seconds=time.perf_counter() - t0, inputs=inputs, n_cases=meta["n_cases"],
                               failures=len(failures), excluded={"n": len(left_out), "rows": [r for r, _ in left_out],
                                                                 "reasons": sorted({why for _, why in left_out})})
    paths["provenance"] = write_json(out / "provenance.json", record)
    return CnnOutputs(result, meta, paths, failures)
