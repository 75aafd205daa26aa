"""Saving and loading fitted models, in files that load without running code.

A model directory holds ``model.skops`` (the fitted scikit-learn pipeline in the skops format: parameters and
arrays, no pickle) and ``model.json`` (name, source, target, feature columns, package version, and the SHA-256 of
every model file). When the final estimator is a :class:`~radiogenomics.models.transformer.FeatureTokenTransformer`,
its torch weights are in ``transformer.safetensors`` with the network configuration in ``transformer.json`` (more
Transformers — a stacked model's imaging model, late-fusion members — in ``transformer_1.safetensors`` … ).

Loading checks every file against the checksums in ``model.json`` (a changed file is refused) and reconstructs only
the types of :data:`TRUSTED` (numpy, scikit-learn's, this package's models) — a model from another centre cannot
run code on this machine. Pickle (``model.joblib``, which executes code when loaded) is written only with
``pickle=True`` and read only with ``allow_pickle=True``, for directories you wrote yourself.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import skops.io as sio
from sklearn.base import BaseEstimator

from radiogenomics import __version__
from radiogenomics.models.errors import ModelError
from radiogenomics.models.fusion import LateFusion
from radiogenomics.models.stacked import StackedClinical
from radiogenomics.models.transformer import FeatureTokenTransformer, _network

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Types a saved model may hold beyond those skops trusts itself: exact names, or module prefixes ending in ".".
TRUSTED = (
    "numpy.dtype",
    "radiogenomics.models.",  # this package's estimators and pipeline steps
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
)

#: The model file of each format.
MODEL_FILE = {"skops": "model.skops", "pickle": "model.joblib"}

__all__ = ["load_model", "save_model"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _trusted(name: str) -> bool:
    return any(name == t or (t.endswith(".") and name.startswith(t)) for t in TRUSTED)


def _transformers(est: Any) -> list[FeatureTokenTransformer]:
    """Every :class:`FeatureTokenTransformer` inside ``est``, in a fixed order (saving and loading number their
    weight files by it): the final step of a pipeline, the refitted estimator of a grid search, the imaging model of
    a stacked model, the members of a late fusion."""
    if isinstance(est, FeatureTokenTransformer):
        return [est]
    if hasattr(est, "steps"):
        return _transformers(est.steps[-1][1])
    if hasattr(est, "best_estimator_"):
        return _transformers(est.best_estimator_)
    if isinstance(est, StackedClinical) and est.imaging_ is not None:
        return _transformers(est.imaging_)
    if isinstance(est, LateFusion):
        return [t for _, member in est.estimators_ for t in _transformers(member)]
    return []


def _weights_files(i: int) -> tuple[str, str]:
    return ("transformer.safetensors", "transformer.json") if i == 0 else \
        (f"transformer_{i}.safetensors", f"transformer_{i}.json")


def save_model(est: BaseEstimator, directory: str | Path, meta: dict[str, Any] | None = None, *,
               pickle: bool = False) -> Path:
    """Write ``est`` (fitted) and ``meta`` to ``directory`` (module docstring); returns the directory.

    Every Transformer inside ``est`` (a pipeline's final step, a stacked model's imaging model, late-fusion members)
    has its weights in ``transformer[_i].safetensors`` and its configuration in ``transformer[_i].json``.
    ``pickle=True`` writes ``model.joblib`` instead of ``model.skops`` (loading it runs code; opt-in only).
    """
    from safetensors.torch import save_file

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    nets = []
    for i, final in enumerate(_transformers(est)):
        net = final.net_
        weights, config = _weights_files(i)
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, d / weights)
        cfg = {"params": final.get_params(), "n_num": int(net.weight.shape[0]),
               "categories": [c.tolist() for c in final.categories_], "classes": final.classes_.tolist()}
        (d / config).write_text(json.dumps(cfg, indent=1, default=list) + "\n")
        files += [weights, config]
        nets.append((final, net))
        del final.net_
    fmt = "pickle" if pickle else "skops"
    for other in MODEL_FILE.values():
        (d / other).unlink(missing_ok=True)
    try:
        if pickle:
            joblib.dump(est, d / MODEL_FILE[fmt])
        else:
            sio.dump(est, d / MODEL_FILE[fmt])
    finally:
        for final, net in nets:
            final.net_ = net
    files.insert(0, MODEL_FILE[fmt])
    record = {"version": __version__, **(meta or {}), "format": fmt,
              "sha256": {name: _sha256(d / name) for name in files}}
    (d / "model.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    return d


def load_model(directory: str | Path, *, allow_pickle: bool = False) -> tuple[BaseEstimator, dict[str, Any]]:
    """Load ``(estimator, meta)`` written by :func:`save_model`.

    Raises
    ------
    ModelError
        No model in ``directory``; a file differs from the checksum recorded in ``model.json`` (changed after
        saving); the model holds a type outside :data:`TRUSTED`; or it is a pickle and ``allow_pickle`` is false.
    """
    d = Path(directory)
    meta = json.loads((d / "model.json").read_text()) if (d / "model.json").exists() else {}
    if (d / MODEL_FILE["skops"]).exists():
        fmt = "skops"
    elif (d / MODEL_FILE["pickle"]).exists():
        fmt = "pickle"
        if not allow_pickle:
            raise ModelError(f"{d / MODEL_FILE['pickle']} is a pickle: loading it runs code. Load it only if your own "
                             "run wrote it (allow_pickle=True, or --allow-pickle), or re-save the model")
    else:
        raise ModelError(f"no saved model in {d} ({MODEL_FILE['skops']} missing)")
    sums = meta.get("sha256")
    if not isinstance(sums, dict) or MODEL_FILE[fmt] not in sums:
        if fmt == "skops":
            raise ModelError(f"{d / 'model.json'} records no checksum of {MODEL_FILE[fmt]}: the directory was not "
                             "written by save_model, refusing to load it")
        sums = {}
    for name, want in sums.items():
        path = d / name
        if not path.is_file() or _sha256(path) != want:
            raise ModelError(f"{path} does not match the SHA-256 recorded in model.json when the model was saved: "
                             "it was changed or replaced; refusing to load it")
    if fmt == "skops":
        untrusted = sio.get_untrusted_types(file=d / MODEL_FILE[fmt])
        refused = [t for t in untrusted if not _trusted(t)]
        if refused:
            raise ModelError(f"{d / MODEL_FILE[fmt]} holds type(s) this package does not load: {', '.join(refused)}")
        est = sio.load(d / MODEL_FILE[fmt], trusted=untrusted)
    else:
        est = joblib.load(d / MODEL_FILE[fmt])
    _restore_transformers(est, d)
    return est, meta


def _restore_transformers(est: Any, d: Path) -> None:
    """Give every Transformer of ``est`` its network from ``transformer[_i].safetensors``."""
    from safetensors.torch import load_file

    finals = _transformers(est)
    for i, final in enumerate(finals):
        weights, config = _weights_files(i)
        if not (d / weights).exists():
            raise ModelError(f"{d} lacks {weights}: the model holds {len(finals)} Transformer(s)")
        cfg = json.loads((d / config).read_text())
        p = cfg["params"]
        final.categories_ = [np.asarray(c, dtype=np.float64) for c in cfg["categories"]]
        net = _network(cfg["n_num"], [len(c) for c in cfg["categories"]], p["d_token"], p["n_layers"],
                       p["n_heads"], p["dropout"])
        net.load_state_dict(load_file(d / weights))
        net.eval()
        final.net_ = net
