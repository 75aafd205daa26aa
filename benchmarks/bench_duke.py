"""Duke breast MRI (922 patients, 529 DCE-MRI features, 8 clinical variables): ER / PR / HER2 comparison.

Real data: ``<shared data>/duke_breast_features/`` (see its README; reference ``baselines.csv``: imaging
logistic CV AUC ER 0.643, PR 0.650, HER2 0.582 = stratified 5-fold CV repeated 5 times, mean over repeats
of the per-repeat mean fold AUC). Same protocol here: ``Protocol(kind="kfold", n_folds=5, repeats=R)``,
seeds 0..R-1, every data-dependent step inside the training folds. Sources: ``all`` (imaging),
``clinical``, ``all+clinical`` (early fusion; clinical columns bypass the selection, weight
``--clinical-weight``), ``late+clinical`` (stacking of the imaging and the clinical model) and ``stacked``
(clinical variables + an out-of-fold imaging score in a penalised logistic model; its reference
``clinical_stack`` is the same logistic model without the imaging score). ``--categorical`` names the
nominal clinical columns (default: race/ethnicity and scanner manufacturer codes), one-hot encoded. With
``clinical`` and a combined source, the added value of imaging (paired CV AUC difference, corrected resampled t
95% interval) is recorded too.

Output: one record per target × model × source with the CV AUC mean over repeats (as baselines.csv),
the SD over repeats, the SD over all folds, and the wall time; written to
``benchmarks/results/bench_duke-<host>-<time>.json`` (or ``--out``).

    python benchmarks/bench_duke.py [--targets ER,PR,HER2] [--models logistic,lasso,transformer]
        [--repeats 2] [--k 50] [--clinical-weight 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from machine import machine

REPO = Path(__file__).resolve().parents[1]
TARGETS = ("ER", "PR", "HER2")


def data_dir() -> Path:
    env = os.environ.get("RADIOGENOMICS_TEST_DATA")
    return (Path(env) if env else REPO.parent / "shared" / "data") / "duke_breast_features"


def load(target: str) -> tuple[pd.DataFrame, list[str]]:
    """Features + clinical + one target, ``case_id`` = patient id; returns (table, clinical columns)."""
    d = data_dir()
    f = pd.read_csv(d / "features.csv")
    cl = pd.read_csv(d / "clinical.csv")
    lab = pd.read_csv(d / "labels.csv")[["patient_id", target]]
    df = f.merge(cl, on="patient_id").merge(lab, on="patient_id").rename(columns={"patient_id": "case_id"})
    return df, [c for c in cl.columns if c != "patient_id"]


def compare(target: str, models: list[str], sources: list[str], repeats: int, k: int, clinical_weight: float,
            transformer_params: dict, seed: int = 0, categorical: tuple[str, ...] = ()) -> list[dict]:
    """CV AUC per model × source for ``target`` (kfold 5 × ``repeats``), and the added value of imaging."""
    from radiogenomics.models import Protocol, build_models, evaluate, find_sources
    from radiogenomics.models.added_value import added_value

    df, clin = load(target)
    src = find_sources(df, target, clin)
    if "stacked" in sources and "clinical_stack" not in sources:  # its added value's reference
        sources = [*sources, "clinical_stack"]
    out = []
    for m in models:
        est = build_models(src, [m], sources, k=k, seed=seed, transformer_params=transformer_params,
                           clinical_weight=clinical_weight, categorical=[c for c in categorical if c in clin])
        results = []
        for key, e in est.items():
            t0 = time.perf_counter()
            res = evaluate(df, target, {key: e}, Protocol(kind="kfold", n_folds=5, repeats=repeats, seed=seed,
                                                          n_boot=0))
            results.append(res)
            f = res.folds[(res.folds.metric == "roc_auc") & (res.folds.split == "cv")]
            per_rep = f.groupby("repeat")["value"].mean()
            rec = {"target": target, "model": key[0], "source": key[1], "cv_auc": float(per_rep.mean()),
                   "sd_repeats": float(per_rep.std(ddof=1)) if repeats > 1 else None,
                   "sd_folds": float(f["value"].std(ddof=1)), "n_folds": len(f), "repeats": repeats,
                   "seconds": round(time.perf_counter() - t0, 1)}
            print(json.dumps(rec), flush=True)
            out.append(rec)
        # the same seeds give the same folds: the runs pair up for the added value of imaging
        joined = results[0]
        joined.folds = pd.concat([r.folds for r in results], ignore_index=True)
        joined.predictions = pd.concat([r.predictions for r in results], ignore_index=True)
        for r in added_value(joined).itertuples(index=False):
            rec = {"target": target, "model": r.model, "source": r.source, "added_vs": r.reference,
                   "difference": r.difference, "ci_low": r.ci_low, "ci_high": r.ci_high, "p": r.p, "k": r.k}
            print(json.dumps(rec), flush=True)
            out.append(rec)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--models", default="logistic,lasso,transformer")
    ap.add_argument("--sources", default="all,clinical,all+clinical,late+clinical,stacked")
    ap.add_argument("--categorical", default="race_ethnicity_code,manufacturer_code",
                    help="nominal clinical columns (one-hot; Transformer tokens)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--clinical-weight", type=float, default=None, help="default: build_models' default")
    ap.add_argument("--transformer", default="{}", help="JSON of FeatureTokenTransformer parameters")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    import inspect

    from radiogenomics.models import build_models

    cw = args.clinical_weight
    if cw is None:
        cw = inspect.signature(build_models).parameters["clinical_weight"].default
    t0 = time.perf_counter()
    records = []
    for t in args.targets.split(","):
        records += compare(t, args.models.split(","), args.sources.split(","), args.repeats, args.k, cw,
                           json.loads(args.transformer), categorical=tuple(filter(None, args.categorical.split(","))))
    result = {"benchmark": "bench_duke", "protocol": f"stratified 5-fold CV x {args.repeats} repeats (seeds 0..)",
              "k": args.k, "categorical": args.categorical, "clinical_weight": cw,
              "transformer_params": json.loads(args.transformer),
              "seconds": round(time.perf_counter() - t0, 1), "records": records,
              "reference_imaging_logistic": {"ER": 0.643, "PR": 0.650, "HER2": 0.582},
              "machine": {**machine(torch=torch.__version__), "torch_threads": args.threads,
                          "load": os.getloadavg()},
              "time": datetime.now(UTC).isoformat()}
    path = args.out or REPO / "benchmarks" / "results" / \
        f"bench_duke-{platform.node()}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
