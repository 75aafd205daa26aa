"""Command-line interface: extract (JSON/CSV, params, presets), errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from radiogenomics import extract
from radiogenomics.cli import app
from radiogenomics.io import write_image, write_mask
from radiogenomics.synth import make_phantom

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cli")
    image, mask = make_phantom(size=(12, 32, 32), seed=2)
    return write_image(image, folder / "ct.nii.gz"), write_mask(mask, folder / "mask.nii.gz")


def test_extract_json_equals_api(files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "f.json"
    res = runner.invoke(app, ["extract", str(files[0]), str(files[1]), "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    api = extract(*files)
    assert list(data) == list(api.index) and len(data) == 107
    assert all(data[k] == float(v) for k, v in api.items())


def test_extract_csv_and_params(files: tuple[Path, Path], tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("featureClass:\n  firstorder:\nsetting:\n  binWidth: 10\n")
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["extract", str(files[0]), str(files[1]), "--params", str(params), "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["feature", "value"] and len(table) == 18


def test_extract_reports_errors_with_exit_code_2(files: tuple[Path, Path], tmp_path: Path) -> None:
    res = runner.invoke(app, ["extract", str(files[0]), str(files[1]), "--label", "7"])
    assert res.exit_code == 2
    assert "label 7" in res.output
    res = runner.invoke(app, ["extract", str(files[0]), str(files[1]), "--preset", "papr"])
    assert res.exit_code == 2 and "Did you mean 'paper'" in res.output


def test_presets_command() -> None:
    res = runner.invoke(app, ["presets"])
    assert res.exit_code == 0 and "default" in res.output and "paper" in res.output


def test_extract_in_ibsi_mode(files: tuple[Path, Path], tmp_path: Path) -> None:
    """``--mode ibsi --ibsi PRESET|FILE``: the IBSI engine's features by IBSI tag; clear errors otherwise."""
    from radiogenomics.ibsi import compute_ibsi, ibsi_preset
    from radiogenomics.io import read_image, read_mask

    out = tmp_path / "ibsi.json"
    res = runner.invoke(app, ["extract", str(files[0]), str(files[1]), "--mode", "ibsi", "--ibsi", "A", "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    want = compute_ibsi(read_image(files[0]), read_mask(files[1]), ibsi_preset("A"))
    assert list(data) == want["feature_tag"].tolist() and "loc_peak_loc" in data
    assert all(data[t] == v or (v != v and data[t] != data[t]) for t, v in zip(want.feature_tag, want.value,
                                                                              strict=True))
    config = tmp_path / "ibsi.yaml"
    config.write_text("discretisation: fbn\nbin_number: 16\ntexture_dimensions: [3D]\n")
    res = runner.invoke(app, ["extract", str(files[0]), str(files[1]), "--mode", "ibsi", "--ibsi", str(config),
                              "-o", str(tmp_path / "file.json")])
    assert res.exit_code == 0, res.output
    assert all(not k.endswith(("_2D", "_2D_avg", "_2.5D")) for k in json.loads((tmp_path / "file.json").read_text()))
    res = runner.invoke(app, ["extract", str(files[0]), str(files[1]), "--mode", "ibsi"])
    assert res.exit_code == 2 and "--ibsi" in res.output
    res = runner.invoke(app, ["extract", str(files[0]), str(files[1]), "--mode", "isbi"])
    assert res.exit_code == 2 and "ibsi" in res.output
    res = runner.invoke(app, ["extract", str(files[0]), str(files[1]), "--mode", "ibsi", "--ibsi", "F"])
    assert res.exit_code == 2 and "IBSI preset" in res.output
