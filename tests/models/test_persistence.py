"""Saved models load without running code: skops files with checksums, only trusted types, pickle opt-in."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from radiogenomics.models import build_models, find_sources
from radiogenomics.models.errors import ModelError
from radiogenomics.models.persistence import load_model, save_model
from tests.models._synth import cohort


@pytest.fixture(scope="module")
def fitted():
    df = cohort(n=80, p_per_source=5, seed=1, clinical=True)
    x, y = df.drop(columns=["TP53"]), df["TP53"].to_numpy()
    models = build_models(find_sources(df, "TP53"), ["lasso", "rf", "hgb"], ["fused"], k=5, seed=0)
    return x, {name: model.fit(x, y) for (name, _), model in models.items()}


def test_a_saved_model_holds_no_pickle_and_predicts_the_same(fitted, tmp_path: Path) -> None:
    x, models = fitted
    for name, model in models.items():
        d = save_model(model, tmp_path / name, {"model": name})
        assert sorted(p.name for p in d.iterdir()) == ["model.json", "model.skops"]
        with zipfile.ZipFile(d / "model.skops") as z:  # skops: a zip of JSON schema and .npy arrays
            assert not [n for n in z.namelist() if n.endswith((".pkl", ".pickle", ".joblib"))]
        meta = json.loads((d / "model.json").read_text())
        assert meta["format"] == "skops" and set(meta["sha256"]) == {"model.skops"}
        loaded, meta2 = load_model(d)
        assert meta2["model"] == name
        np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_a_changed_file_is_refused(fitted, tmp_path: Path) -> None:
    _, models = fitted
    d = save_model(models["lasso"], tmp_path / "m")
    data = bytearray((d / "model.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (d / "model.skops").write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"does not match the SHA-256 recorded in model\.json"):
        load_model(d)


def test_untrusted_types_and_pickles_are_refused(fitted, tmp_path: Path) -> None:
    import skops.io as sio

    _, models = fitted
    d = tmp_path / "evil"
    d.mkdir()
    sio.dump({"model": models["lasso"], "payload": Path("/etc")}, d / "model.skops")  # a type we do not load
    digest = __import__("hashlib").sha256((d / "model.skops").read_bytes()).hexdigest()
    (d / "model.json").write_text(json.dumps({"format": "skops", "sha256": {"model.skops": digest}}))
    with pytest.raises(ModelError, match="holds type\\(s\\) this package does not load: pathlib"):
        load_model(d)
    p = save_model(models["rf"], tmp_path / "pickled", pickle=True)
    assert (p / "model.joblib").is_file() and not (p / "model.skops").exists()
    with pytest.raises(ModelError, match="is a pickle: loading it runs code"):
        load_model(p)
    loaded, _ = load_model(p, allow_pickle=True)
    assert loaded is not None
    with pytest.raises(ModelError, match="no saved model"):
        load_model(tmp_path / "nowhere")


def test_models_holding_several_transformers_round_trip(tmp_path: Path) -> None:
    """A stacked model's imaging Transformer and late-fusion Transformer members keep their weights (safetensors),
    one file each, and predict the same after loading."""
    df = cohort(n=80, p_per_source=4, seed=2, clinical=True)
    x, y = df.drop(columns=["TP53"]), df["TP53"].to_numpy()
    params = {"d_token": 8, "n_heads": 2, "n_layers": 1, "max_epochs": 3}
    models = build_models(find_sources(df, "TP53", ["LN", "grade"]), ["transformer"], ["stacked", "late"], k=4,
                          seed=0, transformer_params=params, categorical=["grade"], stack_folds=2)
    for (_, source), model in models.items():
        model.fit(x, y)
        d = save_model(model, tmp_path / source)
        names = sorted(p.name for p in d.iterdir())
        n_nets = 1 if source == "stacked" else 4  # late: one member per imaging source
        assert sum(n.endswith(".safetensors") for n in names) == n_nets, names
        loaded, _ = load_model(d)
        np.testing.assert_allclose(loaded.predict_proba(x), model.predict_proba(x), rtol=1e-6)
