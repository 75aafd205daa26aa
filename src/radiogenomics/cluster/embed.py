r"""Patient embeddings to cluster: out-of-fold Transformer deep features, or scaled + PCA radiomic features.

:func:`oof_transformer_embeddings` — the CLS representation of a
:class:`~radiogenomics.models.transformer.FeatureTokenTransformer` (its ``embed``), out of fold, so that no
patient is embedded by a model trained on its label:

1. the labelled patients are split into ``n_folds`` stratified folds (``StratifiedKFold(shuffle=True,
   random_state=seed)``); patients without a label are spread over the folds in row order (they are never
   trained on);
2. for each fold :math:`f` the leakage-safe pipeline (:func:`~radiogenomics.models.pipeline.make_pipeline`:
   imputation, filters, scaling, univariate selection of ``k`` features, clinical branch) and the transformer
   are fitted on the other folds' labelled patients; every patient is passed through the fitted preprocessing
   and ``embed`` gives :math:`E_f \in \mathbb R^{n \times d}`;
3. :math:`E_f` is standardised column-wise with the mean and SD of its *training* rows, so the folds' spaces
   share location and scale;
4. (``align="procrustes"``) the spaces of folds :math:`f > 0` are rotated onto fold 0's by orthogonal
   Procrustes, :math:`R_f = \arg\min_{R^\top R = I} \lVert E_f[S] R - E_0[S] \rVert_F`
   (``scipy.linalg.orthogonal_procrustes``), fitted on :math:`S` = the labelled patients in the training sets
   of both fold 0 and fold :math:`f` (never fold :math:`f`'s held-out patients);
5. the embedding of a patient in fold :math:`f` is row :math:`i` of :math:`E_f R_f`.

Every fold's transformer starts from the same initial weights (same ``random_state``), which with step 4 makes
the folds' coordinates comparable; a patient's coordinates still come only from a model that never saw it.

:func:`feature_embedding` — the unsupervised alternative: median imputation, constant columns dropped,
standard scaling :math:`z = (x - \bar x)/s`, then PCA keeping ``n_components`` components (an int) or the
fewest components explaining that fraction of the variance (a float in (0, 1)).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.linalg import orthogonal_procrustes
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from radiogenomics.cluster.errors import ClusterError
from radiogenomics.errors import UnknownNameError
from radiogenomics.models.outputs import prepare_table
from radiogenomics.models.pipeline import make_pipeline
from radiogenomics.models.transformer import FeatureTokenTransformer
from radiogenomics.table import feature_columns

__all__ = ["ALIGNMENTS", "feature_embedding", "oof_transformer_embeddings"]

logger = logging.getLogger(__name__)

ALIGNMENTS = ("procrustes", "none")


def _index(table: pd.DataFrame) -> pd.Index:
    if "case_id" in table.columns:
        return pd.Index(table["case_id"].to_numpy(), name="case_id")
    return pd.RangeIndex(len(table), name="row")


def _folds(y: pd.Series, n_folds: int, seed: int) -> NDArray[np.int64]:
    fold = np.full(len(y), -1, dtype=np.int64)
    labelled = np.flatnonzero(y.notna().to_numpy())
    yl = y.iloc[labelled].astype(str).to_numpy()
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for f, (_, test) in enumerate(skf.split(np.zeros(len(yl)), yl)):
        fold[labelled[test]] = f
    unlabelled = np.flatnonzero(fold < 0)
    fold[unlabelled] = np.arange(unlabelled.size) % n_folds
    return fold


def oof_transformer_embeddings(
    table: pd.DataFrame,
    target: str,
    *,
    clinical: Sequence[str] = (),
    columns: Sequence[str] | None = None,
    n_folds: int = 5,
    seed: int = 0,
    transformer_params: Mapping | None = None,
    selector: str = "univariate",
    k: int = 50,
    align: str = "procrustes",
) -> pd.DataFrame:
    """Out-of-fold deep features of every patient (method in the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Cohort table, one row per patient: ``case_id`` (optional), features, clinical and target columns.
    target : str
        Binary target the transformers are trained on (e.g. ``"TP53"``); missing values allowed (not trained on).
    clinical : sequence of str
        Clinical columns given to the transformer besides the imaging features (non-numeric ones are coded as
        :func:`~radiogenomics.models.outputs.prepare_table` does).
    columns : sequence of str, optional
        Imaging feature columns (default: :func:`radiogenomics.table.feature_columns`, excluding target and clinical).
    n_folds : int
        Folds (each patient is embedded by the model of its own fold).
    seed : int
        Seed of the folds, the transformer and the selector.
    transformer_params : mapping, optional
        :class:`~radiogenomics.models.transformer.FeatureTokenTransformer` parameters (e.g. ``{"d_token": 16}``).
    selector, k : str, int
        Feature selection inside each fold's pipeline (see :func:`~radiogenomics.models.pipeline.make_pipeline`).
    align : {"procrustes", "none"}
        Rotate the folds' spaces onto fold 0's (step 4), or only standardise them.

    Returns
    -------
    pandas.DataFrame
        Index ``case_id`` (or the row position, named ``row``), columns ``deep_000 .. deep_{d-1}`` (float64).
        ``attrs["fold"]`` holds each row's fold, ``attrs["columns"]`` the imaging columns used.

    Raises
    ------
    ClusterError
        The target is not binary, or a class has fewer labelled patients than ``n_folds``.
    """
    if align not in ALIGNMENTS:
        raise UnknownNameError("alignment", align, ALIGNMENTS)
    if n_folds < 2:
        raise ClusterError(f"n_folds must be >= 2, got {n_folds}")
    clin = list(clinical)
    prepared, _ = prepare_table(table, target, clin)
    if columns is None:
        cols = feature_columns(prepared, reserved=[target, *clin])
    else:
        cols = [c for c in columns if c not in (target, *clin)]
        missing = [c for c in cols if c not in prepared.columns]
        if missing:
            raise ClusterError(f"{len(missing)} feature column(s) are not numeric columns of the table, "
                               f"e.g. {missing[:3]}")
    if not cols and not clin:
        raise ClusterError("no feature column to embed")
    y = prepared[target]
    counts = y.dropna().astype(str).value_counts()
    if counts.size != 2:
        raise ClusterError(f"target {target!r} must be binary among the labelled patients, got levels "
                           f"{sorted(counts.index)}")
    if counts.min() < n_folds:
        raise ClusterError(f"target {target!r}: the smaller class has {int(counts.min())} patients, fewer than "
                           f"n_folds = {n_folds}")
    fold = _folds(y, n_folds, seed)
    labelled = y.notna().to_numpy()
    params = dict(transformer_params or {})
    spaces: list[NDArray[np.float64]] = []
    train_masks: list[NDArray[np.bool_]] = []
    for f in range(n_folds):
        train = labelled & (fold != f)
        est = FeatureTokenTransformer(random_state=seed).set_params(**params)
        pipe = make_pipeline(est, cols, clinical=clin, selector=selector, k=k, random_state=seed)
        pipe.fit(prepared.loc[train], y[train].to_numpy())
        emb = np.asarray(pipe[-1].embed(pipe[:-1].transform(prepared)), dtype=np.float64)
        mu, sd = emb[train].mean(axis=0), emb[train].std(axis=0)
        spaces.append((emb - mu) / np.where(sd > 0, sd, 1.0))
        train_masks.append(train)
        logger.debug("fold %d: transformer trained on %d patients", f, int(train.sum()))
    out = np.empty_like(spaces[0])
    for f in range(n_folds):
        space = spaces[f]
        if align == "procrustes" and f > 0:
            shared = train_masks[f] & train_masks[0]
            rot, _ = orthogonal_procrustes(space[shared], spaces[0][shared])
            space = space @ rot
        out[fold == f] = space[fold == f]
    d = out.shape[1]
    res = pd.DataFrame(out, index=_index(table), columns=[f"deep_{j:03d}" for j in range(d)])
    res.attrs["fold"] = fold.tolist()
    res.attrs["columns"] = list(cols)
    return res


def feature_embedding(
    table: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    n_components: int | float = 0.9,
    seed: int = 0,
) -> pd.DataFrame:
    """Scaled radiomic features reduced by PCA (module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Cohort table, one row per patient.
    columns : sequence of str, optional
        Feature columns (default: :func:`radiogenomics.table.feature_columns`).
    n_components : int or float
        Components kept: a count (capped at the data's rank bound), or a fraction of the variance in (0, 1].
    seed : int
        PCA ``random_state`` (only used by randomised solvers; the full SVD used here is deterministic).

    Returns
    -------
    pandas.DataFrame
        Index ``case_id`` (or row position), columns ``pc_000 ..`` (float64); ``attrs["explained_variance_ratio"]``
        and ``attrs["columns"]`` (the features used).
    """
    cols = feature_columns(table) if columns is None else list(columns)
    if not cols:
        raise ClusterError("no feature column to embed")
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ClusterError(f"{len(missing)} feature column(s) not in the table, e.g. {missing[:3]}")
    x = table[cols].to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(x).any():
        raise ClusterError("the features hold infinite values; replace them by NaN to impute them")
    x = SimpleImputer(strategy="median", keep_empty_features=True).fit_transform(x)
    keep = x.std(axis=0) > 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0))
    if not keep.any():
        raise ClusterError("every feature is constant")
    if (~keep).any():
        logger.info("feature_embedding: %d constant feature(s) dropped", int((~keep).sum()))
    z = StandardScaler().fit_transform(x[:, keep])
    nc: int | float
    if isinstance(n_components, int | np.integer) and not isinstance(n_components, bool):
        if n_components < 1:
            raise ClusterError(f"n_components must be >= 1, got {n_components}")
        nc = min(int(n_components), *z.shape)
    else:
        frac = float(n_components)
        if not 0 < frac <= 1:
            raise ClusterError(f"a fractional n_components must be in (0, 1], got {n_components}")
        nc = min(z.shape) if frac == 1.0 else frac
    pca = PCA(n_components=nc, svd_solver="full", random_state=seed)
    scores = pca.fit_transform(z)
    res = pd.DataFrame(scores, index=_index(table), columns=[f"pc_{j:03d}" for j in range(scores.shape[1])])
    res.attrs["explained_variance_ratio"] = pca.explained_variance_ratio_.tolist()
    res.attrs["columns"] = [c for c, kp in zip(cols, keep, strict=True) if kp]
    return res
