"""Mutation prediction: metrics, leakage-safe pipelines, baselines, fusion and the evaluation protocol.

Layering: this package sits above ``features``/``cohort``/``stats``; it reads cohort tables whose
feature columns are ``<roi>_<modality>__<feature>``.
"""

from __future__ import annotations

import logging

from radiogenomics.models.baselines import BASELINES, LassoSignature, make_baseline
from radiogenomics.models.bootstrap import bootstrap_ci, bootstrap_metrics
from radiogenomics.models.delong import DeLongResult, delong_test
from radiogenomics.models.errors import InvalidTargetError, ModelError, ModelParameterError, UnknownModelError
from radiogenomics.models.fusion import LateFusion, build_models
from radiogenomics.models.harmonise import ComBat
from radiogenomics.models.metrics import METRICS, binary_metrics, confusion, roc_auc, youden_threshold
from radiogenomics.models.outputs import (
    apply_encodings,
    delong_table,
    prepare_table,
    run_models,
    write_outputs,
)
from radiogenomics.models.pipeline import CorrelationFilter, MRMRSelector, make_pipeline
from radiogenomics.models.protocol import DEFAULT_GRIDS, EvaluationResult, Protocol, evaluate, summarise
from radiogenomics.models.sources import CLINICAL, FUSED, find_sources, source_columns

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "BASELINES",
    "CLINICAL",
    "DEFAULT_GRIDS",
    "FUSED",
    "METRICS",
    "ComBat",
    "CorrelationFilter",
    "DeLongResult",
    "EvaluationResult",
    "InvalidTargetError",
    "LassoSignature",
    "LateFusion",
    "MRMRSelector",
    "ModelError",
    "ModelParameterError",
    "Protocol",
    "UnknownModelError",
    "apply_encodings",
    "binary_metrics",
    "bootstrap_ci",
    "bootstrap_metrics",
    "build_models",
    "confusion",
    "delong_table",
    "delong_test",
    "evaluate",
    "find_sources",
    "make_baseline",
    "make_pipeline",
    "prepare_table",
    "roc_auc",
    "run_models",
    "source_columns",
    "summarise",
    "write_outputs",
    "youden_threshold",
]
