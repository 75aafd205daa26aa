"""Mutation prediction: metrics, leakage-safe pipelines, the model registry, fusion and the evaluation protocol.

The stage's entry point is :func:`run` with :class:`ModelSettings` (:mod:`radiogenomics.models.stage`), called
by the ``model`` command and the study. Layering: this package reads cohort tables
(:mod:`radiogenomics.table`) and imports no stage package.
"""

from __future__ import annotations

from radiogenomics.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "baselines": ("LassoSignature",),
    "bootstrap": ("bootstrap_ci", "bootstrap_metrics"),
    "delong": ("DeLongResult", "delong_test"),
    "errors": ("InvalidTargetError", "ModelError", "ModelParameterError", "UnknownModelError"),
    "fusion": ("LateFusion", "build_models"),
    "harmonise": ("ComBat",),
    "metrics": ("METRICS", "binary_metrics", "calibration", "confusion", "roc_auc", "youden_threshold"),
    "outputs": ("apply_encodings", "delong_table", "prepare_table", "run_models", "write_outputs"),
    "pipeline": ("CorrelationFilter", "MRMRSelector", "make_pipeline"),
    "protocol": ("PROTOCOLS", "EvaluationResult", "Protocol", "evaluate", "summarise"),
    "registry": ("DEFAULT_MODELS", "MODELS", "ModelSpec", "check_model_names", "make_model"),
    "sources": ("CLINICAL", "FUSED", "STACKED", "find_sources", "source_columns"),
    "stacked": ("StackedClinical",),
    "added_value": ("ADDED_COLUMNS",),
    "stage": ("ModelOptions", "ModelOutputs", "ModelSettings", "ProtocolOptions", "run"),
    "validate": ("FeatureMismatchError", "ValidationSettings", "best_saved_model", "run_validation"),
})
