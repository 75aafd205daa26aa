"""PET/CT + mask overlay slices of a few cases, for the report's data section.

For each chosen case the CT (window −160…240 HU), the PET (SUV, resampled onto the CT grid with linear
interpolation, shown in a hot colour map with opacity rising with SUV) and the outlines of the tumour
mask (cyan) and of the BAT mask (green) are drawn on the axial slice with the largest tumour area, and on
the axial slice with the most BAT. The masks are the ones the extraction computed the features from
(:func:`radiogenomics.layout.mask_path` in the cohort folder: ``tumour_ct`` and ``bat_ct``); without saved
masks the manifest's ``tumour_mask`` is drawn and no BAT. Images are read by the case's
:class:`~radiogenomics.preprocess.case.CaseLoader`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiogenomics.image import Image, Mask
from radiogenomics.io.manifest import Manifest
from radiogenomics.io.volume import read_mask
from radiogenomics.layout import mask_path
from radiogenomics.plotting import new_figure, save_figure
from radiogenomics.preprocess.case import CaseLoader, original_errors
from radiogenomics.preprocess.regrid import resample_to_reference

__all__ = ["OverlayCase", "overlay_figure", "pick_cases"]

logger = logging.getLogger(__name__)

CT_WINDOW = (-160.0, 240.0)


@dataclass(frozen=True)
class OverlayCase:
    """One case to draw: manifest row, its label in the report, and its case type."""

    row: int
    label: str
    case_type: str


def pick_cases(manifest: Manifest, per_type: int, case_type: str | None, show_ids: bool) -> list[OverlayCase]:
    """The first ``per_type`` cases (manifest order) of every level of ``case_type`` (or of the cohort)."""
    out: list[OverlayCase] = []
    seen: dict[str, int] = {}
    for row in range(len(manifest.table)):
        kind = manifest.cell(row, case_type) if case_type else "all"
        kind = kind or "unknown"
        if seen.get(kind, 0) >= per_type or not manifest.cell(row, "ct"):
            continue
        seen[kind] = seen.get(kind, 0) + 1
        label = manifest.cell(row, "case_id") if show_ids else f"manifest row {row + 1}"
        out.append(OverlayCase(row, label, kind))
    return out


def _load(manifest: Manifest, row: int, masks: Path | None) -> tuple[Image, Image | None, Mask | None, Mask | None]:
    """CT, PET (or ``None``), tumour and BAT masks (or ``None``) of a row, the masks on the CT grid."""
    loader = CaseLoader.from_manifest(manifest, row)
    case_id = manifest.cell(row, "case_id")
    with original_errors():
        ct = loader.native("ct")
        pet = loader.native("pet") if loader.has("pet") else None
        tumour = bat = None
        if masks is not None and mask_path(masks, case_id, "tumour", "ct").is_file():
            tumour = read_mask(mask_path(masks, case_id, "tumour", "ct"))
        elif "tumour_mask" in manifest.columns and loader.has("tumour_mask"):
            tumour = loader.native_mask("tumour_mask", "ct", check=False)
        if masks is not None and mask_path(masks, case_id, "bat", "ct").is_file():
            bat = read_mask(mask_path(masks, case_id, "bat", "ct"))
    on_ct = [None if m is None else resample_to_reference(m, ct) for m in (tumour, bat)]
    return ct, pet, on_ct[0], on_ct[1]


def _outline(ax, plane: np.ndarray, color: str) -> None:
    if plane.any():
        ax.contour(plane.astype(float), levels=[0.5], colors=[color], linewidths=0.9)


def overlay_figure(manifest: Manifest, cases: Sequence[OverlayCase], path: str | Path,
                   masks: str | Path | None = None) -> tuple[Path | None, list[str]]:
    """Draw the overlays of ``cases`` (rows) into ``path`` (PNG).

    ``masks`` is the cohort extraction folder holding the masks the features were computed from. Returns the
    PNG path (``None`` when no case could be drawn) and one note per case left out or drawn without a mask,
    with the reason (unreadable input, no tumour mask...).
    """
    notes: list[str] = []
    panels: list[tuple[OverlayCase, list[tuple[str, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]]]] = []
    for case in cases:
        try:
            ct, pet, mask, bat = _load(manifest, case.row, None if masks is None else Path(masks))
        except Exception as exc:  # a case that cannot be drawn is listed in the report, the others are drawn
            notes.append(f"{case.label}: not drawn ({type(exc).__name__}: {exc})")
            continue
        hu = np.asarray(ct.array, dtype=np.float64)
        suv = None if pet is None else resample_to_reference(pet, ct, "linear", 0.0).array
        tum = np.zeros(hu.shape, bool) if mask is None else np.asarray(mask.array) > 0
        bat_arr = np.zeros(hu.shape, bool) if bat is None else np.asarray(bat.array) > 0
        views = []
        z_t = int(np.argmax(tum.sum(axis=(1, 2)))) if tum.any() else hu.shape[0] // 2
        views.append(("tumour", hu[z_t], None if suv is None else suv[z_t], tum[z_t], bat_arr[z_t]))
        if bat_arr.any():
            z_b = int(np.argmax(bat_arr.sum(axis=(1, 2))))
            views.append(("BAT", hu[z_b], None if suv is None else suv[z_b], tum[z_b], bat_arr[z_b]))
        if mask is None:
            notes.append(f"{case.label}: no tumour mask in the manifest")
        panels.append((case, views))
    if not panels:
        return None, notes
    ncols = max(len(v) for _, v in panels)
    fig = new_figure((3.0 * ncols, 3.0 * len(panels)), dpi=90)
    axes = fig.subplots(len(panels), ncols, squeeze=False)
    for r, (case, views) in enumerate(panels):
        for c in range(ncols):
            ax = axes[r][c]
            ax.set_axis_off()
            if c >= len(views):
                continue
            what, hu2, suv2, tum2, bat2 = views[c]
            ax.imshow(np.clip(hu2, *CT_WINDOW), cmap="gray", vmin=CT_WINDOW[0], vmax=CT_WINDOW[1],
                      origin="upper", interpolation="nearest")
            if suv2 is not None and np.nanmax(suv2) > 0:
                top = float(np.nanpercentile(suv2, 99.9)) or 1.0
                alpha = np.clip(suv2 / top, 0, 1) * 0.7
                ax.imshow(suv2, cmap="hot", vmin=0, vmax=top, alpha=alpha, origin="upper", interpolation="bilinear")
            _outline(ax, tum2, "cyan")
            _outline(ax, bat2, "lime")
            ax.set_title(f"{case.case_type} · {case.label}\n{what} slice", fontsize=8)
    paths = save_figure(fig, path, formats=("png",))
    return paths[0], notes
