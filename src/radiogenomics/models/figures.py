"""Figures of a modelling run: ROC curves, calibration, training loss curves and confusion matrices per fold.

Drawn on :func:`radiogenomics.plotting.new_figure` (no pyplot state) and written with
:func:`radiogenomics.plotting.save_figure`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from radiogenomics.plotting import new_figure, save_figure

__all__ = ["calibration_figure", "confusion_figure", "loss_figure", "roc_figure"]


def roc_figure(pred: pd.DataFrame, stem: Path, title: str) -> list[Path]:
    """ROC curve of every fold (thin, blue), hold-out or external set (thick, red) and the final model on its own
    training cases (dashed, grey: ``apparent``) of ``pred`` → ``stem.png|svg``.

    ``pred`` has the columns ``split``, ``repeat``, ``fold``, ``y_true``, ``prob``; a fold with one class is
    left out (its ROC is undefined).
    """
    fig = new_figure((4, 4), dpi=120, layout="tight")
    ax = fig.subplots()
    for (split, rep, _fold), g in pred.groupby(["split", "repeat", "fold"]):
        if g["y_true"].nunique() < 2:
            continue
        fpr, tpr, _ = roc_curve(g["y_true"], g["prob"])
        if split == "apparent":
            ax.plot(fpr, tpr, lw=1.0, ls="--", color="0.5", label="apparent (training)")
        elif split == "cv":
            ax.plot(fpr, tpr, lw=0.6, alpha=0.4, color="C0")
        else:
            ax.plot(fpr, tpr, lw=1.5, color="C3", label=f"{split} r{rep}" if rep >= 0 else split)
    ax.plot([0, 1], [0, 1], "k--", lw=0.5)
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", title=title)
    if (pred["split"] != "cv").any():
        ax.legend(loc="lower right", fontsize=7)
    return save_figure(fig, stem)


def calibration_figure(y: np.ndarray, p: np.ndarray, stem: Path, title: str, n_bins: int = 10) -> list[Path]:
    """Observed positive fraction against the mean predicted probability in ``n_bins`` quantile bins (points,
    with 95% Wilson intervals), the diagonal of perfect calibration, and the predictions' distribution (ticks)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, min(n_bins, max(p.size // 5, 1)) + 1)))
    bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(edges.size - 2, 0))
    fig = new_figure((4, 4), dpi=120, layout="tight")
    ax = fig.subplots()
    z = 1.959963984540054
    for b in np.unique(bins):
        sel = bins == b
        n, obs = int(sel.sum()), float(y[sel].mean())
        centre = (obs + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(obs * (1 - obs) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        err = [[max(obs - (centre - half), 0.0)], [max(centre + half - obs, 0.0)]]
        ax.errorbar(float(p[sel].mean()), obs, yerr=err, fmt="o", color="C0", ms=4, lw=0.8)
    ax.plot([0, 1], [0, 1], "k--", lw=0.5)
    ax.plot(p, np.full(p.size, -0.03), "|", color="0.4", ms=6)
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.06, 1.02), xlabel="predicted probability", ylabel="observed fraction",
           title=title)
    return save_figure(fig, stem)


def loss_figure(hist: list[dict], path: Path, title: str) -> list[Path]:
    """Training and validation loss per epoch, one panel per fold (``hist``: ``repeat``, ``fold``, ``history``)."""
    n = len(hist)
    ncol = min(n, 4)
    nrow = int(np.ceil(n / ncol))
    fig = new_figure((2.6 * ncol, 2.2 * nrow), dpi=110, layout="tight")
    axes = fig.subplots(nrow, ncol, squeeze=False, sharey=True)
    for ax, h in zip(axes.ravel(), hist, strict=False):
        tr, va = h["history"]["train_loss"], h["history"]["val_loss"]
        ax.plot(range(1, len(tr) + 1), tr, color="C0", label="train")
        ax.plot(range(1, len(va) + 1), va, color="C1", label="val")
        ax.set_title(f"r{h['repeat']} " + ("test refit" if h["fold"] < 0 else f"fold {h['fold']}"), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    fig.supxlabel("epoch", fontsize=8)
    fig.supylabel("loss", fontsize=8)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path, formats=("png",))


def confusion_figure(cf: pd.DataFrame, path: Path, title: str) -> list[Path]:
    """Confusion matrix of every fold and hold-out (``cf``: ``tn, fp, fn, tp, repeat, split, fold``)."""
    n = len(cf)
    ncol = min(n, 6)
    nrow = int(np.ceil(n / ncol))
    fig = new_figure((1.9 * ncol, 2.0 * nrow), dpi=110, layout="tight")
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for ax, (_, r) in zip(axes.ravel(), cf.iterrows(), strict=False):
        m = np.array([[r["tn"], r["fp"]], [r["fn"], r["tp"]]], dtype=float)
        ax.imshow(m, cmap="Blues", vmin=0, vmax=max(m.max(), 1))
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=8,
                    color="white" if v > m.max() / 2 else "black")
        ax.set_xticks([0, 1], ["pred 0", "pred 1"], fontsize=6)
        ax.set_yticks([0, 1], ["true 0", "true 1"], fontsize=6)
        what = f"fold {r['fold']}" if r["split"] == "cv" else str(r["split"])
        ax.set_title(what if r["repeat"] < 0 else f"r{r['repeat']} {what}", fontsize=7)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path, formats=("png",))
