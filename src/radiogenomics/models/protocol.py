r"""Evaluation protocol: patient-wise stratified hold-out + stratified k-fold CV, repeated.

For repeat :math:`r = 0..R-1` (seed :math:`s + r`):

1. ``"holdout_cv"`` (as the paper): a stratified hold-out of ``test_size`` (9:1) of the
   patients; a stratified ``n_folds``-fold CV inside the training patients; then a refit on all
   training patients and one evaluation on the hold-out.
2. ``"kfold"``: plain repeated stratified k-fold on all patients (no hold-out).
0. ``"auto"`` (default): ``holdout_cv`` when the hold-out would hold at least :data:`MIN_PER_CLASS` (10) cases
   of each class, else ``kfold`` repeated at least :data:`AUTO_REPEATS` (3) times. With fewer than 10 cases of a
   class an AUC's 95% interval is about ±0.2 or wider (Hanley & McNeil, 1982), so a hold-out of a small cohort
   (the 9:1 split of 60 patients holds 6) estimates nothing; repeated CV uses every patient for testing once per
   repeat. :func:`resolve_protocol` makes the choice and says why.
3. ``"nested"``: repeated stratified k-fold on all patients (outer loop) where every fit is a
   :class:`~sklearn.model_selection.GridSearchCV` (ROC AUC, stratified ``inner_folds``-fold) over
   the model's grid (``param_grids[model name]``, default: the registry's grids), run on the outer
   training rows only and refitted on them; the chosen parameters are kept in ``extras``.
   Estimators without a ``model`` step (late fusion) or without a grid are fitted as they are.

Every estimator is a full pipeline (see :mod:`radiogenomics.models.pipeline`), cloned and fitted
on training rows only, so imputation, scaling, filtering and selection never see held-out rows.
A :class:`~sklearn.model_selection.GridSearchCV` wrapping a pipeline may also be passed as a model
under any protocol: its inner CV then runs inside each training fold.

Threshold: chosen on training data only — Youden's J on the fold model's training predictions for
CV folds, and on the pooled out-of-fold CV predictions for the hold-out (``threshold="youden"``),
or a fixed number.

Summary (:func:`summarise`): ``split="cv"`` is the mean over folds × repeats, with a normal
95% interval on the logit scale (every metric is a proportion, so the interval stays inside [0, 1]),
see :func:`cv_interval`;
``split="test"`` is the mean over repeats of the hold-out metric with the stratified percentile
bootstrap CI (averaged over repeats). Every record carries ``n`` (cases per repeat) and ``n_pos``, and is
``reliable`` or not with the ``reason``: fewer than :data:`MIN_PER_CLASS` cases of a class, or constant
predictions (the same probability for every case) in at least half of the folds — a model that learned
nothing, whose AUC of 0.5 says nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from radiogenomics.errors import suggest
from radiogenomics.models.bootstrap import bootstrap_metrics
from radiogenomics.models.errors import InvalidTargetError, ModelParameterError
from radiogenomics.models.metrics import METRICS, binary_metrics, confusion, recalibration, youden_threshold
from radiogenomics.models.registry import search_grids

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["MIN_PER_CLASS", "PROTOCOLS", "EvaluationResult", "Protocol", "cv_interval", "evaluate", "resolve_protocol",
           "summarise"]

ModelKey = tuple[str, str]

#: Kinds of protocol (module docstring).
PROTOCOLS = ("auto", "holdout_cv", "kfold", "nested")
#: Cases of each class an evaluated split needs to be called reliable (and a hold-out for ``auto``).
MIN_PER_CLASS = 10
#: Repeats of the k-fold CV that ``auto`` falls back to (at least).
AUTO_REPEATS = 3


@dataclass(frozen=True)
class Protocol:
    """Settings of :func:`evaluate`, validated when built (:meth:`validate`).

    Attributes
    ----------
    kind
        One of :data:`PROTOCOLS`.
    test_size
        Hold-out share of the patients (``holdout_cv``), in (0, 0.5).
    n_folds, repeats, inner_folds
        CV folds (>= 2), repeats (>= 1) with seeds ``seed .. seed + repeats - 1``, inner folds of the nested
        search (>= 2).
    seed
        Base seed of splits and models.
    threshold
        ``"youden"`` (chosen on training data) or a fixed probability.
    n_boot, alpha
        Bootstrap resamples (>= 10 when there is a hold-out) and level of the confidence intervals.
    param_grids
        Grids of the nested protocol by model name (default: the registry's,
        :func:`radiogenomics.models.registry.search_grids`).
    """

    kind: str = "auto"
    test_size: float = 0.1
    n_folds: int = 5
    repeats: int = 1
    seed: int = 0
    threshold: str | float = "youden"
    n_boot: int = 1000
    alpha: float = 0.05
    inner_folds: int = 3
    param_grids: Mapping[str, Mapping[str, Sequence]] | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ModelParameterError` on invalid settings (every rule of a protocol is here)."""
        if self.kind not in PROTOCOLS:
            raise ModelParameterError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {self.kind!r}."
                                      f"{suggest(str(self.kind), PROTOCOLS)}")
        if self.inner_folds < 2:
            raise ModelParameterError(f"inner_folds must be >= 2, got {self.inner_folds}")
        if not 0 < self.test_size < 0.5:
            raise ModelParameterError(f"test_size must be in (0, 0.5), got {self.test_size}")
        if self.n_folds < 2 or self.repeats < 1:
            raise ModelParameterError(f"need n_folds >= 2 and repeats >= 1, got {self.n_folds}, {self.repeats}")
        if not (self.threshold == "youden" or isinstance(self.threshold, float | int)):
            raise ModelParameterError(f"threshold must be 'youden' or a number, got {self.threshold!r}")
        if not 0 < self.alpha < 1:
            raise ModelParameterError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.kind in ("holdout_cv", "auto") and self.n_boot < 10:
            raise ModelParameterError(f"n_boot must be >= 10 for the hold-out's bootstrap CI, got {self.n_boot}")

    def resolve(self, y: np.ndarray) -> tuple[Protocol, str]:
        """:func:`resolve_protocol` of this protocol for binary labels ``y``."""
        return resolve_protocol(self, y)

    def as_dict(self) -> dict:
        """The settings as plain JSON data."""
        return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in dataclasses.asdict(self).items()}


def resolve_protocol(protocol: Protocol, y: np.ndarray) -> tuple[Protocol, str]:
    """The protocol to run on labels ``y`` and why: ``auto`` becomes ``holdout_cv`` when the stratified hold-out
    would hold at least :data:`MIN_PER_CLASS` cases of each class, else ``kfold`` with at least
    :data:`AUTO_REPEATS` repeats (module docstring); other kinds are returned as they are."""
    y = np.asarray(y)
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    if protocol.kind != "auto":
        return protocol, f"{protocol.kind} as asked"
    held_pos, held_neg = int(np.floor(protocol.test_size * n_pos)), int(np.floor(protocol.test_size * n_neg))
    if min(held_pos, held_neg) >= MIN_PER_CLASS:
        return dataclasses.replace(protocol, kind="holdout_cv"), (
            f"holdout_cv: a {protocol.test_size:.0%} hold-out holds >= {MIN_PER_CLASS} cases of each class "
            f"({held_pos} positive, {held_neg} negative)")
    repeats = max(protocol.repeats, AUTO_REPEATS)
    return dataclasses.replace(protocol, kind="kfold", repeats=repeats), (
        f"kfold x {repeats}: a {protocol.test_size:.0%} hold-out would hold about {held_pos} positive and {held_neg} "
        f"negative cases (< {MIN_PER_CLASS} of a class), too few for a test estimate; every patient is tested once "
        "per repeat instead")


@dataclass
class EvaluationResult:
    """Tables produced by :func:`evaluate`.

    ``folds``: one row per model × source × repeat × fold (fold = -1 for the hold-out) × metric, with
    columns model, source, repeat, fold, split, metric, value, ci_low, ci_high, n, threshold;
    ``predictions``: case_id, model, source, repeat, fold, split, y_true, prob;
    ``confusion``: model, source, repeat, fold, split, tp, fp, tn, fn;
    ``fitted``: the final estimators, fitted on every case (the model a user applies; its performance is
    estimated by the CV and the hold-out results, whose models never saw their test rows); their predictions on
    the same cases are the ``apparent`` split (optimistic by construction, shown beside the honest ones);
    ``thresholds``: per model × source the Youden threshold of the pooled out-of-fold predictions (every
    repeat), the one the final model uses (``apparent`` split, external validation);
    ``recalibration``: per model × source the logistic recalibration of the pooled out-of-fold predictions
    (:func:`~radiogenomics.models.metrics.recalibration`) that external validation and ``predict`` apply to the
    final model's probabilities (penalised and class-weighted models are under-confident or shifted by design);
    ``extras``: per-model, per-fold extra records: loss curves (``history`` from ``history_``) and, for
    the nested protocol, the inner search's ``best_params`` and ``best_inner_auc``;
    ``protocol``, ``protocol_reason``: the protocol that ran (``auto`` resolved) and why.
    """

    folds: pd.DataFrame
    predictions: pd.DataFrame
    confusion: pd.DataFrame
    fitted: dict[ModelKey, BaseEstimator] = field(default_factory=dict)
    extras: list[dict] = field(default_factory=list)
    protocol: Protocol | None = None
    protocol_reason: str = ""
    thresholds: dict[ModelKey, float] = field(default_factory=dict)
    recalibration: dict[ModelKey, dict[str, float] | None] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """See :func:`summarise`."""
        return summarise(self.folds)


def _threshold(protocol: Protocol, y: np.ndarray, p: np.ndarray) -> float:
    return youden_threshold(y, p) if protocol.threshold == "youden" else float(protocol.threshold)


def _proba(est: BaseEstimator, X: pd.DataFrame) -> np.ndarray:
    return np.asarray(est.predict_proba(X))[:, 1]


def _searcher(protocol: Protocol, name: str, est: BaseEstimator, seed: int) -> BaseEstimator:
    """``est`` wrapped in the inner grid search of the nested protocol (or ``est`` itself)."""
    if protocol.kind != "nested":
        return est
    grids = search_grids() if protocol.param_grids is None else protocol.param_grids
    grid = grids.get(name)
    if not grid or "model" not in getattr(est, "named_steps", {}):
        logger.info("nested: no grid for %s (%s); fitted as it is", name, type(est).__name__)
        return est
    inner = StratifiedKFold(protocol.inner_folds, shuffle=True, random_state=seed)
    return GridSearchCV(est, {k: list(v) for k, v in grid.items()}, scoring="roc_auc", cv=inner, refit=True,
                        error_score="raise")


def evaluate(
    study_df: pd.DataFrame,
    target: str,
    models: Mapping[ModelKey, BaseEstimator],
    protocol: Protocol | None = None,
    *,
    id_column: str = "case_id",
    alternates: Mapping[str, pd.DataFrame] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> EvaluationResult:
    """Evaluate every ``(model, source) → estimator`` of ``models`` under ``protocol``.

    Parameters
    ----------
    study_df : one row per patient; the estimators select their own columns.
    target : binary 0/1 target column (rows with a missing target are dropped).
    models : mapping ``(model_name, source_name) → estimator`` accepting the full table.
    protocol : :class:`Protocol` (default: 9:1 hold-out + 5-fold CV, one repeat).
    id_column : patient identifier (row position when absent); must be unique.
    alternates : ``{name: table}`` — other features of the same patients (e.g. extracted from automatic masks),
        matched by ``id_column``. Every fold and hold-out model (fitted on ``study_df``'s training rows) also
        predicts the alternate rows of its test cases; they are recorded as source ``<source>@<name>`` on the same
        splits (cases missing from the alternate table are left out of its records).
    progress : called as ``progress(done, total, "model / source")`` after each model × source × repeat.
    """
    protocol = protocol or Protocol()
    if target not in study_df.columns:
        raise InvalidTargetError(f"target column {target!r} not in the table")
    df = study_df.loc[study_df[target].notna()].reset_index(drop=True)
    y = df[target].to_numpy()
    if not np.isin(y, (0, 1)).all():
        raise InvalidTargetError(f"target {target!r} must be binary 0/1, got values {np.unique(y)[:5]}")
    y = y.astype(np.int64)
    ids = df[id_column].astype(str).to_numpy() if id_column in df.columns else np.arange(len(df)).astype(str)
    if len(set(ids)) != len(ids):
        raise InvalidTargetError(f"{id_column} is not unique: the protocol splits patients, one row each")
    protocol, reason = resolve_protocol(protocol, y)
    logger.info("protocol: %s", reason)
    n_min = int(min(y.sum(), y.size - y.sum()))
    if n_min < protocol.n_folds + 1:
        raise InvalidTargetError(f"the minority class has {n_min} cases; need > n_folds={protocol.n_folds}")

    rows: list[dict] = []
    preds: list[pd.DataFrame] = []
    conf: list[dict] = []
    extras: list[dict] = []
    fitted: dict[ModelKey, BaseEstimator] = {}
    thresholds: dict[ModelKey, float] = {}
    recal: dict[ModelKey, dict[str, float] | None] = {}

    def record(key: ModelKey, rep: int, fold: int, split: str, idx: np.ndarray, p: np.ndarray,
               thr: float, ci: dict | None = None) -> None:
        m = binary_metrics(y[idx], p, thr)
        for k in METRICS:
            lo, hi = ci[k] if ci else (np.nan, np.nan)
            rows.append({"model": key[0], "source": key[1], "repeat": rep, "fold": fold, "split": split,
                         "metric": k, "value": m[k], "ci_low": lo, "ci_high": hi, "n": int(idx.size),
                         "n_pos": int(y[idx].sum()), "constant": bool(np.ptp(p) == 0) if p.size else True,
                         "threshold": thr})
        conf.append({"model": key[0], "source": key[1], "repeat": rep, "fold": fold, "split": split,
                     **confusion(y[idx], p, thr)})
        preds.append(pd.DataFrame({"case_id": ids[idx], "model": key[0], "source": key[1], "repeat": rep,
                                   "fold": fold, "split": split, "y_true": y[idx], "prob": p}))

    def keep_history(key: ModelKey, est: BaseEstimator, rep: int, fold: int) -> None:
        if isinstance(est, GridSearchCV):
            extras.append({"model": key[0], "source": key[1], "repeat": rep, "fold": fold,
                           "best_params": est.best_params_, "best_inner_auc": float(est.best_score_)})
            est = est.best_estimator_
        final = est.steps[-1][1] if hasattr(est, "steps") else est
        hist = getattr(final, "history_", None)
        if hist:
            extras.append({"model": key[0], "source": key[1], "repeat": rep, "fold": fold, "history": hist})

    alt_frames: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
    for name, frame in (alternates or {}).items():
        if id_column not in frame.columns:
            raise InvalidTargetError(f"alternate table {name!r} has no {id_column} column to match the cases")
        keyed = frame.assign(**{id_column: frame[id_column].astype(str)}).drop_duplicates(id_column)
        aligned = keyed.set_index(id_column, drop=False)
        have = np.isin(ids, aligned.index.to_numpy())
        alt_frames[name] = (aligned.reindex(ids).reset_index(drop=True), have)

    def record_alternates(key: ModelKey, model: BaseEstimator, rep: int, fold: int, split: str, idx: np.ndarray,
                          thr: float, ci_seed: int | None = None) -> None:
        for name, (frame, have) in alt_frames.items():
            sub = idx[have[idx]]
            if not sub.size:
                continue
            p_alt = _proba(model, frame.iloc[sub])
            ci = None if ci_seed is None else bootstrap_metrics(y[sub], p_alt, thr, n_boot=protocol.n_boot,
                                                                 alpha=protocol.alpha, seed=ci_seed)
            record((key[0], f"{key[1]}@{name}"), rep, fold, split, sub, p_alt, thr, ci)

    all_idx = np.arange(y.size)
    oof_all: dict[ModelKey, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    done, total = 0, protocol.repeats * len(models)
    for rep in range(protocol.repeats):
        seed = protocol.seed + rep
        if protocol.kind == "holdout_cv":
            train, test = train_test_split(all_idx, test_size=protocol.test_size, stratify=y, random_state=seed)
            train, test = np.sort(train), np.sort(test)
        else:
            train, test = all_idx, np.array([], dtype=int)
        folds = list(StratifiedKFold(protocol.n_folds, shuffle=True, random_state=seed).split(train, y[train]))
        for key, est in models.items():
            logger.info("repeat %d: %s / %s", rep, *key)
            oof = np.full(y.size, np.nan)
            for f, (tr, va) in enumerate(folds):
                tr_idx, va_idx = train[tr], train[va]
                model = _searcher(protocol, key[0], clone(est), seed).fit(df.iloc[tr_idx], y[tr_idx])
                p_va = _proba(model, df.iloc[va_idx])
                oof[va_idx] = p_va
                thr = _threshold(protocol, y[tr_idx], _proba(model, df.iloc[tr_idx])) \
                    if protocol.threshold == "youden" else float(protocol.threshold)
                record(key, rep, f, "cv", va_idx, p_va, thr)
                record_alternates(key, model, rep, f, "cv", va_idx, thr)
                keep_history(key, model, rep, f)
            ys, ps = oof_all.setdefault(key, ([], []))
            ys.append(y[train])
            ps.append(oof[train])
            if test.size:
                thr = _threshold(protocol, y[train], oof[train])
                model = clone(est).fit(df.iloc[train], y[train])
                p_te = _proba(model, df.iloc[test])
                ci = bootstrap_metrics(y[test], p_te, thr, n_boot=protocol.n_boot, alpha=protocol.alpha, seed=seed)
                record(key, rep, -1, "test", test, p_te, thr, ci)
                record_alternates(key, model, rep, -1, "test", test, thr, ci_seed=seed)
                keep_history(key, model, rep, -1)
            if rep == protocol.repeats - 1:  # the final model: fitted on every case
                final = _searcher(protocol, key[0], clone(est), seed).fit(df, y)
                fitted[key] = final
                thresholds[key] = _threshold(protocol, np.concatenate(ys), np.concatenate(ps))
                recal[key] = recalibration(np.concatenate(ys), np.concatenate(ps))
                p_all = _proba(final, df)
                ci = bootstrap_metrics(y, p_all, thresholds[key], n_boot=protocol.n_boot, alpha=protocol.alpha,
                                       seed=seed) if protocol.n_boot >= 10 else None
                record(key, -1, -1, "apparent", all_idx, p_all, thresholds[key], ci)
            done += 1
            if progress is not None:
                progress(done, total, f"{key[0]} / {key[1]}")
    return EvaluationResult(pd.DataFrame(rows), pd.concat(preds, ignore_index=True), pd.DataFrame(conf),
                            fitted, extras, protocol, reason, thresholds, recal)


def cv_interval(values: np.ndarray, z: float = 1.959963984540054) -> tuple[float, float]:
    r"""95% interval of the mean of :math:`k` fold values of a proportion, on the logit scale.

    With mean :math:`\bar m`, standard error :math:`s_e = s / \sqrt{k}` (``ddof=1``) and the delta-method
    standard error of :math:`\eta = \operatorname{logit} \bar m`, :math:`s_\eta = s_e / (\bar m (1 - \bar m))`:

    .. math:: [\operatorname{expit}(\eta - z s_\eta),\ \operatorname{expit}(\eta + z s_\eta)]

    which lies inside (0, 1) and is close to :math:`\bar m \pm z s_e` when :math:`\bar m` is far from the
    bounds. All values equal gives ``(m, m)`` (also at 0 or 1); fewer than two values gives ``(nan, nan)``
    (no spread to estimate).
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return float("nan"), float("nan")
    m = float(v.mean())
    se = float(v.std(ddof=1)) / np.sqrt(v.size)
    if se == 0.0:
        return m, m
    if not 0.0 < m < 1.0:  # a mean on the bound with spread needs values outside [0, 1]
        raise ModelParameterError(f"fold values must lie in [0, 1] for a logit interval, got mean {m}")
    eta = np.log(m / (1.0 - m))
    half = z * se / (m * (1.0 - m))
    return float(1.0 / (1.0 + np.exp(-(eta - half)))), float(1.0 / (1.0 + np.exp(-(eta + half))))


def reliability(n: int, n_pos: int, constant_folds: int, folds: int) -> tuple[bool, str]:
    """Whether a split's metrics mean something, and why not: at least :data:`MIN_PER_CLASS` cases of each class,
    and predictions that vary in more than half of the ``folds`` (``constant_folds`` gave one probability to
    every case)."""
    reasons = []
    if min(n_pos, n - n_pos) < MIN_PER_CLASS:
        reasons.append(f"fewer than {MIN_PER_CLASS} cases of a class ({n_pos} positive, {n - n_pos} negative)")
    if folds and 2 * constant_folds >= folds:
        reasons.append(f"constant predictions in {constant_folds} of {folds} fold(s): the model learned nothing")
    return not reasons, "; ".join(reasons)


def summarise(folds: pd.DataFrame) -> pd.DataFrame:
    """Collapse the per-fold table into the ``metrics.json`` records.

    Columns: model, source, split ("cv" | "test"), metric, value, ci_low, ci_high, n, n_pos, reliable, reason.
    ``n`` and ``n_pos`` count the cases evaluated per repeat (the CV folds together, or the hold-out);
    ``reliable`` and ``reason`` are :func:`reliability` of the split.
    """
    out = []
    for (model, source, split, metric), g in folds.groupby(["model", "source", "split", "metric"], sort=False):
        v = g["value"].to_numpy(dtype=float)
        v_ok = v[np.isfinite(v)]
        mean = float(v_ok.mean()) if v_ok.size else float("nan")
        if split == "cv":
            lo, hi = cv_interval(v_ok)
        else:
            lo, hi = float(g["ci_low"].mean()), float(g["ci_high"].mean())
        repeats = max(int(g["repeat"].nunique()), 1)
        n, n_pos = int(g["n"].sum()) // repeats, int(g["n_pos"].sum()) // repeats
        constant = int(g["constant"].sum()) if "constant" in g else 0
        reliable, reason = reliability(n, n_pos, constant, len(g))
        out.append({"model": model, "source": source, "split": split, "metric": metric, "value": mean,
                    "ci_low": float(lo), "ci_high": float(hi), "n": n, "n_pos": n_pos, "reliable": reliable,
                    "reason": reason})
    return pd.DataFrame(out, columns=["model", "source", "split", "metric", "value", "ci_low", "ci_high", "n",
                                      "n_pos", "reliable", "reason"])
