"""The study report: one self-contained ``report.html`` built from a study folder's artefacts.

:func:`write_report` reads only files (``features.parquet``, ``status.csv``, ``failures.csv``,
``stats/<target>/``, ``models/<target>/``, ``cnn/<target>/``, ``cluster/``, ``cohort/provenance.json``) and
renders the Jinja2 template ``templates/report.html.j2``. Every figure is inlined as a base64 ``data:`` URI,
the style sheet is inline, and nothing is loaded from the network, so the file can be mailed, archived
and printed. A section whose stage did not run says so instead of being left out (the CNN section, off by
default, appears when its stage is enabled).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml
from jinja2 import Environment, PackageLoader, select_autoescape

from radiogenomics import __version__
from radiogenomics.io.manifest import read_manifest
from radiogenomics.provenance import atomic_write, library_versions
from radiogenomics.report.overlay import overlay_figure, pick_cases
from radiogenomics.settings import sha256_json
from radiogenomics.table import feature_column, parse_feature_column, sources

if TYPE_CHECKING:
    from radiogenomics.report.stage import ReportSettings

__all__ = ["image_uri", "write_report"]

logger = logging.getLogger(__name__)

_METRIC_ORDER = ("roc_auc", "pr_auc", "accuracy", "sensitivity", "specificity", "precision", "f1", "brier")


def image_uri(path: str | Path) -> str:
    """A ``data:`` URI holding the PNG or SVG file ``path``."""
    p = Path(path)
    mime = "image/svg+xml" if p.suffix.lower() == ".svg" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(p.read_bytes()).decode('ascii')}"


def _figure(path: Path, caption: str) -> dict[str, str] | None:
    return {"uri": image_uri(path), "caption": caption} if path.is_file() else None


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "–"
        if value != 0 and (abs(value) < 10 ** -digits or abs(value) >= 1e5):
            return f"{value:.2e}"
        return f"{value:.{digits}f}"
    return str(value)


def _table(df: pd.DataFrame, digits: int = 3) -> dict[str, Any]:
    """A DataFrame as ``{"columns": [...], "rows": [[text...]...]}`` for the template."""
    return {"columns": [str(c) for c in df.columns],
            "rows": [[_fmt(v, digits) for v in row] for row in df.itertuples(index=False)]}


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.is_file() else None


# ------------------------------------------------------------------------------------------------ sections
def _cohort(out: Path, s: ReportSettings, features: pd.DataFrame | None) -> dict[str, Any]:
    sec: dict[str, Any] = {"n": 0, "targets": [], "table1": []}
    if features is None:
        return sec
    sec["n"] = len(features)
    for t in s.targets:
        if t in features.columns:
            y = features[t]
            sec["targets"].append({"name": t, "positive": int((y == 1).sum()), "negative": int((y == 0).sum()),
                                   "missing": int(y.isna().sum())})
        t1 = out / "stats" / t / "table1.html"
        if t1.is_file():
            sec["table1"].append({"target": t, "html": t1.read_text(encoding="utf-8")})
        elif (out / "stats" / t).is_dir():
            sec.setdefault("table1_missing", []).append({"target": t, "reason": _table1_reason(out / "stats" / t)})
    by = s.by
    if by and by in features.columns:
        counts = features[by].value_counts(dropna=False).sort_index()
        sec["by"] = {"column": by, "levels": [(str(k), int(v)) for k, v in counts.items()]}
    sec["suv"] = _suv_table(features)
    return sec


def _table1_reason(folder: Path) -> str:
    """Why the statistics stage of one target wrote no Table 1: its recorded warning, else no variables."""
    try:
        warnings = json.loads((folder / "warnings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        warnings = []
    found = [str(w) for w in warnings if "Table 1" in str(w)]
    return found[0] if found else "no clinical variable to tabulate (the table has only features and the target)"


#: The ``suv`` features shown in the cohort section, with their column headings.
_SUV_SHOWN = {"SUVmax": "SUVmax", "SUVmean": "SUVmean", "SUVpeak": "SUVpeak", "MTV": "MTV (ml)", "TLG": "TLG",
              "MTV_41pct": "MTV 41% (ml)"}


def _suv_table(features: pd.DataFrame) -> dict[str, Any] | None:
    """Per PET ROI: the cases with SUV values (``n``) and median [Q1, Q3] of each feature in :data:`_SUV_SHOWN`."""
    parts = [p for p in (parse_feature_column(c) for c in features.columns) if p and p.feature == "suv_SUVmax"]
    rows = []
    for part in parts:
        prefix = feature_column(part.roi, part.modality)
        row: dict[str, Any] = {"ROI": f"{part.roi} / {part.modality}",
                               "n": int(features[prefix + "suv_SUVmax"].notna().sum())}
        for name, heading in _SUV_SHOWN.items():
            column = prefix + f"suv_{name}"
            values = features[column].dropna().to_numpy(np.float64) if column in features else np.empty(0)
            if values.size:
                q1, med, q3 = np.percentile(values, [25, 50, 75])
                row[heading] = f"{med:.2f} [{q1:.2f}, {q3:.2f}]"
            else:
                row[heading] = "–"
        rows.append(row)
    return _table(pd.DataFrame(rows)) if rows else None


def _data(out: Path, s: ReportSettings, manifest: Path | None) -> dict[str, Any]:
    ex = s.study.get("extraction", {})
    synthetic = s.study.get("data", {}).get("synthetic")
    sec: dict[str, Any] = {
        "source": "synthetic cohort (built in)" if synthetic is not None else "manifest",
        "synthetic": synthetic,
        "rois": list(ex.get("rois", ())), "modalities": list(ex.get("modalities", ())), "pet_grid": ex.get("pet_grid"),
        "interpolation": ex.get("interpolation"), "crop": ex.get("crop_size"),
        "bat": ex.get("bat"), "overlay": None, "notes": [],
    }
    if manifest is None or not manifest.is_file() or s.overlay_cases == 0:
        return sec
    try:
        m = read_manifest(manifest)
    except Exception as exc:  # the report is still written; the reason is shown
        sec["notes"].append(f"manifest not readable for overlays: {exc}")
        return sec
    sec["columns"] = list(m.columns)
    case_type = s.case_type or s.by
    if case_type and case_type not in m.columns:
        case_type = None
    cases = pick_cases(m, s.overlay_cases, case_type, s.show_case_ids)
    png, notes = overlay_figure(m, cases, out / "figures" / "overlays", out / "cohort")
    sec["notes"] += notes
    if png is not None:
        sec["overlay"] = _figure(png, "CT (window −160…240 HU) with PET SUV (hot), tumour outline (cyan) and "
                                      "BAT outline (green), the masks the features were computed from, on the slice "
                                      "with the largest tumour area and with the most BAT.")
    return sec


def _extraction(out: Path, s: ReportSettings, features: pd.DataFrame | None) -> dict[str, Any]:
    sec: dict[str, Any] = {"status": None, "sources": [], "seconds": None, "presets": {}}
    status = out / "status.csv"
    if status.is_file():
        st = pd.read_csv(status)
        table = (st.groupby(["roi", "modality", "status"]).size().unstack(fill_value=0)
                 .reindex(columns=["ok", "empty", "too_small", "failed"], fill_value=0).reset_index())
        sec["status"] = _table(table)
    if features is not None:
        sec["sources"] = sorted((name, len(cols)) for name, cols in sources(features.columns).items())
    for roi, ext in s.study.get("extraction", {}).get("extraction", {}).items():
        sec["presets"][roi] = {"image_types": list(ext.get("image_types", {})),
                               "families": list(ext.get("feature_classes", {}))}
    prov = _read_json(out / "cohort" / "provenance.json")
    if prov:
        sec["seconds"] = prov.get("seconds")
        sec["counts"] = prov.get("counts")
    return sec


def _stats(out: Path, s: ReportSettings) -> list[dict[str, Any]]:
    result = []
    for t in s.targets:
        folder = out / "stats" / t
        res_path = folder / "compare_groups.parquet"
        if not res_path.is_file():
            continue
        res = pd.read_parquet(res_path)
        summary = (res.groupby(["subset", "roi", "modality"], sort=False)
                   .agg(tested=("status", lambda x: int((x == "tested").sum())),
                        significant=("significant", "sum")).reset_index())
        top = res[(res["subset"] == "all") & (res["status"] == "tested")].sort_values("p").head(10)
        cols = [c for c in ("feature", "test", "log2fc", "effect", "p", "p_fdr") if c in top.columns]
        result.append({
            "target": t,
            "summary": _table(summary),
            "top": _table(top[cols]),
            "figures": [f for f in (
                _figure(folder / "figures" / "volcano_grid.png", f"Volcano grid of {t}: one panel per ROI × "
                        "modality × subset; red/blue = FDR < threshold and |log2FC| above threshold."),
                _figure(folder / "figures" / "volcano_all.png", f"All features, whole cohort ({t})."),
                _figure(folder / "figures" / "correlation_heatmap.png", "Spearman correlation of the most "
                        "significant features."),
            ) if f],
            "association": _table(pd.read_parquet(folder / "association.parquet"))
            if (folder / "association.parquet").is_file() else None,
            "warnings": _read_json(folder / "warnings.json") or [],
        })
    return result


def _ci_text(v: Any, lo: Any, hi: Any) -> str:
    """``value [low, high]``; interval limits clipped to [0, 1] (every metric here is a proportion)."""
    ok = lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi)
    return f"{_fmt(v)} [{_fmt(max(0.0, lo))}, {_fmt(min(1.0, hi))}]" if ok else _fmt(v)


def _models(root: Path, targets: tuple[str, ...]) -> list[dict[str, Any]]:
    """Metrics, DeLong tests and figures of the model runs in ``root/<target>/`` (``models`` or ``cnn`` stage).

    Every metric is shown with its ``n`` and positives; a result marked unreliable (too few cases of a class,
    constant predictions) says why, and no unreliable result is named best.
    """
    result = []
    for t in targets:
        folder = root / t
        records = _read_json(folder / "metrics.json")
        if not records:
            continue
        m = pd.DataFrame(records)
        if "n_pos" not in m:  # records of an older run
            m = m.assign(n_pos=None, reliable=True, reason="")
        rows, summary = [], []
        for (model, source), g in m.groupby(["model", "source"], sort=False):
            brief: dict[str, Any] = {"model": model, "source": source}
            for split, gs in g.groupby("split", sort=False):
                first = gs.iloc[0]
                row: dict[str, Any] = {"model": model, "source": source, "split": split, "n": int(first["n"]),
                                       "positives": _fmt(first["n_pos"])}
                for metric in _METRIC_ORDER:
                    r = gs[gs["metric"] == metric]
                    if not r.empty:
                        row[metric] = _ci_text(*(r.iloc[0][k] for k in ("value", "ci_low", "ci_high")))
                row["note"] = "" if bool(first["reliable"]) else f"unreliable: {first['reason']}"
                rows.append(row)
                brief[f"{split} ROC AUC [95% CI]"] = row.get("roc_auc", "–")
                brief[f"{split} n (positives)"] = f"{row['n']} ({row['positives']})"
                if split == "cv":
                    for metric in ("accuracy", "sensitivity", "specificity", "f1"):
                        r = gs[gs["metric"] == metric]
                        brief[f"cv {metric}"] = _fmt(r.iloc[0]["value"]) if not r.empty else "–"
                if not bool(first["reliable"]):
                    brief["note"] = f"{split} unreliable: {first['reason']}"
            summary.append(brief)
        auc = m[(m["metric"] == "roc_auc") & (m["split"] == "cv") & ~m["source"].astype(str).str.contains("@")]
        trusted = auc[auc["reliable"].astype(bool)].sort_values("value", ascending=False)
        best = trusted.iloc[0] if len(trusted) else None
        why_not = None
        if best is None and len(auc):
            why_not = "; ".join(sorted({str(r) for r in auc["reason"] if r}))
        best_dir = f"{best['model']}__{best['source']}" if best is not None else ""
        runs = []
        for d in sorted(p for p in folder.iterdir() if p.is_dir() and "__" in p.name):
            model, source = d.name.split("__", 1)
            figs = [f for f in (
                _figure(d / "roc.png", "ROC curves: CV folds (thin) and hold-out test (thick)."),
                _figure(d / "loss_curves.png", "Training and validation loss per epoch, per fold."),
                _figure(d / "confusion.png", "Confusion matrices per fold and on the test set."),
            ) if f]
            runs.append({"model": model, "source": source, "figures": figs, "open": d.name == best_dir})
        delong = _read_json(folder / "delong.json")
        added = _read_json(folder / "added_value.json") or []
        meta = _read_json(folder / "meta.json") or {}
        excluded = meta.get("excluded") or {}
        left_out = None
        if excluded.get("n"):
            reasons = "; ".join(f"{k} ({v})" for k, v in excluded.get("reasons", {}).items())
            left_out = (f"{excluded['n']} case(s) left out of the models: {reasons}; table rows "
                        f"{', '.join(str(r) for r in excluded.get('rows', []))}")
        result.append({
            "target": t, "summary": _table(pd.DataFrame(summary).fillna("")),
            "table": _table(pd.DataFrame(rows).fillna("–")),
            "best": None if best is None else {"model": best["model"], "source": best["source"],
                                               "text": _ci_text(best["value"], best["ci_low"], best["ci_high"]),
                                               "n": int(best["n"]), "n_pos": _fmt(best["n_pos"])},
            "no_best": why_not,
            "protocol": meta.get("protocol_reason", ""),
            "left_out": left_out,
            "runs": sorted(runs, key=lambda r: not r["open"]),
            "delong": _table(pd.DataFrame(delong)) if delong else None,
            "added": [_added_text(r) for r in added],
            "signature": _signature(folder, m),
            "masks": _mask_comparison(m),
        })
    return result


def _added_text(r: Mapping[str, Any]) -> dict[str, Any]:
    """One added-value record as a sentence: "imaging adds +0.04 [-0.02, 0.10]" with its reference and n."""
    lo, hi = r.get("ci_low"), r.get("ci_high")
    ci = f" [{lo:+.3f}, {hi:+.3f}]" if lo is not None and hi is not None else ""
    where = "CV folds" if r["split"] == "cv" else "hold-out"
    p = r.get("p")
    return {"text": f"{r['model']} / {r['source']}: imaging adds {r['difference']:+.3f}{ci} ROC AUC over "
                    f"{r['model']} / {r['reference']} ({r['auc']:.3f} vs {r['auc_reference']:.3f}; {where}, "
                    f"{r['method']}, p = {_fmt(p)}; n = {r['n']}, {r['n_pos']} positive)",
            "excludes_zero": lo is not None and hi is not None and (lo > 0 or hi < 0),
            "note": "" if r.get("reliable", True) else f"unreliable: {r.get('reason')}"}


def _signature(folder: Path, m: pd.DataFrame) -> dict[str, Any] | None:
    """The LASSO signature (or stacked model) with the best CV ROC AUC among the runs that wrote one."""
    auc = m[(m["metric"] == "roc_auc") & (m["split"] == "cv")].sort_values("value", ascending=False)
    for r in auc.itertuples(index=False):
        d = folder / f"{r.model}__{r.source}"
        if (d / "signature.csv").is_file():
            sig = pd.read_csv(d / "signature.csv")
            model_json = _read_json(d / "model" / "model.json") or {}
            shown = sig.reindex(sig["coefficient"].abs().sort_values(ascending=False).index).head(25)
            return {"model": r.model, "source": r.source, "n": len(sig) - sig["term"].eq("(intercept)").sum(),
                    "table": _table(shown), "formulas": list((model_json.get("signature") or {}).items()),
                    "imaging_weight": model_json.get("imaging_weight"), "final_fit": model_json.get("final_fit")}
    return None


def _mask_comparison(m: pd.DataFrame) -> Any:
    """ROC AUC of every model × source beside its evaluation on the alternate features (``<source>@<name>``, e.g.
    features from automatic masks), same models and the same test cases."""
    auc = m[m["metric"] == "roc_auc"]
    alt = auc[auc["source"].astype(str).str.contains("@")]
    if alt.empty:
        return None
    rows = []
    for r in alt.itertuples(index=False):
        base, name = str(r.source).split("@", 1)
        ref = auc[(auc["model"] == r.model) & (auc["source"] == base) & (auc["split"] == r.split)]
        if ref.empty:
            continue
        q = ref.iloc[0]
        rows.append({"model": r.model, "source": base, "split": r.split,
                     "reference masks ROC AUC": _ci_text(q["value"], q["ci_low"], q["ci_high"]),
                     f"{name} ROC AUC": _ci_text(r.value, r.ci_low, r.ci_high), "n": int(r.n)})
    return _table(pd.DataFrame(rows)) if rows else None


def _validation(out: Path, targets: tuple[str, ...]) -> list[dict[str, Any]]:
    """External validation results (``OUTDIR/validation/<target>/``)."""
    result = []
    for t in targets:
        folder = out / "validation" / t
        records = _read_json(folder / "metrics.json")
        if not records:
            continue
        m = pd.DataFrame(records)
        rows = [{"metric": r["metric"], "value [95% CI]": (_ci_text(r["value"], r["ci_low"], r["ci_high"])
                                                          if r["metric"] in _METRIC_ORDER else
                                                          f"{_fmt(r['value'])} [{_fmt(r['ci_low'])}, "
                                                          f"{_fmt(r['ci_high'])}]"),
                 "n": r["n"], "positives": r["n_pos"]} for r in records]
        prov = _read_json(folder / "provenance.json") or {}
        shift = pd.read_csv(folder / "shift.csv").head(10) if (folder / "shift.csv").is_file() else None
        result.append({
            "target": t, "model": f"{m['model'].iloc[0]} / {m['source'].iloc[0]}", "table": _table(pd.DataFrame(rows)),
            "note": "" if bool(m["reliable"].iloc[0]) else f"unreliable: {m['reason'].iloc[0]}",
            "median_abs_smd": prov.get("median_abs_smd"), "harmonised": prov.get("harmonised"),
            "shift": _table(shift) if shift is not None and len(shift) else None,
            "figures": [f for f in (
                _figure(folder / "roc.png", "ROC curve on the external cohort."),
                _figure(folder / "calibration.png", "Calibration on the external cohort: observed fraction against "
                        "the predicted probability (quantile bins, 95% Wilson intervals)."),
            ) if f],
        })
    return result


def _cluster(out: Path, targets: tuple[str, ...]) -> dict[str, Any] | None:
    folder = out / "cluster"
    info = _read_json(folder / "cluster.json")
    if info is None:
        return None
    sec: dict[str, Any] = {"k": info.get("k"), "embedding": info.get("embedding"), "figures": [],
                           "sizes": info.get("cluster_sizes"), "targets": [
                               {"name": a["variable"], "test": a.get("test"), "p": _fmt(a.get("p"))}
                               for a in info.get("association", []) if a.get("variable") in targets]}
    for name, caption in (("dbi", "Davies–Bouldin index (lower is better) and silhouette against k."),
                          ("tsne", "t-SNE map of the embeddings, coloured by cluster."),
                          ("heatmap", "Embeddings ordered by cluster, with annotation bars."),
                          ("volcano_deep", "Deep features: cluster vs rest."),
                          ("volcano_deep_target", "Deep features: target-positive vs target-negative."),
                          ("volcano_radiomic", "Radiomic features: cluster vs rest.")):
        f = _figure(folder / f"{name}.png", caption)
        if f:
            sec["figures"].append(f)
    if (folder / "scores.parquet").is_file():
        sec["scores"] = _table(pd.read_parquet(folder / "scores.parquet"))
    if (folder / "association.parquet").is_file():
        sec["association"] = _table(pd.read_parquet(folder / "association.parquet"))
    return sec


def _failures(out: Path, show_ids: bool, features: pd.DataFrame | None) -> dict[str, Any]:
    path = out / "failures.csv"
    if not path.is_file():
        return {"n": 0, "table": None}
    f = pd.read_csv(path, dtype={"case_id": str})
    if f.empty:
        return {"n": 0, "table": None}
    if not show_ids:
        order = {cid: i + 1 for i, cid in enumerate(features["case_id"].astype(str))} if features is not None else {}
        ids = f["case_id"].astype(str)
        if "message" in f:  # file paths and ids in messages identify patients as much as the id column
            f["message"] = [_redact(str(m), c) for m, c in zip(f["message"], ids, strict=True)]
        f["case_id"] = [f"case #{order.get(c, '?')}" for c in ids]
    return {"n": len(f), "table": _table(f)}


#: A file path in a message: an optional drive, then at least one folder separator.
_PATH = re.compile(r"(?:[A-Za-z]:)?[\\/]?(?:[^\s\\/:'\"]+[\\/])+[^\s\\/:'\",;)]*")


def _redact(message: str, case_id: str) -> str:
    """``message`` without file paths (``<file>``) and without the case id (``<case>``), for reports that hide ids."""
    message = _PATH.sub("<file>", message)
    return message.replace(case_id, "<case>") if case_id else message


def _provenance(out: Path, s: ReportSettings, stages: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    prov = _read_json(out / "cohort" / "provenance.json") or {}
    inputs = prov.get("inputs", {})
    n_files = sum(len(v) for v in inputs.values())
    rows = [{"stage": k, "status": v.get("status", ""), "seconds": v.get("seconds"),
             "key": str(v.get("key", ""))[:12]} for k, v in stages.items()]
    return {
        "version": __version__,
        "libraries": library_versions(),
        "settings_hash": sha256_json(s.study),
        "settings_yaml": yaml.safe_dump(s.study, sort_keys=False),
        "seed": s.seed,
        "manifest": prov.get("manifest"),
        "n_inputs": n_files,
        "inputs": [(case if s.show_case_ids else f"case #{i + 1}", col, sha)
                   for i, (case, cols) in enumerate(sorted(inputs.items())) for col, sha in sorted(cols.items())],
        "stages": _table(pd.DataFrame(rows)) if rows else None,
    }


def write_report(
    outdir: str | Path,
    settings: ReportSettings,
    *,
    manifest: str | Path | None = None,
    stages: Mapping[str, Mapping[str, Any]] | None = None,
    path: str | Path | None = None,
) -> Path:
    """Render ``OUTDIR/report.html`` from the artefacts of a study folder.

    Parameters
    ----------
    outdir : study output folder.
    settings : the report's settings (title, targets, sections, the study's settings as data).
    manifest : the cohort manifest (for the PET/CT overlays); ``None`` leaves them out.
    stages : per stage ``{"status", "seconds", "key"}`` of the run, shown under provenance.
    path : output file (default ``OUTDIR/report.html``).
    """
    out = Path(outdir)
    feat_path = out / "features.parquet"
    features = pd.read_parquet(feat_path) if feat_path.is_file() else None
    context = {
        "title": settings.title,
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "settings": settings,
        "cohort": _cohort(out, settings, features),
        "data": _data(out, settings, Path(manifest) if manifest is not None else None),
        "extraction": _extraction(out, settings, features),
        "stats": _stats(out, settings),
        "models": _models(out / "models", settings.targets),
        "cnn": _models(out / "cnn", settings.targets),
        "validation": _validation(out, settings.targets),
        "cluster": _cluster(out, settings.targets),
        "failures": _failures(out, settings.show_case_ids, features),
        "provenance": _provenance(out, settings, stages or {}),
        "enabled": {name: settings.sections.get(name, True) for name in ("stats", "models", "cnn", "cluster")},
    }
    env = Environment(loader=PackageLoader("radiogenomics.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    text = env.get_template("report.html.j2").render(**context)
    target = Path(path) if path is not None else out / "report.html"
    atomic_write(target, text.encode("utf-8"))
    logger.info("report written to %s (%.1f MB)", target, len(text) / 1e6)
    return target

