"""Command ``ibsi``: IBSI-1 features of the IBSI phantoms with their reference values."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radiogenomics.cli import app, console, err_console, fail
from radiogenomics.errors import RadiogenomicsError


@app.command()
def ibsi(
    phantom: Annotated[str, typer.Option(help="IBSI-1 phantom: digital or ct.")] = "digital",
    config: Annotated[str | None, typer.Option(help="CT configuration A, B, C, D or E.")] = None,
    data: Annotated[
        Path, typer.Option(help="IBSI data folder (digital_phantom/, ct_phantom/, reference/).")
    ] = Path("../shared/data/ibsi"),
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the table as CSV.")] = None,
) -> None:
    """Compute every IBSI-1 feature of an IBSI phantom and compare it with the IBSI reference values."""
    from radiogenomics.ibsi.compute import ibsi_table

    if phantom == "ct" and config is None:
        raise typer.BadParameter("--config A|B|C|D|E is required for the CT phantom", param_hint="--config")
    try:
        table = ibsi_table(phantom, config if phantom == "ct" else None, data)
    except RadiogenomicsError as exc:
        raise fail(exc) from None
    referenced = table[table["reference"].notna()]
    label = "digital phantom" if phantom == "digital" else f"CT phantom, configuration {config.upper()}"
    console.print(f"{label}: {int(referenced['pass'].sum())}/{len(referenced)} referenced features matched "
                  f"({len(table)} computed)")
    misses = referenced[~referenced["pass"]]
    for row in misses.itertuples(index=False):
        err_console.print(f"  miss {row.feature_tag}: {row.value:.6g} vs {row.reference:g} ± {row.tolerance:g}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False)
        err_console.print(f"-> {out}")
