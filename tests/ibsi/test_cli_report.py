"""The ``radiogenomics ibsi`` command and the compliance report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from radiogenomics.cli import app
from radiogenomics.ibsi.compute import TABLE_COLUMNS, ibsi_table
from radiogenomics.ibsi.report import compliance_summary, render_markdown

runner = CliRunner()


def test_cli_digital_phantom_writes_the_api_table(test_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "digital.csv"
    res = runner.invoke(app, ["ibsi", "--phantom", "digital", "--data", str(test_data / "ibsi"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    api = ibsi_table("digital", None, test_data / "ibsi")
    assert list(table.columns) == TABLE_COLUMNS
    assert table["feature_tag"].tolist() == api["feature_tag"].tolist()
    assert np.allclose(table["value"], api["value"], rtol=1e-12, atol=0)
    n_ref = int(api["reference"].notna().sum())
    assert f"{int(api['pass'].sum())}/{n_ref} referenced features matched" in res.output


def test_cli_errors(test_data: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["ibsi", "--phantom", "ct", "--data", str(test_data / "ibsi")])
    assert res.exit_code == 2 and "--config" in res.output
    res = runner.invoke(app, ["ibsi", "--phantom", "digital", "--data", str(tmp_path)])
    assert res.exit_code == 2 and "not found" in res.output


def _fake(values: list[float], refs: list[float], passed: list[bool]) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({"family": ["glcm"] * n, "feature_tag": [f"cm_x{i}_3D_avg" for i in range(n)],
                         "feature_name": ["x"] * n, "value": values, "reference": refs,
                         "tolerance": [0.0] * n, "pass": passed}, columns=TABLE_COLUMNS)


def test_report_counts_and_lists_every_miss() -> None:
    results = {"digital phantom": (_fake([1.0, 2.0, 3.0], [1.0, 2.5, np.nan], [True, False, False]), 0.1),
               "CT A": (_fake([1.0], [1.0], [True]), 0.2)}
    summary = compliance_summary(results)
    assert summary["referenced"].tolist() == [2, 1] and summary["matched"].tolist() == [1, 1]
    assert summary["computed"].tolist() == [3, 1]
    text = render_markdown(results)
    assert "**1 / 2**" in text and "**1 / 1**" in text
    assert "| `cm_x1_3D_avg` | 2 | 2.5 | 0 |" in text  # the miss with measured value, reference, tolerance
    assert "## Differences between the default (PyRadiomics) mode and IBSI mode" in text
    assert "## IBSI-2 filters" not in text


def test_report_gives_the_reason_of_a_miss() -> None:
    results = {"CT B": (_fake([2.0], [2.5], [False]), 0.1)}
    text = render_markdown(results, reasons={"cm_x0_3D_avg": "grid alignment"})
    assert "| `cm_x0_3D_avg` | 2 | 2.5 | 0 | grid alignment |" in text


def test_default_mode_differences_on_the_digital_phantom(test_data: Path) -> None:
    from radiogenomics.ibsi.report import default_mode_comparison

    cmp = default_mode_comparison(test_data / "ibsi").set_index("feature_tag")
    kurt = cmp.loc["stat_kurt"]
    assert np.isclose(kurt["default_value"] - 3.0, kurt["ibsi_value"], rtol=0, atol=1e-12)  # excess kurtosis
    n = 74  # ROI voxels of the digital phantom: PCA with N (default) versus N - 1 (IBSI)
    for tag in ("morph_pca_maj_axis", "morph_pca_min_axis", "morph_pca_least_axis"):
        row = cmp.loc[tag]
        assert np.isclose(row["default_value"] * np.sqrt(n / (n - 1)), row["ibsi_value"], rtol=1e-10)
    assert cmp["ibsi_pass"].all()
    assert not cmp.loc["stat_kurt", "default_pass"]
