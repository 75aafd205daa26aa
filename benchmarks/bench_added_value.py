"""Does the added-value interval find a planted imaging effect, and stay on 0 without one? (issue [added-value])

Synthetic cohorts of ``n`` patients: two clinical variables that carry signal (``age`` ~ N(0, 1) with log-odds
coefficient 1, and a categorical ``stage`` 1–4 whose level 3 adds 1.5 log-odds, declared categorical) and 4
imaging sources × ``p`` N(0, 1) features, 2 signal features per source, adding ``2 * effect * sum(signal) /
sqrt(8)`` to the logit. For effect in {0, E} and 10 seeds: LASSO per source ``stacked`` (clinical variables + an
out-of-fold imaging score) and ``fused+clinical``, against ``clinical``, under repeated 5-fold CV; the added value
is the paired AUC difference to the source's reference (``clinical_stack`` for ``stacked``, ``clinical`` for
``fused+clinical``) with the corrected resampled t interval (radiogenomics.models.added_value).

Counts: with the effect, how often the interval excludes 0 (acceptance: >= 8 of 10 for ``stacked``); without it,
how often it contains 0 (>= 9 of 10); and how often the stacked model's CV AUC is at least the clinical one's - 0.01.

Writes ``benchmarks/results/bench_added_value-<host>-<time>.json``.

    python benchmarks/bench_added_value.py [--seeds 10] [--effect 0.5] [--n 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from machine import machine

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("tumour_ct", "tumour_pet", "bat_ct", "bat_pet")


def cohort(n: int, p: int, effect: float, rng: np.random.Generator) -> pd.DataFrame:
    """See the module docstring."""
    blocks, cols, signal = [], [], []
    for s in SOURCES:
        X = rng.standard_normal((n, p))
        blocks.append(X)
        signal.append(X[:, :2])
        cols += [f"{s}__original_firstorder_F{j}" for j in range(p)]
    S = np.hstack(signal)
    age = rng.standard_normal(n)
    stage = rng.integers(1, 5, n)
    logit = 1.0 * age + 1.5 * (stage == 3) - 0.5 + 2 * effect * S.sum(axis=1) / np.sqrt(S.shape[1])
    df = pd.DataFrame(np.hstack(blocks), columns=cols)
    df.insert(0, "case_id", [f"P{i:05d}" for i in range(n)])
    df["age"] = age
    df["stage"] = stage
    df["TP53"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df


def one(effect: float, seed: int, n: int, p: int, repeats: int) -> list[dict]:
    from radiogenomics.models.added_value import added_value
    from radiogenomics.models.outputs import run_models
    from radiogenomics.models.protocol import Protocol

    df = cohort(n, p, effect, np.random.default_rng(5000 + seed))
    t0 = time.perf_counter()
    res, _ = run_models(df, "TP53", clinical=["age", "stage"], categorical=["stage"], models=["lasso"],
                        sources=["stacked", "fused+clinical"], seed=seed,
                        protocol=Protocol(kind="kfold", n_folds=5, repeats=repeats, n_boot=10, seed=seed))
    seconds = time.perf_counter() - t0
    av = added_value(res)
    av = av[av.split == "cv"]
    s = res.summary()
    clinical = float(s[(s.split == "cv") & (s.metric == "roc_auc") & (s.source == "clinical")]["value"].iloc[0])
    rows = []
    for r in av.itertuples(index=False):
        rows.append({"effect": effect, "seed": seed, "source": r.source, "reference": r.reference, "auc": r.auc,
                     "auc_reference": r.auc_reference, "auc_clinical": clinical,
                     "difference": r.difference, "ci_low": r.ci_low, "ci_high": r.ci_high, "p": r.p,
                     "excludes_zero": bool(r.ci_low > 0 or r.ci_high < 0), "seconds": seconds,
                     "imaging_weight": float(res.fitted[("lasso", "stacked")].imaging_weight_)
                     if r.source == "stacked" else None})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--effect", type=float, default=0.5)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--p", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for effect in (args.effect, 0.0):
        for seed in range(args.seeds):
            rows += one(effect, seed, args.n, args.p, args.repeats)
            r = rows[-2]
            print(f"effect {effect} seed {seed}: stacked {r['auc']:.3f} vs {r['reference']} "
                  f"{r['auc_reference']:.3f} (clinical {r['auc_clinical']:.3f}), adds {r['difference']:+.3f} "
                  f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}], imaging weight {r['imaging_weight']:.2f} "
                  f"({r['seconds']:.1f} s)", flush=True)
    df = pd.DataFrame(rows)
    summary = {}
    for (effect, source), g in df.groupby(["effect", "source"]):
        summary[f"{source} effect={effect}"] = {
            "seeds": len(g), "ci_excludes_zero": int(g["excludes_zero"].sum()),
            "ci_contains_zero": int((~g["excludes_zero"]).sum()),
            "auc_ge_clinical_minus_0.01": int((g["auc"] >= g["auc_clinical"] - 0.01).sum()),
            "mean_difference": float(g["difference"].mean()), "mean_auc": float(g["auc"].mean()),
            "mean_auc_reference": float(g["auc_reference"].mean()),
            "mean_auc_clinical": float(g["auc_clinical"].mean())}
    for k, v in summary.items():
        print(f"{k}: CI excludes 0 in {v['ci_excludes_zero']}/{v['seeds']}, AUC >= clinical - 0.01 in "
              f"{v['auc_ge_clinical_minus_0.01']}/{v['seeds']}, mean AUC {v['mean_auc']:.3f} vs reference "
              f"{v['mean_auc_reference']:.3f} (difference {v['mean_difference']:+.3f}), clinical "
              f"{v['mean_auc_clinical']:.3f}")
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    info = machine()
    path = out / f"bench_added_value-{info['host']}-{stamp}.json"
    path.write_text(json.dumps({"benchmark": "bench_added_value", "machine": info, "args": vars(args),
                                "summary": summary, "runs": rows}, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
