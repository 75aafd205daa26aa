"""``radiogenomics stats``: tables (Parquet + CSV), figures, Table 1, provenance, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from typer.testing import CliRunner

from radiogenomics.cli import app
from radiogenomics.stats import compare_groups_by
from tests.stats.cohorts import make_planted_cohort

runner = CliRunner()


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, tuple[str, ...]]:
    cohort = make_planted_cohort(1.5, seed=9, n_cases=150, n_per_source=40)
    df = cohort.df.copy()
    rng = np.random.default_rng(1)
    df["TP53"] = np.where(df["TP53"] == 1, "mut", "wt")
    df["age"] = rng.normal(55, 8, len(df)).round()
    df["grade"] = rng.choice(["G1", "G2", "G3"], len(df))
    path = tmp_path_factory.mktemp("stats") / "features.parquet"
    df.to_parquet(path)
    return path, df, cohort.planted


def test_stats_command_writes_everything(table: tuple[Path, pd.DataFrame, tuple[str, ...]], tmp_path: Path) -> None:
    path, df, planted = table
    out = tmp_path / "out"
    res = runner.invoke(app, ["stats", str(path), "--group", "TP53", "--by", "cancer_type", "--reference", "wt",
                              "-o", str(out), "--heatmap-top", "20"])
    assert res.exit_code == 0, res.output
    for name in ("compare_groups", "table1", "association"):
        assert (out / f"{name}.parquet").exists() and (out / f"{name}.csv").exists()
    assert (out / "table1.html").exists() and (out / "table1.md").exists()
    for fig in ("volcano_grid", "volcano_all", "correlation_heatmap"):
        assert (out / "figures" / f"{fig}.png").exists() and (out / "figures" / f"{fig}.svg").exists()
    grid = imread(out / "figures" / "volcano_grid.png")
    assert grid.shape[0] > 1000 and grid.shape[1] > 1000

    cmp = pd.read_parquet(out / "compare_groups.parquet")
    api = compare_groups_by(df, list(df.columns[df.columns.str.contains("__")]), "TP53", "cancer_type",
                            levels=["wt", "mut"])
    assert np.allclose(cmp["p"].to_numpy(), api["p"].to_numpy(), equal_nan=True)
    assert "n_wt" in cmp.columns and "n_mut" in cmp.columns
    whole = cmp[cmp["subset"] == "all"].sort_values("p")
    assert set(whole.head(len(planted))["feature"]) == set(planted)
    assert (whole.set_index("feature").loc[list(planted), "log2fc"] > 0).all()  # mut over wt

    t1 = pd.read_csv(out / "table1.csv", keep_default_na=False)
    assert {"cervical", "endometrial", "ovarian", "overall"} <= set(t1.columns)
    assert {"TP53", "age", "grade"} <= set(t1["variable"])
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["n_features"] == 160 and prov["settings"]["group"] == "TP53" and len(prov["inputs"]["sha256"]) == 64
    assert prov["stage"] == "stats" and prov["inputs"]["rows"] == len(df)


def test_stats_command_csv_without_by(table: tuple[Path, pd.DataFrame, tuple[str, ...]], tmp_path: Path) -> None:
    _, df, _ = table
    csv = tmp_path / "f.csv"
    df.drop(columns=["cancer_type"]).to_csv(csv, index=False)
    res = runner.invoke(app, ["stats", str(csv), "-g", "TP53", "-o", str(tmp_path / "o"), "--test", "welch",
                              "--heatmap-top", "0"])
    assert res.exit_code == 0, res.output
    cmp = pd.read_csv(tmp_path / "o" / "compare_groups.csv")
    assert set(cmp["test"]) == {"welch"} and set(cmp["subset"]) == {"all"}
    assert not (tmp_path / "o" / "figures" / "correlation_heatmap.png").exists()


def test_stats_command_errors(table: tuple[Path, pd.DataFrame, tuple[str, ...]], tmp_path: Path) -> None:
    path, _, _ = table
    res = runner.invoke(app, ["stats", str(path), "-g", "TP35", "-o", str(tmp_path)])
    assert res.exit_code == 2 and "TP53" in res.output
    res = runner.invoke(app, ["stats", str(path), "-g", "TP53", "-o", str(tmp_path), "--test", "ttset"])
    assert res.exit_code == 2 and "Did you mean" in res.output
    res = runner.invoke(app, ["stats", str(path), "-g", "TP53", "-o", str(tmp_path), "--reference", "x"])
    assert res.exit_code == 2 and "not a level" in res.output
