"""Saving and loading a fitted :class:`~radiogenomics.cnn.classifier.CNNClassifier` without pickling.

A model folder holds ``weights.safetensors`` (the network's state dict) and ``config.json``: package
version, training and preprocessing settings, classes, input shape, the fitted per-channel statistics, the
training history and any caller metadata (``meta``). Loading rebuilds the network from the registry and
the settings, so no code is executed from the folder.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from radiogenomics import __version__
from radiogenomics.cnn.classifier import CNNClassifier
from radiogenomics.cnn.errors import SavedModelError
from radiogenomics.cnn.networks import build_network
from radiogenomics.cnn.preprocess import ChannelStats
from radiogenomics.cnn.settings import PreprocessSettings, TrainSettings

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["load_cnn", "save_cnn"]

WEIGHTS = "weights.safetensors"
CONFIG = "config.json"


def save_cnn(est: CNNClassifier, directory: str | Path, preprocess: PreprocessSettings | None = None,
             meta: dict[str, Any] | None = None) -> Path:
    """Write the fitted ``est`` to ``directory`` (created); returns the folder.

    ``preprocess`` defaults to the settings of the estimator's volume cache (needed by ``cnn predict`` to
    preprocess new cases identically).
    """
    from safetensors.torch import save_file

    if not hasattr(est, "net_"):
        raise SavedModelError("the CNNClassifier is not fitted; nothing to save")
    if preprocess is None:
        preprocess = est._cache().settings
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in est.net_.state_dict().items()}, d / WEIGHTS)
    stats = est.channel_stats_
    cfg = {
        "version": __version__,
        "train": est._settings().model_dump(mode="json"),
        "preprocess": preprocess.model_dump(mode="json"),
        "classes": est.classes_.tolist(),
        "in_channels": est.in_channels_,
        "input_shape": list(est.input_shape_),
        "channel_stats": None if stats is None else {"mean": list(stats.mean), "sd": list(stats.sd)},
        "best_epoch": int(est.best_epoch_),
        "history": est.history_,
        "meta": meta or {},
    }
    (d / CONFIG).write_text(json.dumps(cfg, indent=1, default=str) + "\n")
    return d


def load_cnn(directory: str | Path, volumes: str | Path = "") -> tuple[CNNClassifier, PreprocessSettings, dict]:
    """Load ``(estimator, preprocessing settings, config)`` written by :func:`save_cnn`.

    ``volumes`` is the cache folder the estimator will read cases from (set it later with
    ``est.set_params(volumes=...)``).
    """
    from safetensors.torch import load_file

    d = Path(directory)
    if not (d / WEIGHTS).is_file() or not (d / CONFIG).is_file():
        raise SavedModelError(f"no saved CNN in {d} ({WEIGHTS} and {CONFIG} needed)")
    cfg = json.loads((d / CONFIG).read_text())
    train = TrainSettings.validate_dict(cfg["train"])
    pre = PreprocessSettings.validate_dict(cfg["preprocess"])
    est = CNNClassifier(volumes=volumes, settings=train)
    net = build_network(train.arch, int(cfg["in_channels"]), train.width)
    net.load_state_dict(load_file(d / WEIGHTS))
    est.net_ = net.eval()
    est.classes_ = np.asarray(cfg["classes"])
    est.in_channels_ = int(cfg["in_channels"])
    est.input_shape_ = tuple(int(v) for v in cfg["input_shape"])
    cs = cfg["channel_stats"]
    est.channel_stats_ = None if cs is None else ChannelStats(tuple(cs["mean"]), tuple(cs["sd"]))
    est.history_ = cfg["history"]
    est.best_epoch_ = int(cfg["best_epoch"])
    est.device_ = "cpu"
    return est, pre, cfg
