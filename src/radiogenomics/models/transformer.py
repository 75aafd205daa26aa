r"""FeatureTokenTransformer: an FT-Transformer-style classifier for tabular radiomic features.

Tokenisation (Gorishniy et al., 2021): numeric feature :math:`j` with value :math:`x_j` becomes the
token :math:`t_j = x_j W_j + b_j \in \mathbb R^d` (a per-feature linear embedding); categorical
variable :math:`c` with code :math:`k` becomes :math:`E_c[k]` (a learned embedding, code 0 reserved
for unseen/missing). A learned CLS token is prepended; ``n_layers`` pre-norm Transformer encoder
layers (``n_heads`` heads, GELU, dropout) follow, and the CLS output goes through LayerNorm → ReLU →
linear to one logit :math:`z`, :math:`P(y=1) = \sigma(z)`.

Training: AdamW, binary cross-entropy with positive-class weight :math:`w = n_- / n_+`
(``class_weight="balanced"``), early stopping on a stratified inner validation split
(``val_fraction``) with ``patience`` epochs; the weights of the best validation epoch are kept.
``history_`` records ``train_loss`` and ``val_loss`` per epoch. Runs on CPU; deterministic for a
given ``random_state`` (torch's RNG state is forked and restored, so no global state is changed).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split

from radiogenomics.models.errors import ModelParameterError

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["FeatureTokenTransformer"]


def _network(n_num: int, cardinalities: list[int], d: int, n_layers: int, n_heads: int, dropout: float):
    import torch
    from torch import nn

    class FTNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.randn(n_num, d) / np.sqrt(d))
            self.bias = nn.Parameter(torch.zeros(n_num, d))
            self.cat = nn.ModuleList([nn.Embedding(c + 1, d) for c in cardinalities])
            self.cls = nn.Parameter(torch.randn(1, 1, d) / np.sqrt(d))
            layer = nn.TransformerEncoderLayer(d, n_heads, dim_feedforward=2 * d, dropout=dropout,
                                               activation="gelu", batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
            self.head = nn.Sequential(nn.LayerNorm(d), nn.ReLU(), nn.Linear(d, 1))

        def encode(self, x_num, x_cat):
            tokens = [x_num.unsqueeze(-1) * self.weight + self.bias]
            if len(self.cat):
                tokens.append(torch.stack([e(x_cat[:, i]) for i, e in enumerate(self.cat)], dim=1))
            h = torch.cat([self.cls.expand(x_num.shape[0], -1, -1), *tokens], dim=1)
            return self.encoder(h)[:, 0]

        def forward(self, x_num, x_cat):
            return self.head(self.encode(x_num, x_cat)).squeeze(-1)

    return FTNet()


class FeatureTokenTransformer(ClassifierMixin, BaseEstimator):
    """FT-Transformer classifier (see the module docstring for the model and the training).

    Parameters
    ----------
    categorical : column indices of ``X`` that are categorical (integer-coded); others are numeric.
    d_token, n_layers, n_heads, dropout : architecture (``d_token`` divisible by ``n_heads``).
    lr, weight_decay, batch_size, max_epochs, patience : AdamW training and early stopping.
    val_fraction : share of the training rows held out (stratified) for early stopping.
    class_weight : ``"balanced"`` or None.
    random_state : seed of initialisation, batching, dropout and the inner split.

    Defaults were tuned for 100–1,000 patients with 10–50 pre-selected features (Duke breast MRI, ER,
    5-fold CV; see docs/models.md): strong dropout and weight decay, a small learning rate, a 20 %
    early-stopping split and patience 20.

    Attributes
    ----------
    classes_, n_features_in_, history_ (dict of lists ``train_loss``, ``val_loss``), best_epoch_,
    net_ (the torch module), categories_ (per categorical column, the sorted known codes).
    """

    def __init__(self, categorical: Sequence[int] = (), d_token: int = 32, n_layers: int = 2, n_heads: int = 4,
                 dropout: float = 0.3, lr: float = 3e-4, weight_decay: float = 0.05, batch_size: int = 128,
                 max_epochs: int = 100, patience: int = 20, val_fraction: float = 0.2,
                 class_weight: str | None = "balanced", random_state: int = 0) -> None:
        self.categorical = categorical
        self.d_token = d_token
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.class_weight = class_weight
        self.random_state = random_state

    def _validate(self) -> None:
        if self.d_token < 1 or self.n_heads < 1 or self.d_token % self.n_heads:
            raise ModelParameterError(
                f"d_token ({self.d_token}) must be a positive multiple of n_heads ({self.n_heads})")
        if self.n_layers < 1 or self.max_epochs < 1 or self.batch_size < 1 or self.patience < 1:
            raise ModelParameterError("n_layers, max_epochs, batch_size and patience must be >= 1")
        if not 0 <= self.dropout < 1 or not 0 < self.val_fraction < 0.5 or self.lr <= 0:
            raise ModelParameterError("need 0 <= dropout < 1, 0 < val_fraction < 0.5, lr > 0")
        if self.class_weight not in ("balanced", None):
            raise ModelParameterError(f"class_weight must be 'balanced' or None, got {self.class_weight!r}")

    def _split(self, X):
        X = np.asarray(X, dtype=np.float64)
        cat = np.zeros(X.shape[1], dtype=bool)
        cat[list(self.categorical)] = True
        return X[:, ~cat], X[:, cat]

    def _codes(self, X_cat: np.ndarray) -> np.ndarray:
        out = np.zeros(X_cat.shape, dtype=np.int64)
        for i, known in enumerate(self.categories_):
            col = X_cat[:, i]
            pos = np.searchsorted(known, col)
            ok = (pos < known.size) & (known[np.minimum(pos, known.size - 1)] == col)
            out[:, i] = np.where(ok, pos + 1, 0)
        return out

    def fit(self, X, y):
        import torch

        self._validate()
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if self.classes_.size != 2:
            raise ModelParameterError(f"binary target needed, got classes {self.classes_}")
        yb = (y == self.classes_[1]).astype(np.float32)
        X_num, X_cat = self._split(X)
        self.n_features_in_ = np.asarray(X).shape[1]
        self.categories_ = [np.unique(c[np.isfinite(c)]) for c in X_cat.T]
        X_num = np.nan_to_num(X_num).astype(np.float32)
        codes = self._codes(X_cat)
        tr, va = train_test_split(np.arange(y.size), test_size=self.val_fraction, stratify=yb,
                                  random_state=self.random_state)
        n_pos = yb[tr].sum()
        pw = (tr.size - n_pos) / max(n_pos, 1.0) if self.class_weight == "balanced" else 1.0
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.random_state)
            net = _network(X_num.shape[1], [k.size for k in self.categories_], self.d_token, self.n_layers,
                           self.n_heads, self.dropout)
            opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(float(pw)))
            xn, xc, yt = torch.from_numpy(X_num), torch.from_numpy(codes), torch.from_numpy(yb)
            gen = torch.Generator().manual_seed(self.random_state)
            hist: dict[str, list[float]] = {"train_loss": [], "val_loss": []}
            best, best_state, wait = np.inf, None, 0
            tr_t, va_t = torch.from_numpy(tr), torch.from_numpy(va)
            for epoch in range(self.max_epochs):
                net.train()
                perm = tr_t[torch.randperm(tr.size, generator=gen)]
                total = 0.0
                for s in range(0, perm.numel(), self.batch_size):
                    b = perm[s : s + self.batch_size]
                    opt.zero_grad()
                    loss = loss_fn(net(xn[b], xc[b]), yt[b])
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * b.numel()
                net.eval()
                with torch.no_grad():
                    vl = float(loss_fn(net(xn[va_t], xc[va_t]), yt[va_t]))
                hist["train_loss"].append(total / tr.size)
                hist["val_loss"].append(vl)
                if vl < best - 1e-6:
                    best, best_state, wait, self.best_epoch_ = vl, copy.deepcopy(net.state_dict()), 0, epoch
                else:
                    wait += 1
                    if wait >= self.patience:
                        break
            if best_state is not None:
                net.load_state_dict(best_state)
        net.eval()
        self.net_ = net
        self.history_ = hist
        logger.debug("transformer stopped after %d epochs (best %d)", len(hist["val_loss"]), self.best_epoch_)
        return self

    def predict_proba(self, X):
        import torch

        X_num, X_cat = self._split(X)
        xn = torch.from_numpy(np.nan_to_num(X_num).astype(np.float32))
        xc = torch.from_numpy(self._codes(X_cat))
        with torch.no_grad():
            p = torch.sigmoid(self.net_(xn, xc)).numpy().astype(np.float64)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def embed(self, X) -> np.ndarray:
        """Deep features: the encoder's CLS output, shape ``(n_samples, d_token)``, float64."""
        import torch

        X_num, X_cat = self._split(X)
        xn = torch.from_numpy(np.nan_to_num(X_num).astype(np.float32))
        xc = torch.from_numpy(self._codes(X_cat))
        with torch.no_grad():
            return self.net_.encode(xn, xc).numpy().astype(np.float64)
