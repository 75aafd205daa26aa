"""Nested CV: the inner hyper-parameter search runs on outer training rows only and equals a direct
GridSearchCV on those rows."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from radiogenomics.models import LassoSignature, Protocol, evaluate, make_pipeline
from radiogenomics.models.errors import ModelParameterError
from radiogenomics.models.pipeline import ColumnSelector

from ._synth import cohort


class SpyColumns(ColumnSelector):
    seen: ClassVar[list[set[int]]] = []

    def fit(self, X, y=None):
        SpyColumns.seen.append(set(X.index.tolist()))  # row positions of the evaluated table
        return super().fit(X, y)


GRID = {"lasso": {"model__C": [0.05, 0.5, 5.0]}}


def test_inner_search_never_sees_outer_test_rows():
    df = cohort(n=90, p_per_source=4, effect=1.5, seed=7)
    cols = [c for c in df.columns if "__" in c]
    pipe = make_pipeline(LassoSignature(), cols, selector="none")
    pipe.set_params(columns=SpyColumns(cols))
    SpyColumns.seen.clear()
    proto = Protocol(kind="nested", n_folds=3, inner_folds=2, repeats=1, seed=2, param_grids=GRID)
    res = evaluate(df, "TP53", {("lasso", "fused"): pipe}, proto)
    pred = res.predictions
    per_outer = 3 * 2 + 1  # candidates × inner folds + refit
    assert len(SpyColumns.seen) == 4 * per_outer  # + the final model: the same search and refit on every case
    assert SpyColumns.seen[-1] == set(range(len(df)))
    outer = StratifiedKFold(3, shuffle=True, random_state=2)
    y = df["TP53"].to_numpy()
    for f, (tr, te) in enumerate(outer.split(np.zeros(y.size), y)):
        test_rows = set(te.tolist())
        assert test_rows == set(int(c[1:]) for c in pred.loc[pred.fold == f, "case_id"])
        block = SpyColumns.seen[f * per_outer:(f + 1) * per_outer]
        for seen in block:
            assert not seen & test_rows, "an outer test row reached the inner search"
            assert seen <= set(tr.tolist())
        assert all(len(s) < tr.size for s in block[:-1])  # inner training folds
        assert block[-1] == set(tr.tolist())  # refit on the whole outer training set
        # chosen parameters equal a direct GridSearchCV on the outer training rows
        direct = GridSearchCV(make_pipeline(LassoSignature(), cols, selector="none"), GRID["lasso"],
                              scoring="roc_auc", cv=StratifiedKFold(2, shuffle=True, random_state=2))
        direct.fit(df.iloc[tr], y[tr])
        chosen = next(e for e in res.extras if e.get("fold") == f and "best_params" in e)
        assert chosen["best_params"] == direct.best_params_
        assert chosen["best_inner_auc"] == pytest.approx(direct.best_score_, abs=1e-12)


def test_nested_validation():
    with pytest.raises(ModelParameterError):
        Protocol(kind="nested", inner_folds=1).validate()
    with pytest.raises(ModelParameterError):
        Protocol(kind="nest").validate()
