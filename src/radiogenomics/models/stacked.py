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

   with the penalty :math:`\lambda = 1 / C` chosen among ``Cs`` by inner cross-validated log-loss (``cv``
   stratified folds, unshuffled)
   (:class:`~sklearn.linear_model.LogisticRegressionCV`). With :math:`w > 1` the clinical coefficients are
   penalised :math:`w^2` times less than the imaging weight :math:`\beta_s`, so when the imaging score adds
   nothing beyond the clinical variables :math:`\beta_s` shrinks towards 0 and the model falls back to a (nearly
   unpenalised) clinical logistic model.

``imaging_weight_`` is :math:`\beta_s` (log-odds per standard deviation of the imaging score), reported with the
model; ``coef_`` holds every second-level coefficient with ``terms_`` naming them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from radiogenomics.models.errors import ModelParameterError
from radiogenomics.models.pipeline import clinical_branches

__all__ = ["STACK_CS", "StackedClinical"]

#: Inverse penalties the second level chooses from (inner CV, log-loss).
STACK_CS = tuple(float(c) for c in np.logspace(-3, 2, 11))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class StackedClinical(ClassifierMixin, BaseEstimator):
    """Clinical variables + an out-of-fold imaging score in a penalised logistic model (module docstring).

    Parameters
    ----------
    imaging : estimator accepting the whole table (a pipeline over the imaging columns).
    clinical, categorical : clinical columns and the categorical ones among them.
    clinical_weight : :math:`w` (> 0).
    cv : inner folds of the out-of-fold scores and of the penalty choice (>= 2; capped at the minority class's
        count).
    Cs : candidate :math:`C` of the second level.
    random_state : seed of the inner folds.

    Attributes
    ----------
    imaging_ (refitted on all training rows), second_ (the second-level pipeline's preprocessing),
    stacker_ (:class:`~sklearn.linear_model.LogisticRegressionCV`), score_mean_, score_sd_, terms_, coef_,
    intercept_, imaging_weight_, C_, classes_.
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

    def _second_level(self, X, score: np.ndarray, fit: bool) -> np.ndarray:
        z = ((score - self.score_mean_) / self.score_sd_)[:, None]
        clin = self.second_.fit_transform(X) if fit else self.second_.transform(X)
        return np.hstack([z, np.asarray(clin, dtype=np.float64)])

    def fit(self, X, y):
        if self.imaging is None or not self.clinical:
            raise ModelParameterError("the stacked model needs an imaging estimator and clinical columns")
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
        oof = cross_val_predict(clone(self.imaging), X, y, cv=folds, method="predict_proba")[:, 1]
        score = _logit(oof)
        self.score_mean_ = float(score.mean())
        sd = float(score.std())
        self.score_sd_ = sd if sd > 0 else 1.0
        self.imaging_ = clone(self.imaging).fit(X, y)
        branches = clinical_branches(list(self.clinical), list(self.categorical), self.clinical_weight)
        self.second_ = ColumnTransformer(branches, remainder="drop", verbose_feature_names_out=False)
        Z = self._second_level(X, score, fit=True)
        self.stacker_ = LogisticRegressionCV(Cs=list(self.Cs), cv=cv, scoring="neg_log_loss", l1_ratios=(0.0,),
                                            max_iter=5000, use_legacy_attributes=False)
        self.stacker_.fit(Z, y)
        self.terms_ = ["imaging_score", *[str(n) for n in self.second_.get_feature_names_out()]]
        w = np.r_[1.0, np.full(Z.shape[1] - 1, float(self.clinical_weight))]
        self.coef_ = self.stacker_.coef_.ravel() * w  # per standardised score / per SD (or level) of each variable
        self.intercept_ = float(self.stacker_.intercept_[0])
        self.imaging_weight_ = float(self.coef_[0])
        self.C_ = float(np.ravel(self.stacker_.C_)[0])
        return self

    def predict_proba(self, X):
        score = _logit(self.imaging_.predict_proba(X)[:, 1])
        return self.stacker_.predict_proba(self._second_level(X, score, fit=False))

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
