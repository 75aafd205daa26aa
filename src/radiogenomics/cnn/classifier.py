r"""CNNClassifier: a scikit-learn estimator that trains a 3D CNN on cached case volumes.

Rows of ``X`` are cases: a DataFrame with a ``case_id`` column (other columns are ignored), or a
sequence/array of case ids. Each case's input comes from a :class:`~radiogenomics.cnn.cache.VolumeCache`
(folder ``volumes``), so the estimator runs under :func:`radiogenomics.models.evaluate` next to radiomics
pipelines — same splits, metrics, bootstrap CIs and DeLong tests — and is cloned per fold without copying
voxels.

Training (as :class:`~radiogenomics.models.transformer.FeatureTokenTransformer`): a stratified inner
split of ``val_fraction`` of the training cases for early stopping; per-channel normalisation fitted on
the remaining training cases (``normalise="cohort"``); AdamW; binary cross-entropy on the logit with
positive-class weight :math:`w = n_-/n_+` (``class_weight="balanced"``); augmentation
(:mod:`radiogenomics.cnn.augment`) on training batches only; the weights of the epoch with the lowest
validation loss are kept; ``history_`` records ``train_loss`` and ``val_loss`` per epoch. Mixed precision
only on CUDA. Deterministic on CPU for a given ``seed``: torch's RNG state is forked and restored
(``torch.random.fork_rng``), and batching and augmentation draw from a seeded generator, so no global
state changes. A last training batch of a single case is skipped (batch normalisation needs two).
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split

from radiogenomics.cnn.augment import augment_batch
from radiogenomics.cnn.cache import VolumeCache
from radiogenomics.cnn.networks import build_network, min_input_size
from radiogenomics.cnn.preprocess import ChannelStats, normalise_case
from radiogenomics.cnn.settings import TrainSettings
from radiogenomics.devices import resolve_device
from radiogenomics.models.errors import ModelParameterError

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["CNNClassifier", "case_ids_of"]


def case_ids_of(X: Any) -> list[str]:
    """Case ids of the rows of ``X`` (DataFrame with ``case_id``, Series, or a 1-column/1-D array)."""
    if isinstance(X, pd.DataFrame):
        if "case_id" not in X.columns:
            raise ModelParameterError("CNNClassifier needs a 'case_id' column in X")
        return [str(v) for v in X["case_id"]]
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ModelParameterError(f"X must be a DataFrame with 'case_id' or a 1-D list of case ids, got {arr.shape}")
    return [str(v) for v in arr]


class CNNClassifier(ClassifierMixin, BaseEstimator):
    """3D CNN binary classifier on preprocessed case volumes (module docstring).

    Parameters
    ----------
    volumes : folder of a :class:`~radiogenomics.cnn.cache.VolumeCache` (from
        :func:`~radiogenomics.cnn.cache.prepare_volumes`).
    settings : :class:`~radiogenomics.cnn.settings.TrainSettings` (architecture, training, augmentation).

    Attributes
    ----------
    classes_, in_channels_, input_shape_ (``(C, z, y, x)``), channel_stats_ (``ChannelStats`` or None),
    history_ (dict of lists ``train_loss``, ``val_loss``), best_epoch_, device_, net_ (the torch module, on
    the CPU after fitting).
    """

    def __init__(self, volumes: str | Path = "", settings: TrainSettings | None = None) -> None:
        self.volumes = volumes
        self.settings = settings

    # ------------------------------------------------------------------------------------------ helpers
    def _settings(self) -> TrainSettings:
        return self.settings if self.settings is not None else TrainSettings()

    def _cache(self) -> VolumeCache:
        if not self.volumes:
            raise ModelParameterError("CNNClassifier: no volume cache folder given (volumes=...)")
        return VolumeCache(self.volumes)

    def _normalised(self, x: np.ndarray) -> np.ndarray:
        """Apply the fitted normalisation to ``(n, C, z, y, x)``."""
        mode = self._settings().normalise
        if mode == "case":
            return np.stack([normalise_case(v) for v in x])
        if mode == "cohort":
            return np.stack([self.channel_stats_.apply(v) for v in x])
        return x.astype(np.float32)

    # ------------------------------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> CNNClassifier:
        """Train on the cases ``X`` (DataFrame with ``case_id`` or a list of ids) with binary labels ``y``.

        Parameters
        ----------
        X : cases, read from the volume cache ``volumes``.
        y : labels; exactly two classes, the larger one (``classes_[1]``) is the positive class.

        Raises
        ------
        ModelParameterError
            Labels not binary, ``X``/``y`` lengths differ, inputs smaller than the architecture's minimum,
            or ``device="cuda"`` without CUDA.
        VolumeCacheError
            A case is not in the cache.
        """
        import torch

        s = self._settings()
        ids = case_ids_of(X)
        y = np.asarray(y)
        if len(ids) != y.size:
            raise ModelParameterError(f"X has {len(ids)} cases but y has {y.size} labels")
        self.classes_ = np.unique(y)
        if self.classes_.size != 2:
            raise ModelParameterError(f"binary target needed, got classes {self.classes_}")
        yb = (y == self.classes_[1]).astype(np.float32)
        raw = self._cache().load_many(ids)
        low = min_input_size(s.arch)
        if min(raw.shape[2:]) < low:
            raise ModelParameterError(f"{s.arch} needs inputs of at least {low} voxels along every axis; the "
                                      f"cached volumes are {raw.shape[2:]} (z, y, x)")
        self.in_channels_ = int(raw.shape[1])
        self.input_shape_ = tuple(int(v) for v in raw.shape[1:])
        tr, va = train_test_split(np.arange(y.size), test_size=s.val_fraction, stratify=yb, random_state=s.seed)
        self.channel_stats_ = ChannelStats.fit(list(raw[tr])) if s.normalise == "cohort" else None
        x = torch.from_numpy(self._normalised(raw))
        yt = torch.from_numpy(yb)
        n_pos = float(yb[tr].sum())
        pw = (tr.size - n_pos) / max(n_pos, 1.0) if s.class_weight == "balanced" else 1.0
        device = resolve_device(s.device, ModelParameterError)
        self.device_ = str(device)
        use_amp = bool(s.amp and device.type == "cuda")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(s.seed)
            net = build_network(s.arch, self.in_channels_, s.width).to(device)
            opt = torch.optim.AdamW(net.parameters(), lr=s.lr, weight_decay=s.weight_decay)
            loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(float(pw), device=device))
            scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
            gen = torch.Generator().manual_seed(s.seed)
            hist: dict[str, list[float]] = {"train_loss": [], "val_loss": []}
            best, best_state, wait, self.best_epoch_ = np.inf, None, 0, 0
            tr_t = torch.from_numpy(tr)
            for epoch in range(s.max_epochs):
                net.train()
                perm = tr_t[torch.randperm(tr.size, generator=gen)]
                total, seen = 0.0, 0
                for start in range(0, perm.numel(), s.batch_size):
                    b = perm[start : start + s.batch_size]
                    if b.numel() < 2:
                        continue
                    xb = x[b]
                    if s.augment:
                        xb = augment_batch(xb, gen, s.flip_prob, s.rotate_deg, s.intensity)
                    xb, yb_t = xb.to(device), yt[b].to(device)
                    opt.zero_grad()
                    with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                        loss = loss_fn(net(xb).squeeze(-1).float(), yb_t)
                    scaler.scale(loss).backward()
                    scaler.step(opt)
                    scaler.update()
                    total += float(loss.detach()) * b.numel()
                    seen += b.numel()
                vl = self._loss(net, x, yt, va, loss_fn, device, s.batch_size, use_amp)
                hist["train_loss"].append(total / max(seen, 1))
                hist["val_loss"].append(vl)
                logger.debug("epoch %d: train %.4f, val %.4f", epoch, hist["train_loss"][-1], vl)
                if vl < best - 1e-6:
                    best, wait, self.best_epoch_ = vl, 0, epoch
                    best_state = copy.deepcopy({k: v.detach().cpu() for k, v in net.state_dict().items()})
                else:
                    wait += 1
                    if wait >= s.patience:
                        break
            if best_state is not None:
                net.load_state_dict(best_state)
        net = net.cpu().eval()
        self.net_ = net
        self.history_ = hist
        logger.info("%s stopped after %d epochs (best %d, val loss %.4f)", s.arch, len(hist["val_loss"]),
                    self.best_epoch_, best)
        return self

    @staticmethod
    def _loss(net: torch.nn.Module, x: torch.Tensor, yt: torch.Tensor, idx: np.ndarray, loss_fn: torch.nn.Module,
              device: torch.device, batch: int, use_amp: bool) -> float:
        import torch

        net.eval()
        total = 0.0
        with torch.no_grad():
            for start in range(0, idx.size, batch):
                b = torch.from_numpy(idx[start : start + batch])
                with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                    z = net(x[b].to(device)).squeeze(-1).float()
                total += float(loss_fn(z, yt[b].to(device))) * b.numel()
        return total / idx.size

    # ------------------------------------------------------------------------------------------ predict
    def _logits(self, X: Any) -> np.ndarray:
        import torch

        if not hasattr(self, "net_"):
            raise ModelParameterError("CNNClassifier is not fitted")
        raw = self._cache().load_many(case_ids_of(X))
        if tuple(raw.shape[1:]) != self.input_shape_:
            raise ModelParameterError(f"cached volumes have shape {raw.shape[1:]}, the model expects "
                                      f"{self.input_shape_} (different preprocessing settings?)")
        x = torch.from_numpy(self._normalised(raw))
        out = []
        self.net_.eval()
        with torch.no_grad():
            for start in range(0, x.shape[0], self._settings().batch_size):
                out.append(self.net_(x[start : start + self._settings().batch_size]).squeeze(-1))
        return torch.cat(out).numpy().astype(np.float64)

    def decision_function(self, X: Any) -> np.ndarray:
        """The logit :math:`z` of every case (float64)."""
        return self._logits(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        r"""``[[1 - p, p]]`` with :math:`p = \sigma(z)` (float64)."""
        p = expit(self._logits(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        r"""``classes_[1]`` where :math:`p \ge 0.5`, else ``classes_[0]``."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
