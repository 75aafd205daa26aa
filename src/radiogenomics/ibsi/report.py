"""The IBSI compliance report (``docs/ibsi.md``): tables built from :func:`~radiogenomics.ibsi.compute.ibsi_table`,
a comparison of the default (PyRadiomics) mode with the IBSI references, and the known differences.

:func:`compliance_summary` and :func:`default_mode_comparison` return tidy tables; :func:`render_markdown`
turns them into the document. ``scripts/make_ibsi_doc.py`` runs everything and writes the file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from radiogenomics.features.extractor import extract
from radiogenomics.ibsi.compute import ibsi_table
from radiogenomics.ibsi.reference import load_reference, matches
from radiogenomics.ibsi.settings import PRESETS
from radiogenomics.settings import ExtractionSettings

__all__ = [
    "CONFIGURATIONS",
    "DIFFERENCES",
    "SUMMARY_COLUMNS",
    "compliance_summary",
    "default_mode_comparison",
    "render_markdown",
    "run_all",
]

logger = logging.getLogger(__name__)

CONFIGURATIONS = (("digital", None), ("ct", "A"), ("ct", "B"), ("ct", "C"), ("ct", "D"), ("ct", "E"))
"""The IBSI-1 benchmark runs: the digital phantom and the five CT configurations."""

SUMMARY_COLUMNS = ["configuration", "computed", "referenced", "matched", "within_tolerance", "rate", "seconds"]


def _label(phantom: str, config: str | None) -> str:
    return "digital phantom" if phantom == "digital" else f"CT {config}"


def run_all(data_dir: str | Path) -> dict[str, tuple[pd.DataFrame, float]]:
    """``{label: (ibsi_table, seconds)}`` for every entry of :data:`CONFIGURATIONS`."""
    out = {}
    for phantom, config in CONFIGURATIONS:
        t0 = time.perf_counter()
        table = ibsi_table(phantom, config, data_dir)
        out[_label(phantom, config)] = (table, time.perf_counter() - t0)
    return out


def compliance_summary(results: Mapping[str, tuple[pd.DataFrame, float]]) -> pd.DataFrame:
    """One row per configuration: features ``computed``, ``referenced`` (IBSI gives a value), ``matched``
    (IBSI rule), ``within_tolerance`` (strictly :math:`|x - r| \\le t`, without the rounding rule), ``rate``
    (matched / referenced) and run ``seconds``."""
    rows = []
    for label, (table, seconds) in results.items():
        ref = table[table["reference"].notna()]
        strict = (ref["value"] - ref["reference"]).abs() <= ref["tolerance"]
        rows.append({"configuration": label, "computed": len(table), "referenced": len(ref),
                     "matched": int(ref["pass"].sum()), "within_tolerance": int(strict.sum()),
                     "rate": float(ref["pass"].mean()) if len(ref) else float("nan"), "seconds": seconds})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def default_mode_comparison(data_dir: str | Path) -> pd.DataFrame:
    """Default (PyRadiomics-exact) mode on the digital phantom against the IBSI references.

    The default mode runs with the PyRadiomics IBSI-benchmark settings (``binWidth`` 1, ``voxelArrayShift``
    0; ``force2D`` off/on, ``weightingNorm`` none/``no_weighting``), and its features are mapped to IBSI tags
    with ``reference/pyradiomics_ibsi_mapping.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature_tag``, ``pyradiomics_key``, ``reference``, ``tolerance``, ``default_value``,
        ``default_pass`` (IBSI matching rule), ``ibsi_value`` (IBSI mode), ``ibsi_pass``.
    """
    data_dir = Path(data_dir)
    folder = data_dir / "digital_phantom"
    runs = {}
    for prefix, force2d, weighting in (("3D_original_", False, None), ("3D_Combined_original_", False, "no_weighting"),
                                       ("2D_original_", True, None), ("2D_Combined_original_", True, "no_weighting")):
        params = {"binWidth": 1, "voxelArrayShift": 0, "force2D": force2d}
        if weighting:
            params["weightingNorm"] = weighting
        settings = ExtractionSettings.model_validate(params)
        runs[prefix] = extract(folder / "image.nii.gz", folder / "mask.nii.gz", settings=settings)
    mapping = pd.read_csv(data_dir / "reference" / "pyradiomics_ibsi_mapping.csv")
    mapping = mapping[(mapping["phantom"] == "digital") & mapping["vector_index"].isna()]
    mapping = mapping.drop_duplicates(["ibsi_feature_tag", "pyradiomics_output_key"])
    ref = load_reference(data_dir)
    ref = ref[(ref["phantom"] == "digital")].set_index("feature_tag")
    ibsi = ibsi_table("digital", None, data_dir).set_index("feature_tag")
    rows = []
    for tag, key in zip(mapping["ibsi_feature_tag"], mapping["pyradiomics_output_key"], strict=True):
        prefix = next(p for p in runs if key.startswith(p))
        name = "original_" + key[len(prefix):]
        if tag not in ref.index or name not in runs[prefix].index:
            continue
        value = float(runs[prefix][name])
        r = ref.loc[tag]
        rows.append({"feature_tag": tag, "pyradiomics_key": key, "reference": float(r["value"]),
                     "tolerance": float(r["tolerance"]), "default_value": value,
                     "default_pass": matches(value, r["value_text"], float(r["tolerance"])),
                     "ibsi_value": float(ibsi.loc[tag, "value"]), "ibsi_pass": bool(ibsi.loc[tag, "pass"])})
    return pd.DataFrame(rows)


DIFFERENCES = [
    ("Kurtosis", "`firstorder_Kurtosis` is the plain fourth standardised moment $\\mu_4/\\sigma^4$.",
     "`stat_kurt`, `ih_kurt` are *excess* kurtosis $\\mu_4/\\sigma^4 - 3$."),
    ("Fixed bin size edges", "`binWidth` $w$: first edge at $\\min X - (\\min X \\bmod w)$, i.e. on multiples of $w$.",
     "FBS: first edge at the lower bound of the re-segmentation range (else the ROI minimum): "
     "$\\lfloor (X - X_{lo})/w \\rfloor + 1$."),
    ("Absent grey levels", "Rows/columns of grey levels absent from the ROI are deleted from GLCM, GLRLM, GLSZM "
     "and NGTDM; $N_g$ in `Idn`, `Idmn` is the highest level present.",
     "Matrices keep all levels $1 \\dots N_g$ ($N_g$ = number of FBN bins, or highest FBS level)."),
    ("Texture aggregation", "Features per angle averaged over the 13 (3D) or 4 (`force2D`) angles, each angle "
     "matrix over the whole volume; `weightingNorm` merges the angles (weighted). No per-slice aggregation.",
     "Six GLCM/GLRLM aggregations (`_2D_avg`, `_2D_comb`, `_2_5D_avg`, `_2_5D_comb`, `_3D_avg`, `_3D_comb`) and "
     "three for GLSZM/GLDZM/NGTDM/NGLDM (`_2D`, `_2_5D`, `_3D`); PyRadiomics' output corresponds to `_3D_avg` / "
     "`_2_5D_avg` (and `_comb` with `weightingNorm: no_weighting`)."),
    ("Volume", "`MeshVolume` (marching cubes) and `VoxelVolume` are separate features.",
     "`morph_volume` is the mesh volume (same mesh), `morph_vol_approx` the voxel-counting volume."),
    ("PCA axes", "Covariance of voxel positions divided by $N$.",
     "Sample covariance (divided by $N-1$), as the IBSI reference implementations; axes $4\\sqrt{\\lambda}$."),
    ("Resampling grid", "PyRadiomics' grid: the new grid starts at the corner of the first voxel of the ROI "
     "bounding box (padded by `padDistance`), mask resampled nearest-neighbour.",
     "IBSI grid: $\\lceil n s / s' \\rceil$ voxels centred on the original grid; mask interpolated (linear) as a "
     "0/1 map and thresholded at 0.5; intensities rounded after interpolation (CT)."),
    ("Re-segmentation", "`resegmentRange` in absolute or sigma mode (one of them).",
     "Range and $\\mu \\pm 3\\sigma$ outlier filtering combined (intersection); $\\mu$, $\\sigma$ from the "
     "interpolated ROI; morphology uses the mask before re-segmentation."),
    ("Families only in IBSI mode", "—",
     "Local/global intensity peak, intensity-volume histogram, GLDZM, Moran's I, Geary's C, integrated intensity, "
     "centre-of-mass shift, AABB/AEE/convex-hull densities, histogram mode and gradients, 2D (per-slice) texture."),
]
"""Known differences ``(topic, default mode, IBSI mode)``."""


def _fmt(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.6g}"


def _settings_line(label: str) -> str:
    key = "digital" if label == "digital phantom" else label.split()[-1]
    items = PRESETS[key]
    parts = [f"`{k}={v}`" for k, v in items.items() if k not in ("glcm_distance", "ngldm_distance",
                                                                   "ngldm_coarseness")]
    return ", ".join(parts) if parts else "no processing"


def render_markdown(
    results: Mapping[str, tuple[pd.DataFrame, float]],
    comparison: pd.DataFrame | None = None,
    filters: pd.DataFrame | None = None,
    reasons: Mapping[str, str] | None = None,
) -> str:
    """The ``docs/ibsi.md`` text: summary table, every miss with its reason (``reasons``: feature tag ->
    explanation), the known differences, the default-mode comparison and (if given) the IBSI-2 phase-1
    filter summary."""
    reasons = dict(reasons or {})
    summary = compliance_summary(results)
    lines = [
        "# IBSI compliance",
        "",
        "Generated by `scripts/make_ibsi_doc.py` (do not edit by hand). The IBSI mode "
        "(`radiogenomics.ibsi`) is independent of the default, PyRadiomics-exact mode; it implements the IBSI-1 "
        "reference manual and is checked against the IBSI-1 reference values of the digital phantom and the "
        "lung-cancer CT phantom (configurations A–E).",
        "",
        "```bash",
        "radiogenomics ibsi --phantom digital --data ../shared/data/ibsi -o digital.csv",
        "radiogenomics ibsi --phantom ct --config C --data ../shared/data/ibsi -o ct_c.csv",
        "```",
        "",
        "```python",
        "from radiogenomics.ibsi import IbsiSettings, compute_ibsi, ibsi_preset, ibsi_table",
        "table = compute_ibsi(image, mask, ibsi_preset(\"C\"))  # feature_tag, feature_name, value",
        "```",
        "",
        "A value matches when $|x - r| \\le t$ or, since IBSI prints references to three significant digits, "
        "when $x$ rounded to the printed precision (at least 3 significant digits) is within $t$ of $r$. "
        "`within tolerance` counts the strict criterion alone (most digital-phantom tolerances are 0, so "
        "there the rounding rule decides).",
        "",
        "## IBSI-1 features: matched / referenced",
        "",
        "| configuration | settings | computed | referenced | matched | rate | within tolerance | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summary.itertuples(index=False):
        lines.append(f"| {row.configuration} | {_settings_line(row.configuration)} | {row.computed} | "
                     f"{row.referenced} | **{row.matched} / {row.referenced}** | {row.rate:.1%} | "
                     f"{row.within_tolerance} | {row.seconds:.1f} |")
    lines += ["", "Features computed without an IBSI reference value (e.g. `morph_comp_1` in configuration C, "
              "whose consensus value was withdrawn) are counted in `computed` only. The oriented minimum bounding "
              "box, minimum-volume enclosing ellipsoid and IVH area under the curve have no reference value and "
              "are not computed.", "", "## Misses", ""]
    any_miss = False
    for label, (table, _) in results.items():
        miss = table[table["reference"].notna() & ~table["pass"]]
        if miss.empty:
            continue
        any_miss = True
        lines += [f"### {label}", "", "| feature | measured | reference | tolerance | reason |",
                  "|---|---|---|---|---|"]
        for r in miss.itertuples(index=False):
            lines.append(f"| `{r.feature_tag}` | {_fmt(r.value)} | {_fmt(r.reference)} | {_fmt(r.tolerance)} | "
                         f"{reasons.get(r.feature_tag, 'not explained')} |")
        lines.append("")
    if not any_miss:
        lines += ["None: every feature with an IBSI reference value matches, in every configuration.", ""]
    lines += ["## Differences between the default (PyRadiomics) mode and IBSI mode", "",
              "| topic | default mode (PyRadiomics 3.0.1 semantics) | IBSI mode |", "|---|---|---|"]
    lines += [f"| {topic} | {default} | {ibsi} |" for topic, default, ibsi in DIFFERENCES]
    if comparison is not None and len(comparison):
        n, ok = len(comparison), int(comparison["default_pass"].sum())
        lines += ["", "### Measured: default mode on the digital phantom", "",
                  "The default mode with the PyRadiomics IBSI-benchmark settings (`binWidth: 1`, "
                  "`voxelArrayShift: 0`; `force2D` off and on; `weightingNorm` none and `no_weighting`), mapped to "
                  "IBSI tags with `reference/pyradiomics_ibsi_mapping.csv`: "
                  f"**{ok} / {n}** mapped features match the IBSI reference "
                  f"(IBSI mode: {int(comparison['ibsi_pass'].sum())} / {n}). The mismatches:", "",
                  "| IBSI tag | PyRadiomics output | reference | default mode | IBSI mode |", "|---|---|---|---|---|"]
        for r in comparison[~comparison["default_pass"]].itertuples(index=False):
            lines.append(f"| `{r.feature_tag}` | `{r.pyradiomics_key}` | {_fmt(r.reference)} | "
                         f"{_fmt(r.default_value)} | {_fmt(r.ibsi_value)} |")
    if filters is not None:
        passed = int(filters["pass"].sum())
        lines += ["", "## IBSI-2 filters", "",
                  f"IBSI-2 phase-1 response maps reproduced within tolerance (every voxel within 1 % of the "
                  f"consensus map's range): **{passed} / {len(filters)}** configurations. Details: "
                  "`docs/ibsi_filters.md`.", "",
                  "| configuration | filter | max abs. difference | tolerance | pass | note |",
                  "|---|---|---|---|---|---|"]
        for r in filters.to_dict("records"):
            note = str(r["note"]).replace("|", "/") if isinstance(r["note"], str) else ""
            lines.append(f"| {r['config_id']} | {r['filter']} | {_fmt(r['max_abs_diff'])} | {_fmt(r['tolerance'])} | "
                         f"{'yes' if r['pass'] else 'no'} | {note} |")
    return "\n".join(lines) + "\n"
