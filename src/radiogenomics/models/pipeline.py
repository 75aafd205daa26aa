r"""Leakage-safe preprocessing pipelines.

Every data-dependent step is a scikit-learn transformer inside one :class:`~sklearn.pipeline.Pipeline`,
so cross-validation refits it on the training rows of each fold only:

1. :class:`ColumnSelector` — the columns of one source (no data dependence);
2. median imputation;
3. near-constant removal (variance :math:`\le` ``var_threshold`` after imputation);
4. :class:`CorrelationFilter` — drops one of each pair with :math:`|r| >` ``corr_threshold``;
5. standard scaling :math:`z = (x - \bar x) / s`;
6. feature selection: univariate ANOVA F (``"univariate"``), :class:`MRMRSelector` (``"mrmr"``),
   L1-logistic top-k (``"lasso"``) or none;
7. an optional harmonisation hook: any transformer placed before scaling, or ``harmonise="<batch column>"``
   for :class:`~radiogenomics.models.harmonise.ComBat` right after the column selection;
8. the estimator.

Clinical columns (``clinical=``) take a separate branch — imputation, scaling and an optional weight —
and bypass the filters and the selector, so a strong clinical covariate can never be selected away or
drowned by hundreds of imaging features. Categorical clinical columns (``categorical=``, integer codes from
:func:`~radiogenomics.models.outputs.prepare_table`) are one-hot encoded (a missing value is its own level; a
level unseen in training gets all zeros) and weighted like the numeric ones; for a
:class:`~radiogenomics.models.transformer.FeatureTokenTransformer` they are passed through as codes, last, and the
Transformer embeds each as a categorical token.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import SelectKBest, VarianceThreshold, f_classif
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from radiogenomics.errors import suggest
from radiogenomics.models.errors import ModelParameterError, UnknownModelError
from radiogenomics.models.harmonise import ComBat
from radiogenomics.models.transformer import FeatureTokenTransformer

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["SELECTORS", "ColumnSelector", "CorrelationFilter", "LassoKSelector", "MRMRSelector", "clinical_branches",
           "make_pipeline"]

SELECTORS = ("none", "univariate", "mrmr", "lasso")


class ColumnSelector(BaseEstimator, TransformerMixin):
    """Select named columns of a DataFrame (all columns when ``columns`` is None).

    Output: a float64 array, or the DataFrame slice when ``as_frame`` (for steps that need names).
    """

    def __init__(self, columns: Sequence[str] | None = None, as_frame: bool = False) -> None:
        self.columns = columns
        self.as_frame = as_frame

    def fit(self, X, y=None):
        if self.columns is not None and hasattr(X, "columns"):
            missing = [c for c in self.columns if c not in X.columns]
            if missing:
                raise ModelParameterError(f"{len(missing)} columns missing from the table, e.g. {missing[:3]}")
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        if self.as_frame:
            return X if self.columns is None else X.loc[:, list(self.columns)]
        if self.columns is None:
            return np.asarray(X, dtype=np.float64)
        return X.loc[:, list(self.columns)].to_numpy(dtype=np.float64)


class CorrelationFilter(BaseEstimator, TransformerMixin):
    r"""Greedy removal of highly correlated features.

    Columns are visited in order; a column is kept unless its :math:`|r|` with an already-kept
    column exceeds ``threshold``. Fitted: ``support_`` (bool mask).
    """

    def __init__(self, threshold: float = 0.95) -> None:
        self.threshold = threshold

    def fit(self, X, y=None):
        if not 0 < self.threshold <= 1:
            raise ModelParameterError(f"threshold must be in (0, 1], got {self.threshold}")
        X = np.asarray(X, dtype=np.float64)
        p = X.shape[1]
        support = np.ones(p, dtype=bool)
        if self.threshold < 1 and p > 1:
            sd = X.std(axis=0)
            Z = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
            r = np.abs(Z.T @ Z) / X.shape[0]
            np.fill_diagonal(r, 0.0)
            for j in range(p):
                if support[j]:
                    drop = r[j] > self.threshold
                    drop[: j + 1] = False
                    support &= ~drop
        self.support_ = support
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float64)[:, self.support_]


class MRMRSelector(BaseEstimator, TransformerMixin):
    r"""Minimum-redundancy maximum-relevance selection (F-test / correlation, quotient form).

    Greedily adds the feature maximising :math:`F(j) / \overline{|r_{j,S}|}` where :math:`S` is the
    selected set (first pick: largest F). Fitted: ``support_``.
    """

    def __init__(self, k: int = 20) -> None:
        self.k = k

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        k = min(int(self.k), X.shape[1])
        f, _ = f_classif(X, y)
        f = np.nan_to_num(f)
        sd = X.std(axis=0)
        Z = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        chosen = [int(np.argmax(f))]
        red = np.abs(Z.T @ Z[:, chosen[0]]) / X.shape[0]
        while len(chosen) < k:
            score = f / np.maximum(red / len(chosen), 1e-6)
            score[chosen] = -np.inf
            j = int(np.argmax(score))
            chosen.append(j)
            red += np.abs(Z.T @ Z[:, j]) / X.shape[0]
        self.support_ = np.zeros(X.shape[1], dtype=bool)
        self.support_[chosen] = True
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float64)[:, self.support_]


class LassoKSelector(BaseEstimator, TransformerMixin):
    """Keep the ``k`` features with the largest |coefficient| of an L1 logistic regression."""

    def __init__(self, k: int = 20, C: float = 0.1, random_state: int = 0) -> None:
        self.k = k
        self.C = C
        self.random_state = random_state

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        lr = LogisticRegression(penalty="l1", C=self.C, solver="liblinear", random_state=self.random_state)
        lr.fit(X, y)
        order = np.argsort(-np.abs(lr.coef_.ravel()), kind="stable")[: min(int(self.k), X.shape[1])]
        self.support_ = np.zeros(X.shape[1], dtype=bool)
        self.support_[order] = True
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float64)[:, self.support_]


def _times(X, w: float = 1.0):
    """``X * w`` (module-level so that fitted pipelines pickle)."""
    return np.asarray(X, dtype=np.float64) * w


def _imaging_steps(selector: str, k: int, var_threshold: float, corr_threshold: float,
                   harmoniser: BaseEstimator | None, random_state: int) -> list[tuple[str, object]]:
    steps: list[tuple[str, object]] = [
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("variance", VarianceThreshold(var_threshold)),
        ("correlation", CorrelationFilter(corr_threshold)),
    ]
    if harmoniser is not None:
        steps.append(("harmonise", harmoniser))
    steps.append(("scale", StandardScaler()))
    if selector == "univariate":
        steps.append(("select", _CappedKBest(k)))
    elif selector == "mrmr":
        steps.append(("select", MRMRSelector(k)))
    elif selector == "lasso":
        steps.append(("select", LassoKSelector(k, random_state=random_state)))
    return steps


def clinical_branches(clinical: Sequence[str], categorical: Sequence[str] = (), weight: float = 1.0,
                      codes: bool = False) -> list[tuple[str, object, list[str]]]:
    r"""The :class:`~sklearn.compose.ColumnTransformer` branches of the clinical columns.

    Numeric columns: median imputation → standard scaling → :math:`\times w`. Categorical columns (a subset of
    ``clinical``): missing → its own level (code -1) → one-hot (unseen levels: all zeros) → :math:`\times w`; or, with
    ``codes``, the integer codes passed through unchanged (for the Transformer's categorical tokens). Empty
    branches are left out; the categorical branch comes last.
    """
    cat = [c for c in clinical if c in set(categorical)]
    num = [c for c in clinical if c not in set(cat)]
    weight_step = ("weight", FunctionTransformer(_times, kw_args={"w": float(weight)}, feature_names_out="one-to-one"))
    out: list[tuple[str, object, list[str]]] = []
    if num:
        out.append(("clinical", Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                                          ("scale", StandardScaler()), weight_step]), num))
    if cat:
        if codes:
            out.append(("categorical", "passthrough", cat))
        else:
            out.append(("categorical", Pipeline([
                ("impute", SimpleImputer(strategy="constant", fill_value=-1, keep_empty_features=True)),
                ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)), weight_step]), cat))
    return out


def make_pipeline(
    estimator: BaseEstimator,
    columns: Sequence[str] | None = None,
    *,
    clinical: Sequence[str] = (),
    categorical: Sequence[str] = (),
    clinical_weight: float = 1.0,
    selector: str = "univariate",
    k: int = 50,
    var_threshold: float = 1e-8,
    corr_threshold: float = 0.95,
    harmoniser: BaseEstimator | None = None,
    harmonise: str | None = None,
    random_state: int = 0,
) -> Pipeline:
    r"""Build the leakage-safe pipeline described in the module docstring.

    Parameters
    ----------
    estimator : final classifier.
    columns : imaging feature columns (all columns when None and no clinical columns are given).
    clinical : clinical columns. They bypass the filters and the selector (never dropped): median
        imputation → standard scaling → multiplication by ``clinical_weight`` :math:`w`, and are
        appended after the selected imaging features. For a penalised linear model :math:`w > 1`
        divides the clinical coefficients' L2 penalty by :math:`w^2` (L1: by :math:`w`), i.e. the
        clinical covariates are (nearly) unpenalised.
    categorical : the clinical columns that are categorical (integer codes): one-hot encoded, or categorical
        tokens when ``estimator`` is a :class:`~radiogenomics.models.transformer.FeatureTokenTransformer` (its
        ``categorical`` parameter is set to the last columns); see :func:`clinical_branches`.
    selector, k : imaging feature selection (``k`` capped at the features surviving the filters).
    var_threshold, corr_threshold : near-constant and correlation filters.
    harmoniser : any transformer inserted before scaling (advanced hook).
    harmonise : name of a batch column (e.g. scanner); adds a
        :class:`~radiogenomics.models.harmonise.ComBat` step fitted on the training rows only, right
        after the column selection (the batch column itself is not used as a feature).
    random_state : seed of the LASSO selector.
    """
    if selector not in SELECTORS:
        raise UnknownModelError(f"unknown selector {selector!r}.{suggest(selector, SELECTORS)} Valid: {SELECTORS}")
    if not clinical_weight > 0:
        raise ModelParameterError(f"clinical_weight must be > 0, got {clinical_weight}")
    clin = list(clinical)
    stray = [c for c in categorical if c not in clin]
    if stray:
        raise ModelParameterError(f"categorical columns must be clinical columns too: {stray}")
    img = None if columns is None else [c for c in columns if c not in clin]
    img_steps = _imaging_steps(selector, k, var_threshold, corr_threshold, harmoniser, random_state)
    if harmonise is not None:
        if img is None:
            raise ModelParameterError("harmonise needs explicit feature columns")
        head: list[tuple[str, object]] = [("columns", ColumnSelector([*img, harmonise], as_frame=True)),
                                          ("combat", ComBat(batch_column=harmonise))]
    else:
        head = []
    if not clin:
        if not head:
            head = [("columns", ColumnSelector(img))]
        return Pipeline([*head, *img_steps, ("model", estimator)])
    tokens = isinstance(estimator, FeatureTokenTransformer)
    n_cat = sum(c in set(categorical) for c in clin)
    if tokens and n_cat:
        estimator.set_params(categorical=tuple(range(-n_cat, 0)))
    clin_branches = clinical_branches(clin, categorical, clinical_weight, codes=tokens)
    if img:
        if head:
            raise ModelParameterError("harmonise with clinical columns is not supported; harmonise imaging only")
        branches = ColumnTransformer([("imaging", Pipeline(img_steps), list(img)), *clin_branches],
                                     remainder="drop", verbose_feature_names_out=False)
    else:
        branches = ColumnTransformer(clin_branches, remainder="drop")
    ordered = [c for _, _, cols in clin_branches for c in cols]
    return Pipeline([("columns", ColumnSelector([*(img or []), *ordered], as_frame=True)), ("features", branches),
                     ("model", estimator)])


class _CappedKBest(SelectKBest):
    """:class:`SelectKBest` with ANOVA F whose ``k`` is capped at the number of input features."""

    def __init__(self, k: int = 50) -> None:
        super().__init__(score_func=f_classif, k=k)

    def fit(self, X, y):
        k_req = self.k
        self.k = min(int(k_req), np.asarray(X).shape[1]) if k_req != "all" else "all"
        try:
            return super().fit(X, y)
        finally:
            self.k = k_req

    def _get_support_mask(self):
        k_req = self.k
        self.k = min(int(k_req), self.scores_.size) if k_req != "all" else "all"
        try:
            return super()._get_support_mask()
        finally:
            self.k = k_req
