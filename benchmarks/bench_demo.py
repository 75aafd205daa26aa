"""Time ``radiogenomics demo`` (the full study on a synthetic cohort) against the ≤ 10 min target on 2 cores.

The demo runs as a fresh process into a temporary folder (numba compilation included unless the kernels are
cached already), with the peak RSS of the process tree sampled every 0.5 s. The stage times come from the
run's ``provenance.json``; the headline results (fused and clinical-only CV AUC, the cluster-vs-TP53
chi-square p) come from its artefacts. Results: ``benchmarks/results/bench_demo-<host>-<time>.json``.

    python benchmarks/bench_demo.py [--n 60] [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from machine import machine

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 600.0


def _tree_rss(pid: int) -> int:
    """Resident set size (bytes) of ``pid`` and its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            todo.extend(int(c) for c in children)
        except OSError:
            continue
    return total


def headline(out: Path) -> dict:
    """Fused / clinical CV AUCs per model and the clusters' chi-square p for each target."""
    res: dict = {}
    for metrics in sorted((out / "models").glob("*/metrics.json")):
        target = metrics.parent.name
        rows = [r for r in json.loads(metrics.read_text()) if r["metric"] == "roc_auc" and r["split"] == "cv"]
        res[target] = {f"{r['model']}/{r['source']}": round(r["value"], 3) for r in rows
                       if r["source"] in ("fused", "clinical")}
    cluster = out / "cluster" / "cluster.json"
    if cluster.is_file():
        info = json.loads(cluster.read_text())
        res["cluster_k"] = info.get("k")
        res["cluster_association_p"] = {a["variable"]: a["p"] for a in info.get("association", [])}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, default=None, help="write the demo here instead of a temporary folder")
    args = ap.parse_args()
    out = args.keep or Path(tempfile.mkdtemp(prefix="bench-demo-"))
    cmd = [sys.executable, "-m", "radiogenomics", "demo", "-o", str(out), "--n", str(args.n),
           "--seed", str(args.seed)]
    peak = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def sample() -> None:
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    seconds = time.perf_counter() - t0
    sampler.join()
    if proc.returncode != 0:
        print(output[-3000:])
        raise SystemExit(f"demo failed with exit code {proc.returncode}")
    prov = json.loads((out / "provenance.json").read_text())
    stages = {k: v.get("seconds") for k, v in prov["stages"].items()}
    record = {
        "benchmark": "demo",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(cmd[1:]).replace(str(out), "<out>"),  # no machine paths in the results
        "seconds": round(seconds, 1),
        "target_seconds": TARGET_SECONDS,
        "within_target": seconds <= TARGET_SECONDS,
        "peak_rss_mb": round(peak / 2**20),
        "stage_seconds": stages,
        "results": headline(out),
        "report": "<out>/report.html",
    }
    results = REPO / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"bench_demo-{record['machine']['host']}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps({k: record[k] for k in ("seconds", "within_target", "peak_rss_mb", "stage_seconds",
                                              "results")}, indent=1))
    print(f"-> {path}")


if __name__ == "__main__":
    main()
