"""Synthetic checks of the modelling stage: fusion gain over seeds and CI coverage (issue [models] acceptance).

1. Fusion: cohorts of ``n`` patients with 4 prefixed sources × ``p`` N(0, 1) features; the logit is
   ``2 * effect * sum(signal) / sqrt(#signal)`` with 2 signal features in every source (the planted
   signal is split across the sources). Logistic baseline per source, early fusion (``fused``) and late
   fusion (``late``), 3:1 stratified hold-out + 5-fold CV; for effect in {1.0, 1.5} and several seeds,
   count how often the fused (and late) hold-out AUC beats every single source.
2. Coverage: the same generator (effect 1, n = 300, hold-out 25 %); the model refitted on the training
   rows is scored on 20,000 fresh patients from the same generator (its true AUC); we count how often
   the hold-out 95 % bootstrap CI covers it.

Writes ``benchmarks/results/bench_models_synth-<host>-<time>.json``.

    python benchmarks/bench_models_synth.py [--seeds 5] [--coverage-sims 40]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from machine import machine

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("tumour_ct", "tumour_pet", "bat_ct", "bat_pet")


def cohort(n: int, p: int, effect: float, rng: np.random.Generator, n_signal: int = 2) -> pd.DataFrame:
    """See the module docstring (same generator as ``tests/models/_synth.py``)."""
    blocks, cols, signal = [], [], []
    for s in SOURCES:
        X = rng.standard_normal((n, p))
        blocks.append(X)
        signal.append(X[:, :n_signal])
        cols += [f"{s}__original_firstorder_F{j}" for j in range(p)]
    S = np.hstack(signal)
    logit = 2 * effect * S.sum(axis=1) / np.sqrt(S.shape[1])
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df = pd.DataFrame(np.hstack(blocks), columns=cols)
    df.insert(0, "case_id", [f"P{i:05d}" for i in range(n)])
    df["TP53"] = y
    return df


def fusion(effects: list[float], seeds: int, n: int, p: int) -> list[dict]:
    from radiogenomics.models import Protocol, build_models, evaluate, find_sources

    out = []
    for effect in effects:
        for seed in range(seeds):
            df = cohort(n, p, effect, np.random.default_rng(1000 + seed))
            src = find_sources(df, "TP53")
            models = build_models(src, ["logistic"], [*SOURCES, "fused", "late"], k=10, seed=seed)
            res = evaluate(df, "TP53", models, Protocol(repeats=1, seed=seed, test_size=0.25, n_boot=200))
            s = res.summary()
            auc = s[(s.metric == "roc_auc")].pivot_table(index="source", columns="split", values="value")
            best_single = float(auc.loc[list(SOURCES), "test"].max())
            rec = {"effect": effect, "seed": seed, "test_auc": auc["test"].round(4).to_dict(),
                   "cv_auc": auc["cv"].round(4).to_dict(), "best_single_test": round(best_single, 4),
                   "fused_beats_all": bool(auc.loc["fused", "test"] > best_single),
                   "late_beats_all": bool(auc.loc["late", "test"] > best_single)}
            print(json.dumps(rec), flush=True)
            out.append(rec)
    return out


def coverage(sims: int, n: int, p: int, effect: float = 1.0) -> dict:
    from radiogenomics.models import Protocol, build_models, evaluate, find_sources, roc_auc

    hits, rows = 0, []
    big = cohort(20000, p, effect, np.random.default_rng(99))
    for i in range(sims):
        df = cohort(n, p, effect, np.random.default_rng(5000 + i))
        src = find_sources(df, "TP53")
        models = build_models(src, ["logistic"], ["fused"], k=10, seed=i)
        res = evaluate(df, "TP53", models, Protocol(repeats=1, seed=i, test_size=0.25, n_boot=500))
        t = res.folds[(res.folds.split == "test") & (res.folds.metric == "roc_auc")].iloc[0]
        est = res.fitted[("logistic", "fused")]
        true_auc = roc_auc(big["TP53"], est.predict_proba(big)[:, 1])
        hit = bool(t.ci_low <= true_auc <= t.ci_high)
        hits += hit
        rows.append({"sim": i, "test_auc": round(float(t.value), 4), "ci": [round(float(t.ci_low), 4),
                     round(float(t.ci_high), 4)], "true_auc": round(float(true_auc), 4), "covered": hit})
    cov = hits / sims
    print(f"coverage {cov:.3f} ({hits}/{sims})", flush=True)
    return {"sims": sims, "n": n, "test_fraction": 0.25, "coverage": cov, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--coverage-sims", type=int, default=40)
    args = ap.parse_args()
    t0 = time.perf_counter()
    fus = fusion([1.0, 1.5], args.seeds, n=400, p=20)
    cov = coverage(args.coverage_sims, n=300, p=20)
    summary = {f"effect_{e}": {"fused_beats_all": sum(r["fused_beats_all"] for r in fus if r["effect"] == e),
                               "late_beats_all": sum(r["late_beats_all"] for r in fus if r["effect"] == e),
                               "of": sum(r["effect"] == e for r in fus)} for e in (1.0, 1.5)}
    result = {"benchmark": "bench_models_synth", "fusion_summary": summary, "coverage": cov["coverage"],
              "fusion": fus, "coverage_detail": cov, "seconds": round(time.perf_counter() - t0, 1),
              "machine": machine(), "time": datetime.now(UTC).isoformat()}
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench_models_synth-{platform.node()}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(summary), f"coverage {cov['coverage']:.3f}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
