r"""The LASSO radiomic signature (the other baselines are scikit-learn's; all are made by name in
:mod:`radiogenomics.models.registry`).

:class:`LassoSignature` — L1 / elastic-net logistic regression whose non-zero coefficients form the radiomic
signature :math:`\text{score} = \beta_0 + \sum_{j \in S} \beta_j z_j`, :math:`P(y=1) = 1 / (1 + e^{-\text{score}})`
on standardised features :math:`z_j`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from radiogenomics.models.errors import ModelParameterError

__all__ = ["LassoSignature"]


class LassoSignature(ClassifierMixin, BaseEstimator):
    r"""L1 / elastic-net logistic signature.

    Parameters
    ----------
    C : inverse regularisation strength (> 0).
    l1_ratio : 1 = LASSO, in (0, 1) = elastic net.
    feature_names : names of the input columns (used by :meth:`formula`); default ``x0, x1…``.
    class_weight : passed to :class:`~sklearn.linear_model.LogisticRegression`.
    random_state : seed.

    Attributes
    ----------
    coef_ : (n_features,) coefficients; intercept_ : float; selected_features_ : names with
    non-zero coefficient; classes_ : the two class labels.
    """

    def __init__(self, C: float = 0.1, l1_ratio: float = 1.0, feature_names: Sequence[str] | None = None,
                 class_weight: str | None = "balanced", max_iter: int = 2000, random_state: int = 0) -> None:
        self.C = C
        self.l1_ratio = l1_ratio
        self.feature_names = feature_names
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        if not self.C > 0 or not 0 < self.l1_ratio <= 1:
            raise ModelParameterError(f"need C > 0 and 0 < l1_ratio <= 1, got {self.C}, {self.l1_ratio}")
        X = np.asarray(X, dtype=np.float64)
        if self.l1_ratio == 1.0:
            lr = LogisticRegression(C=self.C, l1_ratio=1.0, solver="liblinear", class_weight=self.class_weight,
                                    max_iter=self.max_iter, random_state=self.random_state)
        else:
            lr = LogisticRegression(C=self.C, l1_ratio=self.l1_ratio, solver="saga",
                                    class_weight=self.class_weight, max_iter=self.max_iter,
                                    random_state=self.random_state)
        lr.fit(X, y)
        self.model_ = lr
        self.classes_ = lr.classes_
        self.coef_ = lr.coef_.ravel().copy()
        self.intercept_ = float(lr.intercept_[0])
        names = list(self.feature_names) if self.feature_names is not None and len(self.feature_names) == X.shape[1] \
            else [f"x{j}" for j in range(X.shape[1])]
        self.feature_names_in_ = np.array(names, dtype=object)
        self.selected_features_ = [n for n, c in zip(names, self.coef_, strict=True) if c != 0]
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(np.asarray(X, dtype=np.float64))

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def formula(self) -> str:
        """The signature as text: ``score = b0 + b1*name1 + …`` (non-zero terms only)."""
        terms = [f"{self.intercept_:+.6g}"]
        terms += [f"{c:+.6g}*{n}" for n, c in zip(self.feature_names_in_, self.coef_, strict=True) if c != 0]
        return "score = " + " ".join(terms)
