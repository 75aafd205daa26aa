r"""External validation: a saved model applied to another cohort (``radiogenomics validate`` and the study's
``validation`` stage).

:func:`run` loads a model folder written by the ``model`` command (checksums checked,
:func:`~radiogenomics.models.persistence.load_model`), codes the clinical columns as in training, checks that the
table has every column the model reads (a clear error lists the missing ones), predicts, and writes:

``metrics.json``     records like ``model``'s (split ``external``): accuracy, precision, sensitivity, specificity, F1,
                     ROC AUC, PR AUC, Brier with stratified bootstrap 95% CIs at the model's threshold (the Youden
                     threshold of its out-of-fold predictions), plus ``calibration_slope`` and
                     ``calibration_intercept`` (bootstrap CIs) — every record with ``n`` and ``n_pos``
``predictions.csv``  ``case_id``, ``probability``, ``label`` (the true class), ``predicted`` (at the threshold)
``shift.csv``        per standardised input feature the external mean and SD against the training ones
                     (:func:`feature_shift`) — a scanner or protocol shift shows here
``roc.png|svg``, ``calibration.png|svg``, ``provenance.json``

Calibration (Cox, 1958; Van Calster et al., 2019), with the linear predictor :math:`\eta = \operatorname{logit} p`:
the **slope** :math:`b` of :math:`\operatorname{logit} P(y = 1) = a + b\,\eta` (1 is ideal, < 1 means too extreme
predictions) and the **intercept** :math:`a` of :math:`\operatorname{logit} P(y = 1) = a + \eta` (calibration in the
large with the slope fixed at 1; 0 is ideal, > 0 means risks are underestimated), both maximum likelihood
(:func:`~radiogenomics.models.metrics.calibration`).

Probabilities are the model's recalibrated ones when the run stored a recalibration (``model.json``
``recalibration``: the logistic map of its pooled out-of-fold predictions,
:func:`~radiogenomics.models.metrics.recalibrate`); the class is decided on the uncalibrated score at the stored
threshold (the same decision, as the map is increasing).

``harmonise=True`` first maps every standardised imaging input to the training cohort's location and scale,
:math:`x^* = (x - \bar x_{ext}) / s_{ext} \cdot s_{train} + \bar x_{train}` — reference-batch ComBat (location/scale,
no empirical Bayes) with the training cohort as the reference, using the means and SDs the model stored. It removes
a scanner shift but also any true difference in case mix between the cohorts; report both runs.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from radiogenomics.errors import UnknownNameError
from radiogenomics.models.bootstrap import bootstrap_ci, bootstrap_metrics
from radiogenomics.models.errors import InvalidTargetError, ModelError
from radiogenomics.models.figures import calibration_figure, roc_figure
from radiogenomics.models.metrics import METRICS, binary_metrics, calibration, recalibrate
from radiogenomics.models.outputs import apply_encodings
from radiogenomics.models.persistence import load_model
from radiogenomics.models.protocol import reliability
from radiogenomics.models.signature import training_standardisation
from radiogenomics.provenance import provenance_record, write_json
from radiogenomics.settings import _Settings
from radiogenomics.table import stage_input

__all__ = ["FeatureMismatchError", "ValidationOutputs", "ValidationSettings", "best_saved_model", "feature_shift",
           "model_folder", "run", "run_validation"]

logger = logging.getLogger(__name__)

#: Calibration metrics added to the records of :data:`~radiogenomics.models.metrics.METRICS`.
CALIBRATION = ("calibration_slope", "calibration_intercept")


class FeatureMismatchError(ModelError):
    """The external table lacks columns the saved model reads."""


class ValidationSettings(_Settings):
    """External validation of one saved model.

    Attributes
    ----------
    target
        Binary 0/1 column of the external table.
    n_boot
        Bootstrap resamples of the confidence intervals.
    seed
        Seed of the bootstrap.
    harmonise
        Map the standardised imaging inputs to the training location and scale first (module docstring).
    allow_pickle
        Also load a pickled model (only for a folder your own run wrote).
    """

    settings_name: ClassVar[str] = "validation settings"

    target: str
    n_boot: int = Field(1000, ge=10)
    seed: int = Field(0, ge=0)
    harmonise: bool = False
    allow_pickle: bool = False


@dataclass
class ValidationOutputs:
    """What :func:`run` computed and wrote."""

    metrics: pd.DataFrame
    predictions: pd.DataFrame
    shift: pd.DataFrame
    meta: dict[str, Any]
    paths: dict[str, Path]


def feature_shift(table: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    r"""Per feature of ``reference`` (``feature, mean, sd`` of the training cohort): the external mean and SD, the
    standardised mean difference :math:`(\bar x_{ext} - \bar x_{train}) / s_{train}` (``smd``) and the SD ratio
    :math:`s_{ext} / s_{train}`, sorted by :math:`|smd|`."""
    rows = []
    for r in reference.itertuples(index=False):
        x = pd.to_numeric(table[r.feature], errors="coerce").to_numpy(dtype=np.float64)
        x = x[np.isfinite(x)]
        m, s = (float(x.mean()), float(x.std(ddof=1))) if x.size > 1 else (float("nan"), float("nan"))
        sd = r.sd if r.sd > 0 else float("nan")
        rows.append({"feature": r.feature, "n": int(x.size), "train_mean": r.mean, "train_sd": r.sd,
                     "external_mean": m, "external_sd": s, "smd": (m - r.mean) / sd, "sd_ratio": s / sd})
    out = pd.DataFrame(rows, columns=["feature", "n", "train_mean", "train_sd", "external_mean", "external_sd",
                                      "smd", "sd_ratio"])
    return out.reindex(out["smd"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def _harmonise(table: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for r in reference.itertuples(index=False):
        x = pd.to_numeric(out[r.feature], errors="coerce").astype(np.float64)
        s = float(x.std(ddof=1))
        if np.isfinite(s) and s > 0:
            out[r.feature] = (x - float(x.mean())) / s * r.sd + r.mean
    return out


def model_folder(path: str | Path) -> Path:
    """The model folder of ``path``: itself when it holds ``model.json``, else its ``model/`` sub-folder (so a run's
    ``OUT/<model>__<source>`` works too).

    Raises
    ------
    ModelError
        Neither holds a saved model.
    """
    p = Path(path)
    for cand in (p, p / "model"):
        if (cand / "model.json").is_file():
            return cand
    raise ModelError(f"no saved model in {p} (expected model.json there or in {p / 'model'}); pass a folder "
                     "OUT/<model>__<source> written by the model command")


def best_saved_model(run_dir: str | Path) -> str:
    """The ``<model>__<source>`` folder of a ``model`` run with the best reliable CV ROC AUC that saved a model
    (alternate-feature evaluations ``<source>@<name>`` are not models).

    Raises
    ------
    ModelError
        The run has no reliable CV result with a saved model.
    """
    run_dir = Path(run_dir)
    path = run_dir / "metrics.json"
    records = json.loads(path.read_text()) if path.is_file() else []
    auc = [r for r in records if r["metric"] == "roc_auc" and r["split"] == "cv" and r.get("reliable", True)
           and "@" not in r["source"] and (run_dir / f"{r['model']}__{r['source']}" / "model" / "model.json").is_file()]
    if not auc:
        raise ModelError(f"{run_dir} has no reliable cross-validated model with a saved model to validate; name one "
                         "with validation.model: <model>__<source>")
    best = max(auc, key=lambda r: r["value"] if r["value"] is not None else -1.0)
    return f"{best['model']}__{best['source']}"


def run(settings: ValidationSettings, model_dir: str | Path, table: pd.DataFrame | str | Path,
        outdir: str | Path) -> ValidationOutputs:
    """Apply the saved model in ``model_dir`` to ``table`` and write the files of the module docstring to ``outdir``.

    Raises
    ------
    FeatureMismatchError
        The table lacks columns the model reads (named, with the count).
    UnknownNameError
        The target column is not in the table.
    InvalidTargetError
        The target is not binary 0/1 or lacks a class.
    ModelError
        The model folder is missing, changed since it was saved, or a pickle without ``allow_pickle``.
    """
    started, t0 = datetime.now(UTC), time.perf_counter()
    folder = model_folder(model_dir)
    est, meta = load_model(folder, allow_pickle=settings.allow_pickle)
    df, table_input = stage_input(table)
    if settings.target not in df.columns:
        raise UnknownNameError("target column", settings.target, [str(c) for c in df.columns])
    columns = list(meta.get("columns") or [])
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FeatureMismatchError(
            f"the table lacks {len(missing)} of the {len(columns)} columns the model reads: "
            f"{', '.join(missing[:8])}{' …' if len(missing) > 8 else ''} — extract the external cohort with the "
            "training run's settings (same ROIs, modalities, image types and features)")
    n_rows = len(df)
    df = df.loc[df[settings.target].notna()].reset_index(drop=True)
    y = df[settings.target].to_numpy()
    if not np.isin(y, (0, 1)).all():
        raise InvalidTargetError(f"target {settings.target!r} must be binary 0/1, got values {np.unique(y)[:5]}")
    y = y.astype(np.int64)
    if y.min() == y.max():
        raise InvalidTargetError(f"target {settings.target!r} has one class only in the external table")
    coded = apply_encodings(df, meta.get("encodings", {}))
    reference = training_standardisation(est, exclude=meta.get("clinical", []))
    shift = feature_shift(coded, reference)
    if settings.harmonise:
        coded = _harmonise(coded, reference)
    raw = np.asarray(est.predict_proba(coded))[:, 1]
    threshold = meta.get("threshold")
    thr_raw = 0.5 if threshold is None else float(threshold)
    recal = meta.get("recalibration")
    p = recalibrate(raw, recal)
    thr = float(recalibrate(np.array([thr_raw]), recal)[0])
    ids = df["case_id"].astype(str).to_numpy() if "case_id" in df.columns else np.arange(1, len(df) + 1).astype(str)
    predictions = pd.DataFrame({"case_id": ids, "probability": p, "label": y,
                                "predicted": (raw >= thr_raw).astype(int)})

    values = {**binary_metrics(y, p, thr), **calibration(y, p)}
    ci = bootstrap_metrics(y, p, thr, n_boot=settings.n_boot, seed=settings.seed)
    for name in CALIBRATION:
        ci[name] = bootstrap_ci(y, p, lambda yy, pp, k=name: calibration(yy, pp)[k], n_boot=settings.n_boot,
                                seed=settings.seed)
    n, n_pos = int(y.size), int(y.sum())
    ok, why = reliability(n, n_pos, int(np.ptp(p) == 0), 1)
    model, source = meta.get("model", ""), meta.get("source", "")
    metrics = pd.DataFrame([{"model": model, "source": source, "split": "external", "metric": k, "value": values[k],
                             "ci_low": ci[k][0], "ci_high": ci[k][1], "n": n, "n_pos": n_pos, "reliable": ok,
                             "reason": why} for k in (*METRICS, *CALIBRATION)])

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"metrics": out / "metrics.json", "predictions": out / "predictions.csv", "shift": out / "shift.csv"}
    records = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
               for r in metrics.to_dict("records")]
    paths["metrics"].write_text(json.dumps(records, indent=1, default=float) + "\n")
    predictions.to_csv(paths["predictions"], index=False)
    shift.to_csv(paths["shift"], index=False)
    pred = predictions.rename(columns={"label": "y_true", "probability": "prob"}).assign(split="external", repeat=-1,
                                                                                            fold=-1)
    paths["roc"] = roc_figure(pred, out / "roc", f"{model} / {source}: external")[0]
    paths["calibration"] = calibration_figure(y, p, out / "calibration",
                                              f"calibration: slope {values['calibration_slope']:.2f}, "
                                              f"intercept {values['calibration_intercept']:+.2f}")[0]
    info = {"model_dir": str(folder), "model": model, "source": source, "target": settings.target,
            "training_target": meta.get("target"), "threshold": thr, "recalibration": recal, "rows": n_rows,
            "rows_without_target": n_rows - n, "harmonised": settings.harmonise,
            "median_abs_smd": float(shift["smd"].abs().median()) if len(shift) else None}
    record = provenance_record("validation", settings=settings, seed=settings.seed, started=started,
                               seconds=time.perf_counter() - t0, inputs={**table_input, "model": str(folder),
                                                                         "model_sha256": meta.get("sha256")},
                               n_cases=n, **info)
    paths["provenance"] = write_json(out / "provenance.json", record)
    logger.info("validated %s / %s on %d cases (%d positive): AUC %.3f", model, source, n, n_pos, values["roc_auc"])
    return ValidationOutputs(metrics, predictions, shift, info, paths)


#: :func:`run` as :mod:`radiogenomics.models` exports it (the package's ``run`` is the modelling stage).
run_validation = run
