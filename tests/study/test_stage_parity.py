"""One stage interface: the same settings through the command line and through a study write the same tables.

The tiny study's ``stats`` and ``models`` stages ran through :func:`radiogenomics.stats.run` and
:func:`radiogenomics.models.run`; the commands ``radiogenomics stats`` and ``radiogenomics model``, given the
same settings as options, must write byte-identical tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radiogenomics.cli import app

pytestmark = pytest.mark.slow  # a whole study

runner = CliRunner()


def _same_files(a: Path, b: Path, names: list[str]) -> None:
    assert names
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_stats_command_writes_the_study_stage_tables(tiny_study, tmp_path: Path) -> None:
    settings, out, _ = tiny_study
    s = settings.stats_settings("TP53")
    args = ["stats", str(out / "features.parquet"), "--group", "TP53", "-o", str(tmp_path / "stats"),
            "--test", s.test, "--fdr", str(s.fdr), "--fc-threshold", str(s.fc_threshold), "--labels", str(s.labels),
            "--heatmap-top", str(s.heatmap_top)]
    for option, value in (("--by", s.by), ("--table1-by", s.table1_by)):
        if value is not None:
            args += [option, value]
    if s.table1_vars:
        args += ["--table1-vars", ",".join(s.table1_vars)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    study = out / "stats" / "TP53"
    tables = sorted(p.name for p in study.iterdir() if p.suffix in (".parquet", ".csv", ".md", ".html"))
    assert {"compare_groups.parquet", "compare_groups.csv", "table1.parquet", "association.parquet"} <= set(tables)
    _same_files(study, tmp_path / "stats", tables)
    # the provenance records the same settings (their hash), whoever ran the stage
    a, b = (json.loads((d / "provenance.json").read_text()) for d in (study, tmp_path / "stats"))
    assert a["settings_hash"] == b["settings_hash"] and a["inputs"]["sha256"] == b["inputs"]["sha256"]


def test_model_command_writes_the_study_stage_tables(tiny_study, tmp_path: Path) -> None:
    settings, out, _ = tiny_study
    s = settings.model_settings("TP53")
    args = ["model", str(out / "features.parquet"), "--target", "TP53", "-o", str(tmp_path / "models"),
            "--models", ",".join(s.models), "--clinical", ",".join(s.clinical), "--protocol", s.protocol,
            "--folds", str(s.folds), "--repeats", str(s.repeats), "--test-size", str(s.test_size),
            "--selector", s.selector, "--k", str(s.k), "--n-boot", str(s.n_boot), "--seed", str(s.seed)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    study, cli = out / "models" / "TP53", tmp_path / "models"
    names = ["metrics.json", "added_value.json", "folds.parquet", "delong.json", "meta.json"]
    for d in sorted(p for p in study.iterdir() if p.is_dir()):
        names += [f"{d.name}/{f}" for f in ("metrics.parquet", "predictions.parquet", "confusion.csv")]
    _same_files(study, cli, names)
    a, b = (json.loads((d / "provenance.json").read_text()) for d in (study, cli))
    assert a["settings_hash"] == b["settings_hash"]
