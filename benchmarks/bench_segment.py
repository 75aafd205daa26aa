"""Cross-validated tumour segmentation on the 12 shared STS PET/CT patients (issue [segment-real]).

Leave-3-out: the 12 patients of ``shared/data/sts_petct`` are shuffled once (``--seed``) and cut into 4 folds of
3; for each fold the Attention U-Net is trained with the **default settings** (``segment train --method
attention-unet``; only the seed and the torch thread count are set here) on the other 9 patients, then predicts
the 3 held-out patients on their CT grids, scored against their CT-grid GTV (Dice, HD95, false-positive
components, as ``segment evaluate``). The PET threshold baselines (SUV >= 2.5 and 41 % of SUVmax, the component
holding the hottest voxel, holes filled, searched in the whole image — each image is a crop ~5 cm around the
tumour, which plays the volume of interest a reader would draw) need no training and are scored on the same
patients. Nothing is tuned per patient.

With ``--study``, a study (``data.masks: {tumour_mask: auto:<fold-0 model>}``) then runs end to end on the 12
patients: every mask is predicted by the fold-0 model, features are extracted from the predicted masks, and the
report is written (``--study-out``, default a temporary folder).

Writes ``benchmarks/results/bench_segment-<host>-<time>.json``: per-case rows, one summary row per method
(``segment.metrics.METHOD_COLUMNS``), training seconds per fold, the machine.

    python benchmarks/bench_segment.py [--threads 2] [--folds 0,1,2,3] [--study] [--config FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from machine import machine

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "sts_petct"


def _portable(value: object) -> str | None:
    """An argument as recorded: paths under the repository's parent relative to it, other paths as
    ``<folder name>`` (no machine paths in the results)."""
    if not isinstance(value, Path):
        return None if value is None else str(value)
    try:
        return str(value.resolve().relative_to(REPO.parent))
    except ValueError:
        return f"<{value.name}>"


def manifest(ids: list[str], data: Path, path: Path) -> Path:
    rows = [{"case_id": c, "ct": data / c / "ct.nii.gz", "pet": data / c / "pet.nii.gz",
             "tumour_mask": data / c / "ct_mask.nii.gz", "group": i % 2} for i, c in enumerate(ids)]
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def study(modeldir: Path, ids: list[str], data: Path, out: Path) -> dict:
    """The study of ``--study`` on the 12 patients with masks predicted by ``modeldir``."""
    from radiogenomics.study import StudySettings, run_study

    man = manifest(ids, data, out / "manifest.csv")
    small = {"setting": {"binCount": 32},
             "featureClass": {"firstorder": None, "shape": None, "glcm": ["Contrast", "JointEntropy"]}}
    settings = StudySettings.validate_dict({
        "name": "STS auto masks", "workers": 1, "targets": ["group"],
        "data": {"manifest": str(man), "masks": {"tumour_mask": f"auto:{modeldir}"}},
        "extraction": {"extraction": {"tumour": small, "bat": small}},
        "stats": {"heatmap_top": 0}, "models": {"models": ["logistic"], "folds": 3, "n_boot": 100},
        "cluster": {"enabled": False}, "report": {"overlay_cases": 2}})
    t0 = time.perf_counter()
    run_study(settings, out / "study")
    seconds = time.perf_counter() - t0
    status = pd.read_csv(next((out / "study").rglob("auto_masks/*/status.csv")))
    features = pd.read_csv(out / "study" / "cohort" / "features.csv")
    n_features = sum(c.startswith("tumour_ct__") for c in features.columns)
    return {"seconds": seconds, "n_masks_predicted": int((status["status"] == "predicted").sum()),
            "n_cases_with_features": len(features), "n_tumour_ct_features": n_features,
            "report": "study/report.html"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the acceptance: 2 cores)")
    parser.add_argument("--seed", type=int, default=0, help="shuffles the patients into folds; seeds training")
    parser.add_argument("--folds", default="0,1,2,3", help="folds to run, or 'none' (with --study and --work: "
                                                             "only the study, on an earlier run's fold-0 model)")
    parser.add_argument("--config", type=Path, default=None, help="Attention U-Net settings (default: defaults)")
    parser.add_argument("--study", action="store_true")
    parser.add_argument("--study-out", type=Path, default=None)
    parser.add_argument("--work", type=Path, default=None, help="folder for models and masks (default: temporary)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import torch

    from radiogenomics.segment.metrics import METHOD_COLUMNS, summarise_cases
    from radiogenomics.segment.registry import (
        baseline_settings,
        evaluate_baselines,
        evaluate_manifest,
        predict_manifest,
    )
    from radiogenomics.segment.settings import load_segment_settings
    from radiogenomics.segment.stage import run

    torch.set_num_threads(args.threads)
    ids = sorted(p.name for p in args.data.iterdir() if p.is_dir() and p.name.startswith("STS_"))
    order = [ids[i] for i in np.random.default_rng(args.seed).permutation(len(ids))]
    folds = [order[3 * k: 3 * k + 3] for k in range(len(ids) // 3)]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_segment_"))
    settings = load_segment_settings("attention-unet", args.config).replace(seed=args.seed)
    cases, training = [], []
    for k in ([] if args.folds == "none" else [int(f) for f in args.folds.split(",")]):
        test = folds[k]
        train = [c for c in ids if c not in test]
        fold_dir = work / f"fold{k}"
        t0 = time.perf_counter()
        model = run(settings, manifest(train, args.data, fold_dir / "train.csv"), fold_dir / "model")
        seconds = time.perf_counter() - t0
        test_manifest = manifest(test, args.data, fold_dir / "test.csv")
        t1 = time.perf_counter()
        result = predict_manifest(fold_dir / "model", test_manifest, fold_dir / "masks", overwrite=True)
        predict_seconds = time.perf_counter() - t1
        ev = evaluate_manifest(result, test_manifest)
        training.append({"fold": k, "test": test, "train_seconds": seconds, "predict_seconds": predict_seconds,
                         "best_epoch": model.best_epoch_, "postprocessing": model.postprocessing_.name,
                         "postprocessing_scores": model.postprocessing_scores_})
        print(f"fold {k}: trained in {seconds:.0f} s (best epoch {model.best_epoch_}, post-processing "
              f"{model.postprocessing_.name}); Dice {np.round(ev.cases['dice'].to_numpy(), 3).tolist()}", flush=True)
        cases.append(ev.cases.assign(method="Attention U-Net (defaults)", fold=k))
        _, evaluations = evaluate_baselines(test_manifest, fold_dir / "baselines")
        for name, bev in evaluations.items():
            cases.append(bev.cases.assign(method=baseline_settings(name).label, fold=k))
    per_case = pd.concat(cases, ignore_index=True) if cases else pd.DataFrame(columns=["method", "fold"])
    summary = pd.DataFrame([summarise_cases(g, m) for m, g in per_case.groupby("method", sort=False)],
                           columns=list(METHOD_COLUMNS))
    train_s = [t["train_seconds"] for t in training]
    pd.set_option("display.width", 200)
    print(summary.round(3).to_string(index=False))
    if train_s:
        print(f"training per model: {min(train_s):.0f}-{max(train_s):.0f} s (median {np.median(train_s):.0f} s) "
              f"with {args.threads} torch thread(s)")
    result = {"benchmark": "bench_segment", "machine": machine(torch=torch.__version__),
              "args": {k: _portable(v) for k, v in vars(args).items()}, "settings": settings.model_dump(mode="json"),
              "folds": training, "summary": summary.to_dict("records"), "cases": per_case.to_dict("records")}
    out_dir = REPO / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"bench_segment-{result['machine']['host']}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str))  # written before the study: kept if it fails
    if args.study:
        out = args.study_out or Path(tempfile.mkdtemp(prefix="bench_segment_study_"))
        result["study"] = study(work / "fold0" / "model", ids, args.data, out)
        print(f"study with auto masks: {result['study']}")
        path.write_text(json.dumps(result, indent=2, default=str))
    print(f"-> {path}")


if __name__ == "__main__":
    main()
