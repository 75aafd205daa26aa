r"""Late fusion of per-source models.

Each member is a full pipeline (its first step selects its source's columns), so a
:class:`LateFusion` takes the whole cohort table. Probabilities are combined by

* ``"mean"``: :math:`\bar p = \frac1S \sum_s p_s`;
* ``"stack"``: a logistic regression on the logits :math:`\text{logit}(p_s)`, fitted on inner
  out-of-fold predictions of the training rows only (``cv`` folds), so no training row is scored
  by a member that saw it.

Early fusion is simply one pipeline over the union of the sources' columns (source ``fused``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from radiogenomics.models.errors import ModelParameterError
from radiogenomics.models.pipeline import ColumnSelector, make_pipeline
from radiogenomics.models.registry import check_model_names, make_model
from radiogenomics.models.sources import CLINICAL, STACK_REFERENCE, STACKED, source_columns
from radiogenomics.models.stacked import StackedClinical

__all__ = ["LateFusion", "build_models", "input_columns"]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class LateFusion(ClassifierMixin, BaseEstimator):
    """Average or stack the probabilities of per-source estimators.

    Parameters
    ----------
    estimators : list of ``(name, estimator)``; every estimator must accept the full table.
    method : ``"mean"`` or ``"stack"``.
    cv : inner folds for stacking.
    random_state : seed of the inner folds.

    Attributes
    ----------
    estimators_ : fitted members; stacker_ : the fitted meta-learner (stack only); classes_.
    """

    def __init__(self, estimators: Sequence[tuple[str, BaseEstimator]] = (), method: str = "mean",
                 cv: int = 5, random_state: int = 0) -> None:
        self.estimators = estimators
        self.method = method
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y):
        if self.method not in ("mean", "stack"):
            raise ModelParameterError(f"method must be 'mean' or 'stack', got {self.method!r}")
        if not self.estimators:
            raise ModelParameterError("LateFusion needs at least one estimator")
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        self.estimators_ = [(n, clone(e).fit(X, y)) for n, e in self.estimators]
        if self.method == "stack":
            folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
            oof = np.column_stack([
                cross_val_predict(clone(e), X, y, cv=folds, method="predict_proba")[:, 1]
                for _, e in self.estimators
            ])
            self.stacker_ = LogisticRegression(C=1.0, max_iter=1000).fit(_logit(oof), y)
        return self

    def member_proba(self, X) -> dict[str, np.ndarray]:
        """Positive-class probability of each member."""
        return {n: e.predict_proba(X)[:, 1] for n, e in self.estimators_}

    def predict_proba(self, X):
        P = np.column_stack(list(self.member_proba(X).values()))
        p = self.stacker_.predict_proba(_logit(P))[:, 1] if self.method == "stack" else P.mean(axis=1)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def build_models(
    sources: dict[str, list[str]],
    model_names: Sequence[str],
    source_names: Sequence[str],
    *,
    selector: str = "univariate",
    k: int = 50,
    seed: int = 0,
    late: str | None = "mean",
    transformer_params: Mapping | None = None,
    clinical_weight: float = 4.0,
    categorical: Sequence[str] = (),
    stack_folds: int = 5,
) -> dict[tuple[str, str], BaseEstimator]:
    """``(model, source) → pipeline`` for every requested model and source.

    Source names:

    * any key of ``sources`` (``clinical`` = the clinical columns alone, no selection);
    * ``fused`` — early fusion of all imaging columns;
    * ``<imaging source>+clinical`` and ``fused+clinical`` — imaging columns (filtered and selected)
      plus the clinical columns, which bypass the selection and are scaled by ``clinical_weight``
      (see :func:`~radiogenomics.models.pipeline.make_pipeline`);
    * ``late`` — late fusion of the per-source imaging models, combined by ``late`` (``"mean"`` or
      ``"stack"``);
    * ``late+clinical`` — stacking (:class:`LateFusion` ``method="stack"``) of the per-source imaging
      models and the clinical-only model: the meta-learner weighs a strong clinical model against
      weak imaging ones on inner out-of-fold predictions;
    * ``stacked`` — the clinical variables plus the out-of-fold score of the model over all imaging columns in a
      penalised logistic model whose imaging weight can shrink to 0
      (:class:`~radiogenomics.models.stacked.StackedClinical`);
    * ``clinical_stack`` — the same second level on the clinical variables alone (imaging weight 0): the
      reference of ``stacked``'s added value.

    ``categorical`` names the clinical columns that are categorical (one-hot, or tokens in the Transformer);
    ``stack_folds`` the inner folds of ``stacked`` (and ``clinical_stack``).

    ``transformer_params`` overrides the :class:`~radiogenomics.models.transformer.FeatureTokenTransformer`
    defaults (e.g. ``{"d_token": 16}``).
    """
    clin = list(sources.get(CLINICAL, []))
    imaging_sources = {src: cols for src, cols in sources.items() if src != CLINICAL}
    suffix = "+" + CLINICAL

    def estimator(name: str) -> BaseEstimator:
        return make_model(name, seed, transformer_params if name == "transformer" else None)

    def pipe(m: str, cols: list[str] | None, with_clinical: bool) -> BaseEstimator:
        return make_pipeline(estimator(m), cols, clinical=clin if with_clinical else (),
                             categorical=categorical if with_clinical else (),
                             clinical_weight=clinical_weight, selector=selector, k=k, random_state=seed)

    out: dict[tuple[str, str], BaseEstimator] = {}
    for m in check_model_names(model_names):
        for s in source_names:
            if s in ("late", "late" + suffix):
                members = [(src, pipe(m, cols, False)) for src, cols in imaging_sources.items()]
                if s == "late":
                    out[(m, s)] = LateFusion(members, method=late or "mean", random_state=seed)
                    continue
                if not clin:
                    raise ModelParameterError(f"source {s!r} needs clinical columns")
                members.append((CLINICAL, pipe(m, [], True)))
                out[(m, s)] = LateFusion(members, method="stack", random_state=seed)
            elif s == STACKED:
                if not clin:
                    raise ModelParameterError(f"source {s!r} needs clinical columns")
                imaging = pipe(m, source_columns(imaging_sources, "fused"), False)
                out[(m, s)] = StackedClinical(imaging, clin, list(categorical), clinical_weight=clinical_weight,
                                              cv=stack_folds, random_state=seed)
            elif s == STACK_REFERENCE:
                if not clin:
                    raise ModelParameterError(f"source {s!r} needs clinical columns")
                out[(m, s)] = StackedClinical(None, clin, list(categorical), clinical_weight=clinical_weight,
                                              cv=stack_folds, random_state=seed)
            elif s == CLINICAL:
                if not clin:
                    raise ModelParameterError("source 'clinical' needs clinical columns")
                out[(m, s)] = pipe(m, [], True)
            elif s.endswith(suffix):
                if not clin:
                    raise ModelParameterError(f"source {s!r} needs clinical columns")
                out[(m, s)] = pipe(m, source_columns(imaging_sources, s[: -len(suffix)]), True)
            else:
                out[(m, s)] = pipe(m, source_columns(imaging_sources, s), False)
    return out


def input_columns(est: BaseEstimator) -> list[str]:
    """The table columns an estimator of :func:`build_models` reads (to check a table before predicting).

    A pipeline's column selection, the union over a :class:`LateFusion`'s members, a stacked model's imaging
    columns and clinical columns, the searched estimator of a grid search; empty when unknown.
    """
    if isinstance(est, GridSearchCV):
        return input_columns(est.estimator)
    if isinstance(est, StackedClinical):
        imaging = [] if est.imaging is None else input_columns(est.imaging)
        return list(dict.fromkeys([*imaging, *est.clinical]))
    if isinstance(est, LateFusion):
        return list(dict.fromkeys(c for _, member in est.estimators for c in input_columns(member)))
    if isinstance(est, Pipeline) and isinstance(est.steps[0][1], ColumnSelector):
        return list(est.steps[0][1].columns or [])
    return []
