r"""The fitted linear signature of a saved model, as a table a reader can apply by hand.

For a pipeline ending in :class:`~radiogenomics.models.baselines.LassoSignature` (``lasso``, ``elasticnet``) the
names of the final step's inputs are followed through the column selection, the filters and the selector; each
kept input :math:`j` has the standardisation of the pipeline (``mean`` :math:`\mu_j`, ``sd`` :math:`\sigma_j`) and
its coefficient :math:`\beta_j` (per standard deviation; a clinical weight :math:`w` is folded in). The score is

.. math:: \text{score} = \beta_0 + \sum_j \beta_j \frac{x_j - \mu_j}{\sigma_j}, \qquad P(y = 1) = \frac{1}{1 +
          e^{-\text{score}}}

(a one-hot level ``col=level`` has :math:`x_j \in \{0, 1\}`, :math:`\mu = 0`, :math:`\sigma = 1`). For the
stacked model (:class:`~radiogenomics.models.stacked.StackedClinical`) the table holds the second level
(``level="stack"``: the imaging score standardised by its out-of-fold mean and SD, and the clinical terms) and,
when its imaging model is a LASSO signature, that signature (``level="imaging"``, whose score is the imaging
score's logit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from radiogenomics.models.baselines import LassoSignature
from radiogenomics.models.harmonise import ComBat
from radiogenomics.models.pipeline import ColumnSelector
from radiogenomics.models.stacked import StackedClinical

__all__ = ["SIGNATURE_COLUMNS", "formula", "signature_table", "training_standardisation"]

#: Columns of :func:`signature_table`.
SIGNATURE_COLUMNS = ("level", "term", "coefficient", "mean", "sd")


class _Terms:
    """Names of the columns flowing through a pipeline, with their standardisation and weight."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.mean = np.zeros(len(self.names))
        self.sd = np.ones(len(self.names))
        self.factor = np.ones(len(self.names))

    def keep(self, mask: np.ndarray) -> None:
        mask = np.asarray(mask, dtype=bool)
        self.names = [n for n, k in zip(self.names, mask, strict=True) if k]
        self.mean, self.sd, self.factor = self.mean[mask], self.sd[mask], self.factor[mask]

    def extend(self, other: _Terms) -> None:
        self.names += other.names
        self.mean = np.r_[self.mean, other.mean]
        self.sd = np.r_[self.sd, other.sd]
        self.factor = np.r_[self.factor, other.factor]


def _level_name(column: str, code: str, encodings: Mapping[str, Sequence]) -> str:
    try:
        i = int(float(code))
    except ValueError:
        return f"{column}={code}"
    cats = list(encodings.get(column, []))
    label = "missing" if i < 0 else (cats[i] if i < len(cats) else code)
    return f"{column}={label}"


def _walk(step: object, terms: _Terms, encodings: Mapping[str, Sequence],
          scalers: list[tuple[list[str], np.ndarray, np.ndarray]] | None = None) -> _Terms:
    """``terms`` after ``step`` (a fitted transformer); every standardisation met is appended to ``scalers``."""
    if isinstance(step, Pipeline):
        for _, sub in step.steps:
            terms = _walk(sub, terms, encodings, scalers)
        return terms
    if isinstance(step, ColumnSelector):
        return _Terms(step.columns) if step.columns is not None else terms
    if isinstance(step, ComBat):
        terms.keep(np.array([n != step.batch_column for n in terms.names]))
        return terms
    if isinstance(step, ColumnTransformer):
        out = _Terms([])
        for _, trans, cols in step.transformers_:
            if trans == "drop" or not len(cols):
                continue
            sub = _Terms(list(cols))
            out.extend(sub if trans == "passthrough" else _walk(trans, sub, encodings, scalers))
        return out
    if isinstance(step, StandardScaler):
        terms.mean, terms.sd = step.mean_.copy(), step.scale_.copy()
        if scalers is not None:
            scalers.append((list(terms.names), terms.mean.copy(), terms.sd.copy()))
        return terms
    if isinstance(step, OneHotEncoder):
        names = []
        for col, cats in zip(terms.names, step.categories_, strict=True):
            names += [_level_name(col, str(c), encodings) for c in cats]
        out = _Terms(names)
        return out
    if isinstance(step, FunctionTransformer):
        terms.factor = terms.factor * float((step.kw_args or {}).get("w", 1.0))
        return terms
    if hasattr(step, "get_support"):
        terms.keep(step.get_support())
        return terms
    if hasattr(step, "support_"):
        terms.keep(step.support_)
        return terms
    return terms  # imputers and other column-preserving steps


def _lasso_rows(pipe: Pipeline, level: str, encodings: Mapping[str, Sequence]) -> list[dict] | None:
    final = pipe.steps[-1][1]
    if not isinstance(final, LassoSignature):
        return None
    terms = _walk(Pipeline(pipe.steps[:-1]), _Terms([f"x{j}" for j in range(final.n_features_in_)]), encodings)
    if len(terms.names) != final.coef_.size:
        terms = _Terms([str(n) for n in final.feature_names_in_])
    rows = [{"level": level, "term": "(intercept)", "coefficient": final.intercept_, "mean": np.nan, "sd": np.nan}]
    for j, c in enumerate(final.coef_ * terms.factor):
        if c != 0:
            rows.append({"level": level, "term": terms.names[j], "coefficient": float(c),
                         "mean": float(terms.mean[j]), "sd": float(terms.sd[j])})
    return rows


def signature_table(est: BaseEstimator, encodings: Mapping[str, Sequence] | None = None) -> pd.DataFrame | None:
    """The model's linear signature (module docstring), columns :data:`SIGNATURE_COLUMNS`; ``None`` when ``est`` is
    neither a LASSO-signature pipeline nor a stacked model.

    ``encodings`` (``{column: categories}`` of the run) names the one-hot levels by their values.
    """
    enc = encodings or {}
    if isinstance(est, StackedClinical):
        clin = _walk(est.second_, _Terms([]), enc)
        rows = [{"level": "stack", "term": "(intercept)", "coefficient": est.intercept_, "mean": np.nan,
                 "sd": np.nan}]
        lead = int(est.imaging_ is not None)
        if lead:
            rows.append({"level": "stack", "term": "imaging_score", "coefficient": float(est.coef_[0]),
                         "mean": est.score_mean_, "sd": est.score_sd_})
        rows += [{"level": "stack", "term": n, "coefficient": float(c), "mean": float(m), "sd": float(s)}
                 for n, c, m, s in zip(clin.names, est.coef_[lead:], clin.mean, clin.sd, strict=True)]
        if isinstance(est.imaging_, Pipeline):
            rows += _lasso_rows(est.imaging_, "imaging", enc) or []
        return pd.DataFrame(rows, columns=list(SIGNATURE_COLUMNS))
    if isinstance(est, Pipeline):
        rows = _lasso_rows(est, "model", enc)
        return None if rows is None else pd.DataFrame(rows, columns=list(SIGNATURE_COLUMNS))
    return None


def formula(table: pd.DataFrame, level: str | None = None) -> str:
    """``score = b0 + b1*(x1 - m1)/s1 + …`` of one level of a :func:`signature_table` (default: the first)."""
    level = level or str(table["level"].iloc[0])
    t = table[table.level == level]
    parts = []
    for r in t.itertuples(index=False):
        if r.term == "(intercept)":
            parts.insert(0, f"{r.coefficient:+.6g}")
        elif r.mean == 0 and r.sd == 1:
            parts.append(f"{r.coefficient:+.6g}*[{r.term}]")
        else:
            parts.append(f"{r.coefficient:+.6g}*([{r.term}] - {r.mean:.6g})/{r.sd:.6g}")
    return "score = " + " ".join(parts)


def _pipelines(est: BaseEstimator) -> list[Pipeline]:
    if isinstance(est, StackedClinical):
        return [] if est.imaging_ is None else _pipelines(est.imaging_)
    if hasattr(est, "estimators_") and isinstance(est.estimators_, list):  # late fusion
        return [p for _, member in est.estimators_ for p in _pipelines(member)]
    if hasattr(est, "best_estimator_"):
        return _pipelines(est.best_estimator_)
    return [est] if isinstance(est, Pipeline) else []


def training_standardisation(est: BaseEstimator, exclude: Sequence[str] = ()) -> pd.DataFrame:
    """``feature, mean, sd``: the training mean and SD of every input column a fitted model standardises (the
    columns left after its filters; first occurrence when several members use a column), ``exclude`` left out
    (e.g. the clinical columns). These are the reference of :func:`radiogenomics.models.validate.feature_shift`.
    """
    seen: list[tuple[list[str], np.ndarray, np.ndarray]] = []
    for pipe in _pipelines(est):
        _walk(pipe, _Terms([]), {}, seen)
    rows: dict[str, tuple[float, float]] = {}
    skip = set(exclude)
    for names, mean, sd in seen:
        for n, m, s in zip(names, mean, sd, strict=True):
            if n not in skip and n not in rows:
                rows[n] = (float(m), float(s))
    return pd.DataFrame([(n, m, s) for n, (m, s) in rows.items()], columns=["feature", "mean", "sd"])
