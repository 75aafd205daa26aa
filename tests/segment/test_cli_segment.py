"""``radiogenomics segment train|predict|evaluate`` through Typer's CliRunner."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from radiogenomics.cli import app
from radiogenomics.segment.metrics import CASE_COLUMNS, METHOD_COLUMNS, SIZE_COLUMNS

runner = CliRunner()


@pytest.mark.slow
def test_train_predict_evaluate(seg_cohort, tmp_path) -> None:
    config = tmp_path / "att.yaml"
    config.write_text("features: [4, 8]\nstrides: [2]\npatch_size: [32, 32, 12]\niterations_per_epoch: 2\n"
                      "batch_size: 2\n")
    model = tmp_path / "model"
    res = runner.invoke(app, ["segment", "train", str(seg_cohort.train), "--method", "attention_unet", "-o",
                              str(model), "--config", str(config), "--epochs", "1", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    meta = json.loads((model / "model.json").read_text())
    assert meta["method"] == "attention-unet" and meta["settings"]["epochs"] == 1
    assert meta["settings"]["features"] == [4, 8] and len(meta["history"]) == 1
    masks = tmp_path / "masks"
    res = runner.invoke(app, ["segment", "predict", str(model), str(seg_cohort.test), "-o", str(masks)])
    assert res.exit_code == 0, res.output
    status = pd.read_csv(masks / "status.csv")
    assert len(status) == seg_cohort.n_test and (status["status"] == "predicted").all()
    import torch

    if not torch.cuda.is_available():  # --device reaches the model that predicts (saved setting: cpu)
        res = runner.invoke(app, ["segment", "predict", str(model), str(seg_cohort.test), "-o", str(masks),
                                  "--device", "cuda", "--overwrite"])
        assert res.exit_code == 2 and "device 'cuda' was asked for" in res.output
    res = runner.invoke(app, ["segment", "evaluate", str(masks), str(seg_cohort.test), "-o", str(tmp_path / "ev"),
                              "--baseline", "suv2.5", "--baseline", "suvmax41"])
    assert res.exit_code == 0, res.output
    cases = pd.read_csv(tmp_path / "ev" / "cases.csv")
    assert tuple(cases.columns) == CASE_COLUMNS and len(cases) == seg_cohort.n_test
    assert tuple(pd.read_csv(tmp_path / "ev" / "by_size.csv").columns) == SIZE_COLUMNS
    assert "Dice mean" in res.output
    # the baselines beside the model's masks, scored on the same cases
    methods = pd.read_csv(tmp_path / "ev" / "methods.csv")
    assert tuple(methods.columns) == METHOD_COLUMNS
    assert methods["method"].tolist() == ["masks in masks", "SUV >= 2.5", "41% SUVmax"]
    assert (methods["n_cases"] == seg_cohort.n_test).all()
    assert methods["dice_mean"].iloc[0] == pytest.approx(cases["dice"].mean())
    assert len(list((tmp_path / "ev" / "baselines" / "suvmax41").glob("*.nii.gz"))) == seg_cohort.n_test
    # a misspelt baseline is named with the closest one
    res = runner.invoke(app, ["segment", "evaluate", str(masks), str(seg_cohort.test), "--baseline", "suvmax42"])
    assert res.exit_code == 2 and "suvmax41" in res.output


def test_clear_errors(seg_cohort, tmp_path) -> None:
    res = runner.invoke(app, ["segment", "train", str(seg_cohort.train), "--method", "nnunett", "-o",
                              str(tmp_path / "m")])
    assert res.exit_code == 2 and "Did you mean 'nnunet'" in res.output
    res = runner.invoke(app, ["segment", "train", str(seg_cohort.train), "--method", "attention-unet", "-o",
                              str(tmp_path / "m"), "--folds", "0,1"])
    assert res.exit_code == 2 and "--folds is for --method nnunet" in res.output
    res = runner.invoke(app, ["segment", "train", str(seg_cohort.train), "--method", "attention-unet", "-o",
                              str(tmp_path / "m"), "--resume"])
    assert res.exit_code == 2 and "--resume is for --method nnunet" in res.output
    # the settings file and the options are validated together: --folds fits n_splits of the file
    config = tmp_path / "nn.yaml"
    config.write_text("n_splits: 2\n")
    res = runner.invoke(app, ["segment", "train", str(seg_cohort.train), "--method", "nnunet", "-o",
                              str(tmp_path / "m"), "--config", str(config), "--folds", "0,2"])
    assert res.exit_code == 2 and "folds must be distinct values in 0..1, got (0, 2)" in res.output
    config.write_text("n_splits: 2\nepoch: 3\n")
    res = runner.invoke(app, ["segment", "train", str(seg_cohort.train), "--method", "nnunet", "-o",
                              str(tmp_path / "m"), "--config", str(config)])
    assert res.exit_code == 2 and "Did you mean 'epochs'" in res.output
    res = runner.invoke(app, ["segment", "predict", str(tmp_path), str(seg_cohort.test), "-o", str(tmp_path / "x")])
    assert res.exit_code == 2 and "no model.json" in res.output
    res = runner.invoke(app, ["segment", "evaluate", str(tmp_path / "none"), str(seg_cohort.test)])
    assert res.exit_code == 2 and "no predicted mask" in res.output
