"""``radiogenomics cnn train`` / ``cnn predict`` on the 56-case synthetic cohort at smoke size (resnet10 at width 0.25,
16³ inputs, 1 epoch, 2 folds, 50 bootstrap resamples)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from radiogenomics.cli import app
from radiogenomics.cnn import load_cnn, prepare_volumes

pytestmark = pytest.mark.slow

runner = CliRunner()
SOURCE = "resnet10__tumour_pet+ct"
TINY = ["--arch", "resnet10", "--width", "0.25", "--epochs", "1", "--size", "16,16,16", "--device", "cpu",
        "--n-boot", "50", "--folds", "2"]


def _text(output: str) -> str:
    """The output with Rich's panel borders removed and white space collapsed (messages wrap inside panels)."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


@pytest.fixture(scope="module")
def trained(effect_cohort, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("cnn_cli") / "model"
    feats = out.parent / "features.csv"
    effect_cohort.table.to_csv(feats, index=False)
    res = runner.invoke(app, ["cnn", "train", str(effect_cohort.manifest), "--target", "TP53", "--channels",
                              "pet,ct", *TINY, "--features", str(feats), "--models", "logistic", "--drop", "MMR",
                              "--protocol", "holdout_cv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out, res


def test_train_writes_the_models_outputs(trained) -> None:
    out, res = trained
    for name in ("metrics.json", "folds.parquet", "delong.json", "meta.json"):
        assert (out / name).is_file(), name
    assert sorted(p.name for p in (out / SOURCE / "model").iterdir()) == ["config.json", "weights.safetensors"]
    assert (out / SOURCE / "predictions.parquet").is_file() and (out / SOURCE / "loss_curves.json").is_file()
    metrics = pd.DataFrame(json.loads((out / "metrics.json").read_text()))
    auc = metrics[metrics.metric == "roc_auc"]
    # the CNN and the radiomics model are rows of the same table, on the same cases
    assert set(zip(auc.model, auc.source, auc.split, strict=True)) == {
        (m, s, split) for m, s in (("resnet10", "tumour_pet+ct"), ("logistic", "tumour_pet"))
        for split in ("cv", "test", "apparent")}
    assert set(auc[auc.split == "test"]["n"]) == {12}  # 20 % of 56, rounded up by scikit-learn
    delong = json.loads((out / "delong.json").read_text())
    assert len(delong) == 1 and 0 <= delong[0]["p"] <= 1
    meta = json.loads((out / "meta.json").read_text())
    assert meta["kind"] == "cnn" and meta["n_cases"] == 56 and meta["settings"]["preprocess"]["size"] == [16, 16, 16]
    cfg = json.loads((out / SOURCE / "model" / "config.json").read_text())
    assert cfg["train"]["arch"] == "resnet10" and cfg["train"]["width"] == 0.25 and cfg["train"]["max_epochs"] == 1
    assert cfg["input_shape"] == [2, 16, 16, 16]
    assert "ROC AUC" in res.output and "positives" in res.output and "DeLong" in res.output


def test_predict_equals_the_model_loaded_in_python(trained, effect_cohort, tmp_path) -> None:
    out, _ = trained
    csv = tmp_path / "pred.csv"
    res = runner.invoke(app, ["cnn", "predict", str(out), str(effect_cohort.manifest), "-o", str(csv)])
    assert res.exit_code == 0, res.output
    pred = pd.read_csv(csv, dtype={"case_id": str})
    assert list(pred.columns) == ["case_id", "prob"] and len(pred) == 56
    assert pred.case_id.tolist() == effect_cohort.table.case_id.tolist()
    est, pre, _ = load_cnn(out / SOURCE / "model")
    cache, failures = prepare_volumes(effect_cohort.manifest, pre, tmp_path / "python_cache")
    assert failures.empty
    est.set_params(volumes=str(cache.directory))
    np.testing.assert_allclose(pred.prob.to_numpy(), est.predict_proba(pred.case_id.tolist())[:, 1], rtol=1e-12)
    # the saved model is the final one, fitted on every case: the one behind the `apparent` predictions
    held = pd.read_parquet(out / SOURCE / "predictions.parquet")
    held = held[held.split == "apparent"].set_index("case_id")
    np.testing.assert_allclose(pred.set_index("case_id").loc[held.index, "prob"], held.prob, rtol=1e-12)
    # the model folder itself is accepted too
    csv2 = tmp_path / "pred2.csv"
    res = runner.invoke(app, ["cnn", "predict", str(out / SOURCE / "model"), str(effect_cohort.manifest), "-o",
                              str(csv2), "--cache", str(tmp_path / "python_cache")])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_csv(csv2, dtype={"case_id": str}), pred)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--size", "16,16"], "size needs 3 values (x, y, z), got 2"),
        (["--size", "a,b,c"], "comma-separated integers"),
        (["--arch", "resnet43"], "Did you mean 'resnet34'"),
        (["--arch", "seresnet50", "--width", "0.5"], "width 0.5 is invalid for seresnet50"),
        (["--arch", "densenet121", "--size", "16,16,16"], "at least 29 voxels"),
        (["--channels", "pet,mri"], "channels ['mri'] are not columns"),
        (["--protocol", "holdout"], "Did you mean 'holdout_cv'"),
        (["--folds", "1"], "greater than or equal to 2"),
        (["--n-boot", "5"], "must be >= 10"),
        (["--device", "gpu"], "device"),
        (["--features", "nowhere.csv"], "file not found"),
        (["--config", "nowhere.yaml"], "CNN settings file not found"),
    ],
)
def test_bad_flags_fail_with_a_message(flags: list[str], message: str, effect_cohort, tmp_path) -> None:
    args = ["cnn", "train", str(effect_cohort.manifest), "--target", "TP53", "--channels", "pet,ct", "--size",
            "16,16,16", "-o", str(tmp_path / "out")]
    res = runner.invoke(app, args + flags)
    assert res.exit_code != 0
    assert message in _text(res.output), res.output
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_bad_target_and_model_folder(effect_cohort, tmp_path) -> None:
    res = runner.invoke(app, ["cnn", "train", str(effect_cohort.manifest), "--target", "KRAS", *TINY, "-o",
                              str(tmp_path / "out")])
    assert res.exit_code == 2 and "target column 'KRAS' not in the manifest" in res.output
    res = runner.invoke(app, ["cnn", "predict", str(tmp_path), str(effect_cohort.manifest), "-o",
                              str(tmp_path / "p.csv")])
    assert res.exit_code != 0 and "holds 0 saved CNNs" in _text(res.output)
