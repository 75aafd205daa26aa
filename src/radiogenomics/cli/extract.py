"""Commands ``extract``, ``presets`` and ``demo``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from radiogenomics.cli import app, console, err_console, fail
from radiogenomics.errors import RadiogenomicsError

if TYPE_CHECKING:
    import pandas as pd


def _write_features(series: pd.Series, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps({k: float(v) for k, v in series.items()}, indent=1) + "\n")
    elif out.suffix.lower() == ".csv":
        series.rename_axis("feature").to_frame("value").to_csv(out)
    else:
        raise typer.BadParameter(f"output must end in .json or .csv, got {out.name}", param_hint="-o")


@app.command()
def extract(
    image: Annotated[Path, typer.Argument(help="Image file (NIfTI, NRRD, MetaImage).")],
    mask: Annotated[Path, typer.Argument(help="Label map on the image grid.")],
    preset: Annotated[str, typer.Option(help="Built-in preset: default, paper, bat.")] = "default",
    params: Annotated[
        Path | None, typer.Option(help="PyRadiomics params file (YAML/JSON); overrides --preset.")
    ] = None,
    label: Annotated[int | None, typer.Option(help="ROI label value (overrides the settings).")] = None,
    mode: Annotated[str, typer.Option(help="pyradiomics (PyRadiomics names and definitions) or ibsi (IBSI-1 "
                                           "features by IBSI tag, with --ibsi).")] = "pyradiomics",
    ibsi: Annotated[str | None, typer.Option(help="IBSI settings for --mode ibsi: a preset (digital, CT "
                                                  "configurations A ... E) or a YAML/JSON settings file.")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write OUT.json or OUT.csv.")] = None,
) -> None:
    """Extract radiomic features of one ROI (PyRadiomics names and values, or IBSI-1 features by tag)."""
    from radiogenomics.errors import UnknownNameError

    if mode not in ("pyradiomics", "ibsi"):
        raise fail(UnknownNameError("extraction mode", mode, ("pyradiomics", "ibsi")))
    if mode == "ibsi" and ibsi is None:
        raise typer.BadParameter("--mode ibsi needs --ibsi: a preset (digital, A ... E) or an IBSI settings file",
                                 param_hint="--ibsi")
    if mode == "pyradiomics" and ibsi is not None:
        raise typer.BadParameter("--ibsi applies to --mode ibsi", param_hint="--ibsi")
    try:
        t0 = time.perf_counter()
        if mode == "ibsi":
            series = _ibsi(image, mask, ibsi, label)
        else:
            from radiogenomics.features.extractor import extract as run
            from radiogenomics.settings import ExtractionSettings

            settings = ExtractionSettings.from_params(params) if params else None
            series = run(image, mask, settings=settings, preset=preset, label=label)
        seconds = time.perf_counter() - t0
    except RadiogenomicsError as exc:
        raise fail(exc) from None
    if out is None:
        console.print_json(json.dumps({k: float(v) for k, v in series.items()}))
    else:
        _write_features(series, out)
        err_console.print(f"{len(series)} features in {seconds:.2f} s -> {out}")


def _ibsi(image: Path, mask: Path, config: str, label: int | None) -> pd.Series:
    """IBSI-1 features of the ROI (``label``, or every non-zero voxel) as a Series indexed by IBSI tag."""
    import numpy as np

    from radiogenomics.ibsi.compute import ibsi_series
    from radiogenomics.ibsi.settings import resolve_ibsi
    from radiogenomics.io import read_image, read_mask

    roi = read_mask(mask)
    if label is not None:
        roi = roi.with_array((np.asarray(roi.array) == label).astype(np.uint8))
    return ibsi_series(read_image(image), roi, resolve_ibsi(config))


@app.command()
def presets() -> None:
    """List the built-in extraction presets."""
    from radiogenomics.presets import PRESETS, load_preset

    table = Table("preset", "image types", "feature classes", "description")
    for name, text in PRESETS.items():
        s = load_preset(name)
        table.add_row(name, ", ".join(s.image_types), ", ".join(s.feature_classes), text)
    console.print(table)
