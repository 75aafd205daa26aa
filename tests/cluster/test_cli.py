"""``radiogenomics cluster`` end to end on a CSV cohort table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from radiogenomics.cli import app

from ._synth import spec_table

runner = CliRunner()


def test_cluster_command(tmp_path: Path) -> None:
    path = tmp_path / "cohort.csv"
    spec_table(60, 1.0, 5).to_csv(path, index=False)
    out = tmp_path / "out"
    res = runner.invoke(app, ["cluster", str(path), "-o", str(out), "--target", "TP53,MMR", "--clinical", "age",
                              "--clinical", "grade", "--k", "2-5", "--n-boot", "3", "--d-token", "8",
                              "--max-epochs", "5", "--seed", "4"])
    assert res.exit_code == 0, res.output
    assert "chosen k =" in res.output and "TP53" in res.output
    info = json.loads((out / "cluster.json").read_text())
    assert info["k_range"] == [2, 3, 4, 5] and info["seed"] == 4
    assert info["settings"]["annotate"] == ["cancer_type"]  # the default annotation when present
    assert info["settings"]["transformer_params"] == {"d_token": 8, "max_epochs": 5}
    assert [r["variable"] for r in info["association"]] == ["TP53", "MMR", "age", "grade", "cancer_type"]
    assert len(pd.read_parquet(out / "clusters.parquet")) == 60
    assert f"chosen k = {info['k']}" in res.output


def test_cluster_command_features_embedding_and_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "cohort.parquet"
    spec_table(40, 1.0, 6).to_parquet(path)
    res = runner.invoke(app, ["cluster", str(path), "-o", str(tmp_path / "o"), "--embedding", "features",
                              "--k", "2-4", "--n-boot", "0"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "o" / "cluster.json").read_text())["embedding"] == "features"
    bad = runner.invoke(app, ["cluster", str(path), "-o", str(tmp_path / "b"), "--k", "9-2"])
    assert bad.exit_code != 0 and "--k" in bad.output
    typo = runner.invoke(app, ["cluster", str(path), "-o", str(tmp_path / "c"), "--target", "TP35"])
    assert typo.exit_code == 2 and "TP53" in typo.output
    folder = runner.invoke(app, ["cluster", str(tmp_path), "-o", str(tmp_path / "d")])
    assert folder.exit_code != 0 and "folder" in folder.output
