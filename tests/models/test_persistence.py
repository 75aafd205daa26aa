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
