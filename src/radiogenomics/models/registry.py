"""The model registry: every classifier by name, with its factory, its search grid and the default list.

Every place that names a model — the ``model`` and ``cnn train`` commands, the study's ``models`` and ``cnn``
sections, :func:`~radiogenomics.models.outputs.run_models`, the nested protocol's grids — reads it from
here, so a model is added in one place (one :class:`ModelSpec` in :data:`MODELS`).

=============== ====================================================================================
``transformer`` :class:`~radiogenomics.models.transformer.FeatureTokenTransformer` (feature tokens + clinical)
``lasso``       :class:`~radiogenomics.models.baselines.LassoSignature`, L1 logistic, :math:`C = 0.1`
``elasticnet``  the same with ``l1_ratio = 0.5``
``logistic``    L2 logistic regression, :math:`C = 0.01`, balanced class weights
``rf``          random forest, 300 trees, ``min_samples_leaf = 3``, balanced-subsample class weights
``hgb``         histogram gradient boosting, 150 iterations, learning rate 0.05, 15 leaves, balanced
=============== ====================================================================================

:data:`DEFAULT_MODELS` (``transformer``, ``lasso``): the founding paper's feature-token Transformer and the
LASSO radiomic signature most radiomics papers report beside it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from radiogenomics.errors import suggest
from radiogenomics.models.errors import ModelParameterError, UnknownModelError

__all__ = ["DEFAULT_MODELS", "MODELS", "ModelSpec", "check_model_names", "make_model", "search_grids"]


@dataclass(frozen=True)
class ModelSpec:
    """One model of the registry.

    Attributes
    ----------
    name
        Its name in settings, tables and folders.
    estimator
        ``"module:Class"`` of its scikit-learn estimator, imported when a model is made (so that naming and
        checking models, e.g. in the command-line help, loads no machine-learning library).
    params
        Constructor arguments; the seed is passed as ``random_state``.
    grid
        Hyper-parameter grid of the nested protocol, in pipeline parameter names (``model__C``).
    description
        One line for help texts.
    """

    name: str
    estimator: str
    params: Mapping[str, Any] = field(default_factory=dict)
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    description: str = ""

    def make(self, seed: int) -> Any:
        """A fresh, unfitted estimator with ``random_state=seed``."""
        module, name = self.estimator.split(":")
        cls = getattr(importlib.import_module(module), name)
        return cls(**dict(self.params), random_state=seed)


_C = [0.03, 0.1, 0.3, 1.0]
MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    ModelSpec("transformer", "radiogenomics.models.transformer:FeatureTokenTransformer", {},
              {"model__d_token": [16, 32], "model__dropout": [0.1, 0.3]},
              "feature-token Transformer over radiomic and clinical tokens"),
    ModelSpec("lasso", "radiogenomics.models.baselines:LassoSignature", {"C": 0.1, "l1_ratio": 1.0},
              {"model__C": _C}, "LASSO (L1) logistic radiomic signature"),
    ModelSpec("elasticnet", "radiogenomics.models.baselines:LassoSignature", {"C": 0.1, "l1_ratio": 0.5},
              {"model__C": _C}, "elastic-net logistic signature (l1_ratio 0.5)"),
    ModelSpec("logistic", "sklearn.linear_model:LogisticRegression",
              {"C": 0.01, "class_weight": "balanced", "max_iter": 2000},
              {"model__C": [0.001, 0.01, 0.1, 1.0]}, "L2 logistic regression"),
    ModelSpec("rf", "sklearn.ensemble:RandomForestClassifier",
              {"n_estimators": 300, "min_samples_leaf": 3, "class_weight": "balanced_subsample"},
              {"model__max_depth": [3, 6, None]}, "random forest"),
    ModelSpec("hgb", "sklearn.ensemble:HistGradientBoostingClassifier",
              {"max_iter": 150, "learning_rate": 0.05, "max_leaf_nodes": 15, "class_weight": "balanced"},
              {"model__max_depth": [2, 4, None]}, "histogram gradient boosting"),
)}

#: The models run when none are named (CLI, study, :func:`~radiogenomics.models.outputs.run_models`).
DEFAULT_MODELS: tuple[str, ...] = ("transformer", "lasso")


def check_model_names(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` as a tuple, each a registered model.

    Raises
    ------
    UnknownModelError
        A name is not registered (the closest one is suggested); or no name at all.
    """
    out = tuple(names)
    if not out:
        raise UnknownModelError(f"name at least one model ({', '.join(MODELS)})")
    for name in out:
        if name not in MODELS:
            raise UnknownModelError(f"unknown model {name!r}.{suggest(name, MODELS)} Valid: {', '.join(MODELS)}")
    return out


def make_model(name: str, seed: int = 0, params: Mapping[str, Any] | None = None) -> Any:
    """A fresh estimator of model ``name`` with seed ``seed`` and ``params`` set on it.

    Raises
    ------
    UnknownModelError
        ``name`` is not registered.
    ModelParameterError
        A name in ``params`` is not a parameter of the estimator.
    """
    check_model_names([name])
    est = MODELS[name].make(seed)
    if params:
        valid = est.get_params()
        unknown = [k for k in params if k not in valid]
        if unknown:
            raise ModelParameterError(f"{name}: unknown parameter(s) {unknown}.{suggest(unknown[0], valid)}")
        est.set_params(**dict(params))
    return est


def search_grids() -> dict[str, dict[str, list[Any]]]:
    """``{model: grid}`` of the nested protocol's default grids."""
    return {name: {k: list(v) for k, v in spec.grid.items()} for name, spec in MODELS.items() if spec.grid}
