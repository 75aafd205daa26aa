r"""From a cohort table to the files of a modelling run: table preparation, one-call runs, artefacts.

* :func:`prepare_table` — drop columns, integer-code non-numeric clinical columns (categories sorted,
  code :math:`i` = position in the sorted list, missing → NaN), keep ``case_id``, target, clinical
  and numeric columns; the encodings are returned so that :func:`apply_encodings` (used by
  ``radiogenomics predict``) codes new tables identically.
* :func:`run_models` — :func:`prepare_table` + :func:`~radiogenomics.models.sources.find_sources` +
  :func:`~radiogenomics.models.fusion.build_models` + :func:`~radiogenomics.models.protocol.evaluate`.
* :func:`delong_table` — DeLong tests on the hold-out predictions of each repeat: every model × source
  (``a``) against the one with the best mean CV ROC AUC (``b``); :math:`z = (AUC_a - AUC_b) / SE`.
* :func:`write_outputs` — ``metrics.json``, ``folds.parquet``, ``delong.json`` and per model × source
  the tables, figures and the saved model.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiogenomics.models.added_value import added_value
from radiogenomics.models.delong import delong_test
from radiogenomics.models.errors import InvalidTargetError, UnknownModelError
from radiogenomics.models.figures import confusion_figure, loss_figure, roc_figure
from radiogenomics.models.fusion import build_models, input_columns
from radiogenomics.models.persistence import save_model
from radiogenomics.models.protocol import EvaluationResult, Protocol, evaluate
from radiogenomics.models.registry import DEFAULT_MODELS
from radiogenomics.models.signature import formula, signature_table
from radiogenomics.models.sources import CLINICAL, FUSED, STACK_REFERENCE, STACKED, find_sources
from radiogenomics.models.stacked import StackedClinical

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["ADDED_METRIC", "DELONG_COLUMNS", "added_records", "apply_encodings", "delong_table", "prepare_table",
           "run_models", "write_outputs"]

DELONG_COLUMNS = ("model_a", "source_a", "model_b", "source_b", "split", "repeat", "auc_a", "auc_b", "z", "p")


def _py(v: Any) -> Any:
    """A JSON-friendly Python scalar (numpy scalars unwrapped, non-finite floats → None)."""
    v = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def _sorted_categories(values: pd.Series) -> list:
    uniq = list(pd.unique(values.dropna()))
    try:
        return [_py(v) for v in sorted(uniq)]
    except TypeError:  # mixed types: order by text
        return [_py(v) for v in sorted(uniq, key=str)]


def _category_key(value: Any) -> str:
    """A category's matching key: ``repr(float(value))`` when it is a number, else its text."""
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return str(value)


def apply_encodings(df: pd.DataFrame, encodings: Mapping[str, Sequence]) -> pd.DataFrame:
    """Replace each encoded column by its integer code (float64; missing or unseen values → NaN).

    Values are matched by their value as a number when they have one (``2``, ``2.0`` and ``"2"`` are one
    category: a grade stored as integers matches the same grade read back as floats from Parquet) and by their
    text otherwise (``"G2"``), so a category matches the same value read back from CSV or Parquet.
    """
    out = df.copy()
    for col, cats in encodings.items():
        if col not in out.columns:
            continue
        lookup = {_category_key(c): float(i) for i, c in enumerate(cats)}
        s = out[col]
        out[col] = [np.nan if pd.isna(v) else lookup.get(_category_key(v), np.nan) for v in s]
        out[col] = out[col].astype(np.float64)
        n_unseen = int((s.notna() & out[col].isna()).sum())
        if n_unseen:
            logger.warning("%s: %d values not seen in training, coded as missing", col, n_unseen)
    return out


def prepare_table(
    df: pd.DataFrame, target: str, clinical: Sequence[str] = (), drop: Sequence[str] = (),
    categorical: Sequence[str] = (),
) -> tuple[pd.DataFrame, dict[str, list]]:
    """Model-ready table and the clinical encodings.

    Parameters
    ----------
    df : cohort table (``case_id``, features, clinical and target columns).
    target : target column (kept as is).
    clinical : clinical columns; non-numeric ones and the ``categorical`` ones are integer-coded (sorted
        categories, missing → NaN).
    drop : columns to remove first (e.g. other targets); absent names are ignored.
    categorical : clinical columns declared categorical (coded even when numeric, e.g. grade 1/2/3).

    Returns
    -------
    table : ``case_id`` (when present), the target, the clinical columns and every numeric column,
        in table order.
    encodings : ``{column: [category values in code order]}`` for the coded clinical columns.
    """
    if target not in df.columns:
        raise InvalidTargetError(f"target column {target!r} not in the table")
    dropped = set(drop)
    if target in dropped:
        raise InvalidTargetError(f"target {target!r} is also listed in drop")
    out = df.drop(columns=[c for c in df.columns if c in dropped])
    clin = list(clinical)
    missing = [c for c in clin if c not in out.columns]
    if missing:
        raise UnknownModelError(f"clinical columns not in the table: {missing}")
    stray = [c for c in categorical if c not in clin]
    if stray:
        raise UnknownModelError(f"categorical columns must be clinical columns too: {stray}")
    encodings: dict[str, list] = {}
    for c in clin:
        if c in categorical or not pd.api.types.is_numeric_dtype(out[c]) or pd.api.types.is_bool_dtype(out[c]):
            encodings[c] = _sorted_categories(out[c])
    out = apply_encodings(out, encodings)
    keep = [c for c in out.columns
            if c in ("case_id", target, *clin) or pd.api.types.is_numeric_dtype(out[c])]
    return out[keep], encodings


def run_models(
    df: pd.DataFrame,
    target: str,
    *,
    clinical: Sequence[str] = (),
    categorical: Sequence[str] = (),
    models: Sequence[str] = DEFAULT_MODELS,
    sources: Sequence[str] | None = None,
    protocol: Protocol | None = None,
    selector: str = "univariate",
    k: int = 50,
    seed: int = 0,
    transformer_params: Mapping | None = None,
    stack_folds: int = 5,
    alternates: Mapping[str, pd.DataFrame] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[EvaluationResult, dict]:
    """Prepare the table, build every model × source and evaluate it under ``protocol``.

    ``sources`` defaults to every source found plus ``fused``, and with clinical columns ``stacked``; when clinical
    columns are given the ``clinical`` source is always added (a clinical-only model is always reported: the
    reference of the added value of imaging), and with ``stacked`` its reference ``clinical_stack``.
    ``categorical`` names the categorical clinical columns; non-numeric clinical columns are categorical too.
    ``alternates`` are other feature tables of the same cases (:func:`~radiogenomics.models.protocol.evaluate`),
    prepared with the same encodings.

    Returns
    -------
    result : the :class:`~radiogenomics.models.protocol.EvaluationResult`.
    meta : ``{"target", "clinical", "encodings", "models", "sources", "protocol"}`` (JSON-friendly).
    """
    protocol = protocol or Protocol(seed=seed)
    clin = list(clinical)
    table, encodings = prepare_table(df, target, clin, categorical=categorical)
    cat = [c for c in clin if c in encodings]
    found = find_sources(table, target, clin)
    imaging = [s for s in found if s != CLINICAL]
    wanted = list(sources) if sources else [*imaging, FUSED, *([STACKED] if clin else [])]
    if clin and CLINICAL not in wanted:
        wanted.append(CLINICAL)
    if STACKED in wanted and STACK_REFERENCE not in wanted:
        wanted.append(STACK_REFERENCE)
    est = build_models(found, list(models), wanted, selector=selector, k=k, seed=seed,
                       transformer_params=transformer_params, categorical=cat, stack_folds=stack_folds)
    alt = {name: apply_encodings(frame, encodings) for name, frame in (alternates or {}).items()}
    result = evaluate(table, target, est, protocol, alternates=alt, progress=progress)
    ran = result.protocol or protocol
    meta = {"target": target, "clinical": clin, "categorical": cat, "encodings": encodings, "models": list(models),
            "sources": wanted, "protocol": {k2: _py(v) for k2, v in dataclasses.asdict(ran).items()},
            "protocol_requested": protocol.kind, "protocol_reason": result.protocol_reason,
            "selector": selector, "k": k, "seed": seed, "stack_folds": stack_folds,
            "transformer_params": dict(transformer_params or {})}
    return result, meta


def best_model(result: EvaluationResult, reliable_only: bool = False) -> tuple[str, str] | None:
    """``(model, source)`` with the highest mean CV ROC AUC (ties: first in table order); with ``reliable_only``,
    among the reliable CV results only (``None`` when there is none)."""
    f = result.folds
    cv = f[(f.split == "cv") & (f.metric == "roc_auc")]
    if cv.empty:
        raise InvalidTargetError("no CV ROC AUC in the result")
    if reliable_only:
        s = result.summary()
        ok = s[(s.split == "cv") & (s.metric == "roc_auc") & s.reliable]
        keep = set(zip(ok.model, ok.source, strict=True))
        cv = cv[[(m, src) in keep for m, src in zip(cv.model, cv.source, strict=True)]]
        if cv.empty:
            return None
    mean = cv.groupby(["model", "source"], sort=False)["value"].mean()
    return tuple(mean.idxmax())  # type: ignore[return-value]


def delong_table(result: EvaluationResult) -> pd.DataFrame:
    """DeLong tests of every model × source (``a``) against the best-by-CV-AUC one (``b``).

    One row per other model × source × repeat on that repeat's hold-out predictions; without a hold-out
    (``kfold``, ``nested``) on that repeat's pooled out-of-fold predictions (every case predicted once, by the
    model of the fold that left it out). Columns :data:`DELONG_COLUMNS` (``split`` says which).
    """
    pred = result.predictions
    split = "test" if (pred.split == "test").any() else "cv"
    test = pred[pred.split == split]
    if test.empty:
        return pd.DataFrame(columns=list(DELONG_COLUMNS))
    mb, sb = best_model(result)  # type: ignore[misc]
    rows = []
    for rep, g in test.groupby("repeat", sort=True):
        ref = g[(g.model == mb) & (g.source == sb)].set_index("case_id")
        for (m, s), h in g.groupby(["model", "source"], sort=False):
            if (m, s) == (mb, sb):
                continue
            h = h.set_index("case_id").loc[ref.index]
            y = ref["y_true"].to_numpy()
            if min(int((y == 1).sum()), int((y == 0).sum())) < 2:
                logger.warning("DeLong test of %s/%s vs %s/%s skipped in repeat %s: the hold-out set has fewer "
                               "than 2 cases of a class", m, s, mb, sb, rep)
                continue
            r = delong_test(y, h["prob"].to_numpy(), ref["prob"].to_numpy())
            rows.append({"model_a": m, "source_a": s, "model_b": mb, "source_b": sb, "split": split,
                         "repeat": int(rep), "auc_a": r.auc1, "auc_b": r.auc2, "z": r.z, "p": r.p_value})
    return pd.DataFrame(rows, columns=list(DELONG_COLUMNS))


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _py(v) for k, v in r.items()} for r in df.to_dict("records")]


#: The ``metric`` of the added-value records in ``metrics.json``.
ADDED_METRIC = "roc_auc_added"


def added_records(added: pd.DataFrame) -> list[dict]:
    """The :func:`~radiogenomics.models.added_value.added_value` rows as ``metrics.json`` records (metric
    :data:`ADDED_METRIC`: the AUC difference to the reference, its interval, ``n``; ``reason`` names the reference
    and the method)."""
    out = []
    for r in added.itertuples(index=False):
        why = f"vs {r.reference} ({r.method}, p={r.p:.3g})" + (f"; {r.reason}" if r.reason else "")
        out.append({k: _py(v) for k, v in {
            "model": r.model, "source": r.source, "split": r.split, "metric": ADDED_METRIC, "value": r.difference,
            "ci_low": r.ci_low, "ci_high": r.ci_high, "n": r.n, "n_pos": r.n_pos, "reliable": r.reliable,
            "reason": why}.items()})
    return out


def write_outputs(result: EvaluationResult, outdir: str | Path, meta: Mapping) -> dict[str, Path]:
    """Write every artefact of a run to ``outdir``.

    Files: ``metrics.json`` (records model, source, split, metric, value, ci_low, ci_high, n, n_pos, reliable,
    reason; NaN → null; splits ``cv``, ``test`` and ``apparent``, plus the added value of imaging as metric
    :data:`ADDED_METRIC`), ``added_value.json`` (:func:`~radiogenomics.models.added_value.added_value`),
    ``folds.parquet``, ``delong.json`` (records :data:`DELONG_COLUMNS`), ``meta.json``, and per
    ``<model>__<source>/``: ``metrics.parquet``, ``predictions.parquet``, ``confusion.csv``,
    ``confusion.png``, ``roc.png``, ``roc.svg``, ``loss_curves.json`` + ``loss_curves.png`` (models
    with a training history), ``search.json`` (nested protocol: chosen parameters per fold),
    ``signature.csv`` + ``signature.txt`` (LASSO signatures and the stacked model:
    :func:`~radiogenomics.models.signature.signature_table`) and ``model/`` (the final estimator, fitted on
    every case, with ``meta`` — the clinical encodings, the input ``columns``, the ``threshold`` — in
    ``model.json``).

    Returns
    -------
    ``{"metrics", "added_value", "folds", "delong", "meta"} → path`` plus ``"<model>__<source>" → folder``.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    added = added_value(result)
    paths["added_value"] = out / "added_value.json"
    paths["added_value"].write_text(json.dumps(_records(added), indent=1) + "\n")
    paths["metrics"] = out / "metrics.json"
    paths["metrics"].write_text(json.dumps(_records(result.summary()) + added_records(added), indent=1) + "\n")
    paths["folds"] = out / "folds.parquet"
    result.folds.to_parquet(paths["folds"], index=False)
    paths["delong"] = out / "delong.json"
    paths["delong"].write_text(json.dumps(_records(delong_table(result)), indent=1) + "\n")
    paths["meta"] = out / "meta.json"
    paths["meta"].write_text(json.dumps(dict(meta), indent=1, default=str) + "\n")
    apparent = result.folds[result.folds.split == "apparent"]
    n_train = int(apparent["n"].max()) if not apparent.empty else None
    for (m, s), g in result.folds.groupby(["model", "source"], sort=False):
        d = out / f"{m}__{s}"
        d.mkdir(exist_ok=True)
        paths[f"{m}__{s}"] = d
        g.to_parquet(d / "metrics.parquet", index=False)
        pr = result.predictions[(result.predictions.model == m) & (result.predictions.source == s)]
        pr.to_parquet(d / "predictions.parquet", index=False)
        cf = result.confusion[(result.confusion.model == m) & (result.confusion.source == s)]
        cf.to_csv(d / "confusion.csv", index=False)
        confusion_figure(cf, d / "confusion.png", f"{m} / {s}")
        mine = [e for e in result.extras if e["model"] == m and e["source"] == s]
        hist = [e for e in mine if "history" in e]
        search = [e for e in mine if "best_params" in e]
        if search:
            (d / "search.json").write_text(json.dumps(search, indent=1, default=_py) + "\n")
        if hist:
            (d / "loss_curves.json").write_text(json.dumps(hist) + "\n")
            loss_figure(hist, d / "loss_curves.png", f"{m} / {s}")
        roc_figure(pr, d / "roc", f"{m} / {s}")
        if (m, s) in result.fitted:
            est = result.fitted[(m, s)]
            extra: dict[str, Any] = {"model": m, "source": s, "columns": input_columns(est),
                                     "threshold": result.thresholds.get((m, s)), "n_train": n_train,
                                     "recalibration": result.recalibration.get((m, s)),
                                     "final_fit": f"fitted on all {n_train} cases; its performance is estimated by "
                                                  "the cv (and test) results"}
            if isinstance(est, StackedClinical) and est.imaging is not None:
                extra["imaging_weight"] = est.imaging_weight_
            sig = signature_table(est, meta.get("encodings"))
            if sig is not None:
                sig.to_csv(d / "signature.csv", index=False)
                levels = list(dict.fromkeys(sig["level"]))
                (d / "signature.txt").write_text("".join(f"[{lv}] {formula(sig, lv)}\n" for lv in levels))
                extra["signature"] = {lv: formula(sig, lv) for lv in levels}
            save_model(est, d / "model", {**dict(meta), **extra})
    logger.info("wrote %d model folders to %s", len(paths) - 5, out)
    return paths
