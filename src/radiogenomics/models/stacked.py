r"""The stacked imaging + clinical model (source ``stacked``): clinical variables plus one imaging score.

Fitted on training rows only (so inside every CV fold and before every hold-out):

1. the imaging model :math:`f` (a full imaging pipeline, e.g. LASSO or the Transformer over the fused imaging
   columns) predicts every training row *out of fold* (``cv`` stratified inner folds), giving the score
   :math:`s_i = \operatorname{logit} \hat p_i` of a model that did not see row :math:`i`; :math:`f` is then refitted
   on all training rows to score new rows;
2. the second level is an L2-penalised logistic regression on the clinical variables (numeric: median imputation,
   standardisation; categorical: one-hot, see :func:`~radiogenomics.models.pipeline.clinical_branches`), multiplied
   by ``clinical_weight`` :math:`w`, and the standardised score :math:`z_i = (s_i - \bar s) / \operatorname{sd}(s)`:

   .. math:: \operatorname{logit} P(y = 1) = \beta_0 + \sum_c \beta_c\, w\, x_c + \beta_s z,

   fitted by penalised maximum likelihood, :math:`\min_\beta\; C \sum_i \ell_i(\beta) + \tfrac12 \lVert\beta\rVert^2`
   (intercept unpenalised; scikit-learn's L2 ``LogisticRegression(C)``, solved by Newton's method — the design has
   a handful of columns), with :math:`C` chosen among ``Cs`` by the mean log-loss over the ``cv`` inner stratified
   folds (ties: the smallest :math:`C`, the most penalised); both classes weigh the same (balanced sample weights
   :math:`n / (2 n_c)`, as every model of the registry), and the class-balanced log-loss chooses :math:`C`.
   With :math:`w > 1` the clinical coefficients are
   penalised :math:`w^2` times less than the imaging weight :math:`\beta_s`, so when the imaging score adds
   nothing beyond the clinical variables :math:`\beta_s` shrinks towards 0 and the model falls back to a (nearly
   unpenalised) clinical logistic model.

``imaging_weight_`` is :math:`\beta_s` (log-odds per standard deviation of the imaging score), reported with the
model; ``coef_`` holds every second-level coefficient with ``terms_`` naming them.

Without an imaging model (``imaging=None``, source ``clinical_stack``) it is the same second level on the clinical
variables alone — :math:`\beta_s` fixed at 0 — the reference the added value of ``stacked`` is measured against, so
that the difference is the imaging score's and not that of a different clinical model (a Transformer or a random
forest on 2–8 clinical variables can be much weaker than a logistic model on them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from radiogenomics.models.errors import ModelParameterError
from radiogenomics.models.metrics import newton_logistic
from radiogenomics.models.pipeline import clinical_branches

__all__ = ["STACK_CS", "StackedClinical", "balanced_weights", "ridge_logistic"]

#: Inverse penalties the second level chooses from (inner CV, log-loss): from 0.01, the registry's ``logistic``
#: (the clinical reference of the other models) upwards, so that the clinical part is never penalised more than
#: that reference, to 100 (nearly unpenalised).
STACK_CS = tuple(float(c) for c in np.logspace(-2, 2, 9))


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """Sample weights :math:`n / (2 n_c)` of each case's class :math:`c` (``class_weight="balanced"``)."""
    y = np.asarray(y)
    n_pos = float(np.sum(y == 1))
    n_neg = float(y.size - n_pos)
    return np.where(y == 1, y.size / (2 * max(n_pos, 1.0)), y.size / (2 * max(n_neg, 1.0)))


def ridge_logistic(Z: np.ndarray, y: np.ndarray, C: float, weights: np.ndarray | None = None,
                   iters: int = 100) -> tuple[np.ndarray, float]:
    r"""``(coef, intercept)`` minimising :math:`C \sum_i w_i \ell_i + \frac12 \lVert coef \rVert^2` (log-loss
    :math:`\ell_i`, sample weights :math:`w_i`, default 1; unpenalised intercept) by
    :func:`~radiogenomics.models.metrics.newton_logistic`, exact for the small designs here (the same optimum as
    scikit-learn's ``LogisticRegression(C=C)`` with ``sample_weight``)."""
    beta = newton_logistic(np.column_stack([np.ones(len(y)), Z]), y, weights=weights,
                           penalty=np.r_[0.0, np.full(Z.shape[1], 1.0 / C)], iters=iters)
    return beta[1:], float(beta[0])


def _log_loss(y: np.ndarray, eta: np.ndarray, weights: np.ndarray) -> float:
    return float(np.sum(weights * (np.logaddexp(0.0, eta) - y * eta)) / np.sum(weights))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class StackedClinical(ClassifierMixin, BaseEstimator):
    """Clinical variables + an out-of-fold imaging score in a penalised logistic model (module docstring).

    Parameters
    ----------
    imaging : estimator accepting the whole table (a pipeline over the imaging columns); ``None``: the clinical
        second level alone (the reference model).
    clinical, categorical : clinical columns and the categorical ones among them.
    clinical_weight : :math:`w` (> 0).
    cv : inner folds of the out-of-fold scores and of the penalty choice (>= 2; capped at the minority class's
        count).
    Cs : candidate :math:`C` of the second level.
    random_state : seed of the inner folds.

    Attributes
    ----------
    imaging_ (refitted on all training rows), second_ (the second-level pipeline's preprocessing),
    score_mean_, score_sd_, terms_, raw_coef_ (on the weighted design), coef_ (per SD or level), intercept_,
    imaging_weight_, C_ (the chosen :math:`C`), classes_.
    """

    def __init__(self, imaging: BaseEstimator | None = None, clinical: Sequence[str] = (),
                 categorical: Sequence[str] = (), clinical_weight: float = 4.0, cv: int = 5,
                 Cs: Sequence[float] = STACK_CS, random_state: int = 0) -> None:
        self.imaging = imaging
        self.clinical = clinical
        self.categorical = categorical
        self.clinical_weight = clinical_weight
        self.cv = cv
        self.Cs = Cs
        self.random_state = random_state

    def _second_level(self, X, score: np.ndarray | None, fit: bool) -> np.ndarray:
        clin = np.asarray(self.second_.fit_transform(X) if fit else self.second_.transform(X), dtype=np.float64)
        if score is None:
            return clin
        z = ((score - self.score_mean_) / self.score_sd_)[:, None]
        return np.hstack([z, clin])

    def fit(self, X, y):
        if not self.clinical:
            raise ModelParameterError("the stacked model needs clinical columns")
        if self.cv < 2 or not self.clinical_weight > 0:
            raise ModelParameterError(f"need cv >= 2 and clinical_weight > 0, got {self.cv}, {self.clinical_weight}")
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if self.classes_.size != 2:
            raise ModelParameterError(f"binary target needed, got classes {self.classes_}")
        n_min = int(min(np.sum(y == c) for c in self.classes_))
        if n_min < 2:
            raise ModelParameterError(f"the stacked model needs at least 2 cases of each class, got {n_min}")
        cv = min(int(self.cv), n_min)  # a small minority class caps the inner folds
        folds = StratifiedKFold(cv, shuffle=True, random_state=self.random_state)
        score = None
        self.imaging_ = None
        if self.imaging is not None:
            oof = cross_val_predict(clone(self.imaging), X, y, cv=folds, method="predict_proba")[:, 1]
            score = _logit(oof)
            self.score_mean_ = float(score.mean())
            sd = float(score.std())
            self.score_sd_ = sd if sd > 0 else 1.0
            self.imaging_ = clone(self.imaging).fit(X, y)
        branches = clinical_branches(list(self.clinical), list(self.categorical), self.clinical_weight)
        self.second_ = ColumnTransformer(branches, remainder="drop", verbose_feature_names_out=False)
        Z = self._second_level(X, score, fit=True)
        yb = (y == self.classes_[1]).astype(np.float64)
        losses = np.zeros(len(self.Cs))
        for tr, va in folds.split(Z, yb):
            for j, c in enumerate(self.Cs):
                coef, b0 = ridge_logistic(Z[tr], yb[tr], float(c), balanced_weights(yb[tr]))
                losses[j] += _log_loss(yb[va], Z[va] @ coef + b0, balanced_weights(yb[va]))
        cs = np.asarray(self.Cs, dtype=np.float64)
        order = np.argsort(cs, kind="stable")
        self.C_ = float(cs[order][np.argmin(losses[order])])  # ties: the smallest C
        raw, self.intercept_ = ridge_logistic(Z, yb, self.C_, balanced_weights(yb))
        self.raw_coef_ = raw
        lead = [] if score is None else ["imaging_score"]
        self.terms_ = [*lead, *[str(n) for n in self.second_.get_feature_names_out()]]
        w = np.r_[np.ones(len(lead)), np.full(Z.shape[1] - len(lead), float(self.clinical_weight))]
        self.coef_ = raw * w  # per standardised score / per SD (or level) of each variable
        self.imaging_weight_ = float(self.coef_[0]) if lead else 0.0
        return self

    def predict_proba(self, X):
        score = None if self.imaging_ is None else _logit(self.imaging_.predict_proba(X)[:, 1])
        eta = self._second_level(X, score, fit=False) @ self.raw_coef_ + self.intercept_
        p = 1.0 / (1.0 + np.exp(-np.clip(eta, -500, 500)))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
