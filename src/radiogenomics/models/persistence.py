"""Saving and loading fitted models.

A model directory holds ``model.joblib`` (the fitted scikit-learn pipeline) and ``model.json``
(name, source, target, feature columns, package version). When the final estimator is a
:class:`~radiogenomics.models.transformer.FeatureTokenTransformer`, its torch weights are written to
``transformer.safetensors`` with the network configuration in ``transformer.json`` and are not
pickled. ``joblib`` files execute code when loaded: load only directories your own runs wrote.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.base import BaseEstimator

from radiogenomics import __version__
from radiogenomics.models.errors import ModelError
from radiogenomics.models.transformer import FeatureTokenTransformer, _network

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["load_model", "save_model"]


def _final(est: BaseEstimator) -> BaseEstimator:
    return est.steps[-1][1] if hasattr(est, "steps") else est


def save_model(est: BaseEstimator, directory: str | Path, meta: dict[str, Any] | None = None) -> Path:
    """Write ``est`` (fitted) and ``meta`` to ``directory``; returns the directory."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    final = _final(est)
    net = None
    if isinstance(final, FeatureTokenTransformer) and hasattr(final, "net_"):
        from safetensors.torch import save_file

        net = final.net_
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, d / "transformer.safetensors")
        cfg = {"params": final.get_params(), "n_num": int(net.weight.shape[0]),
               "categories": [c.tolist() for c in final.categories_], "classes": final.classes_.tolist()}
        (d / "transformer.json").write_text(json.dumps(cfg, indent=1, default=list) + "\n")
        del final.net_
    try:
        joblib.dump(est, d / "model.joblib")
    finally:
        if net is not None:
            final.net_ = net
    (d / "model.json").write_text(json.dumps({"version": __version__, **(meta or {})}, indent=1, default=str) + "\n")
    return d


def load_model(directory: str | Path) -> tuple[BaseEstimator, dict[str, Any]]:
    """Load ``(estimator, meta)`` written by :func:`save_model` (trusted directories only)."""
    d = Path(directory)
    if not (d / "model.joblib").exists():
        raise ModelError(f"no saved model in {d} (model.joblib missing)")
    est = joblib.load(d / "model.joblib")
    meta = json.loads((d / "model.json").read_text()) if (d / "model.json").exists() else {}
    if (d / "transformer.safetensors").exists():
        from safetensors.torch import load_file

        cfg = json.loads((d / "transformer.json").read_text())
        p = cfg["params"]
        final = _final(est)
        final.categories_ = [np.asarray(c, dtype=np.float64) for c in cfg["categories"]]
        net = _network(cfg["n_num"], [len(c) for c in cfg["categories"]], p["d_token"], p["n_layers"],
                       p["n_heads"], p["dropout"])
        net.load_state_dict(load_file(d / "transformer.safetensors"))
        net.eval()
        final.net_ = net
    return est, meta
