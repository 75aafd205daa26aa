r"""MONAI Attention U-Net trained on patches (seed 000's PET Attention U-Net), CPU- or GPU-capable.

Training (:meth:`AttentionUNetSegmenter.fit`)
    Each optimiser step draws ``batch_size`` patches of ``patch_size`` voxels: with probability
    ``foreground_fraction`` a patch is centred on a random tumour voxel of a random case, otherwise on a
    random voxel (volumes smaller than a patch are padded with each channel's minimum). The loss is MONAI's
    ``DiceCELoss`` (soft Dice + cross-entropy on the softmax of two classes,
    :math:`L = 1 - \frac{2\sum p g + \epsilon}{\sum p + \sum g + \epsilon} - \frac{1}{N}\sum \log p_{g}`),
    optimised with Adam. After every epoch the held-out validation cases (``validation_fraction``) are
    segmented by sliding window and the weights of the epoch with the best mean validation Dice are kept
    (the last epoch's without validation cases).
Inference (:meth:`AttentionUNetSegmenter.predict_proba`)
    MONAI's ``sliding_window_inference`` with windows of ``patch_size``, ``overlap`` and Gaussian blending;
    the foreground is the softmax probability ≥ ``threshold``.
Determinism
    Weight initialisation and the training stream use a forked torch RNG seeded with ``seed`` (the caller's
    global RNG state is restored afterwards); patch sampling and the validation split use
    ``numpy.random.default_rng(seed)``. On the CPU equal seeds give equal weights.
Device
    ``device="auto"`` uses CUDA when ``torch.cuda.is_available()`` and the CPU otherwise.
Persistence (:meth:`save`, :meth:`load`)
    ``MODELDIR/model.safetensors`` (weights; no pickle, so loading cannot run code — weights-only semantics)
    and ``MODELDIR/model.json`` (method, settings, training history, package version).
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from radiogenomics import __version__
from radiogenomics.errors import NonFiniteVoxelError
from radiogenomics.image import Mask
from radiogenomics.io.manifest import Manifest
from radiogenomics.segment.data import load_case, mask_on
from radiogenomics.segment.errors import ModelDirError, SegmentationError
from radiogenomics.segment.metrics import dice
from radiogenomics.segment.settings import (
    META_FILE,
    AttentionUNetSettings,
    Device,
    Method,
    read_model_meta,
    resolve_device,
)

__all__ = ["AttentionUNetSegmenter"]

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"


def _network(settings: AttentionUNetSettings, in_channels: int) -> Any:
    from monai.networks.nets import AttentionUnet

    return AttentionUnet(
        spatial_dims=3, in_channels=in_channels, out_channels=2,
        channels=tuple(settings.features), strides=tuple(settings.strides),
    )


def _pad_to(array: np.ndarray, shape: Sequence[int], values: np.ndarray) -> np.ndarray:
    """Pad ``[C, z, y, x]`` at the end of each spatial axis to at least ``shape``, channel c with ``values[c]``."""
    extra = [max(0, s - a) for s, a in zip(shape, array.shape[1:], strict=True)]
    if not any(extra):
        return array
    out = np.empty((array.shape[0], *[a + e for a, e in zip(array.shape[1:], extra, strict=True)]), array.dtype)
    out[:] = values.reshape(-1, 1, 1, 1)
    out[:, : array.shape[1], : array.shape[2], : array.shape[3]] = array
    return out


class AttentionUNetSegmenter:
    """Binary tumour segmentation with MONAI's ``AttentionUnet`` (module docstring).

    Parameters
    ----------
    settings
        :class:`AttentionUNetSettings` (defaults when ``None``).

    Attributes
    ----------
    network_
        The trained ``torch.nn.Module`` (on :attr:`device_`).
    history_
        ``[{"epoch", "train_loss", "val_dice", "seconds"}]``, one per epoch (``val_dice`` NaN without
        validation cases).
    best_epoch_
        Epoch whose weights were kept (1-based).
    n_channels_
        Number of input channels.
    device_
        ``torch.device`` used.
    """

    def __init__(self, settings: AttentionUNetSettings | None = None):
        self.settings = settings if settings is not None else AttentionUNetSettings()

    # -- training -----------------------------------------------------------------------------------
    def fit(
        self,
        images: Sequence[np.ndarray],
        labels: Sequence[np.ndarray],
        progress: Callable[[int, int, float, float], None] | None = None,
    ) -> Self:
        """Train on ``images`` (float32 ``[C, z, y, x]``, normalised) and ``labels`` (``[z, y, x]``, > 0 = tumour).

        ``progress(epoch, epochs, train_loss, val_dice)`` is called after each epoch.
        """
        import torch
        from monai.losses import DiceCELoss

        s = self.settings
        if len(images) == 0 or len(images) != len(labels):
            raise SegmentationError(f"fit needs as many labels as images (≥ 1), got {len(images)} and {len(labels)}")
        n_ch = images[0].shape[0]
        for i, (img, lab) in enumerate(zip(images, labels, strict=True)):
            if img.ndim != 4 or img.shape[0] != n_ch or lab.shape != img.shape[1:]:
                raise SegmentationError(f"case {i}: image {img.shape} / label {lab.shape} do not fit "
                                        f"[{n_ch}, z, y, x] / [z, y, x]")
            if not np.isfinite(img).all():
                raise NonFiniteVoxelError(f"case {i}: image holds NaN or infinite voxels")
        rng = np.random.default_rng(s.seed)
        order = rng.permutation(len(images))
        n_val = round(s.validation_fraction * len(images)) if len(images) > 1 else 0
        val_idx, train_idx = order[:n_val], order[n_val:]
        patch = tuple(s.patch_size[::-1])  # (z, y, x)
        train_imgs, train_labs, fg = [], [], []
        for i in train_idx:
            img = np.ascontiguousarray(images[i], dtype=np.float32)
            pad_values = img.reshape(n_ch, -1).min(axis=1)
            img = _pad_to(img, patch, pad_values)
            lab = _pad_to((np.asarray(labels[i]) > 0).astype(np.uint8)[None], patch, np.zeros(1))[0]
            train_imgs.append(img)
            train_labs.append(lab)
            fg.append(np.argwhere(lab > 0))
        has_fg = [k for k, f in enumerate(fg) if len(f)]
        if not has_fg and s.foreground_fraction > 0:
            raise SegmentationError("no training case has a tumour voxel: nothing to learn")
        device = resolve_device(s.device)
        self.device_ = device
        self.n_channels_ = n_ch
        history: list[dict[str, float]] = []
        devices = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(s.seed)
            net = _network(s, n_ch).to(device)
            loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
            opt = torch.optim.Adam(net.parameters(), lr=s.learning_rate, weight_decay=s.weight_decay)
            best_dice, best_state, best_epoch = -np.inf, None, s.epochs
            for epoch in range(1, s.epochs + 1):
                t0 = time.perf_counter()
                net.train()
                losses = []
                for _ in range(s.iterations_per_epoch):
                    x, y = self._batch(train_imgs, train_labs, fg, has_fg, patch, rng)
                    opt.zero_grad(set_to_none=True)
                    out = net(torch.from_numpy(x).to(device))
                    loss = loss_fn(out, torch.from_numpy(y).to(device))
                    loss.backward()
                    opt.step()
                    losses.append(float(loss.detach().cpu()))
                self.network_ = net
                val_dice = float("nan")
                if n_val:
                    scores = [dice(self.predict(images[i]), np.asarray(labels[i]) > 0) for i in val_idx]
                    val_dice = float(np.mean(scores))
                    if val_dice > best_dice:
                        best_dice, best_epoch = val_dice, epoch
                        best_state = copy.deepcopy(net.state_dict())
                train_loss = float(np.mean(losses))
                history.append({"epoch": epoch, "train_loss": train_loss, "val_dice": val_dice,
                                "seconds": time.perf_counter() - t0})
                logger.info("epoch %d/%d: loss %.4f, validation Dice %.4f", epoch, s.epochs, train_loss, val_dice)
                if progress is not None:
                    progress(epoch, s.epochs, train_loss, val_dice)
            if best_state is not None:
                net.load_state_dict(best_state)
        net.eval()
        self.network_ = net
        self.history_ = history
        self.best_epoch_ = best_epoch
        return self

    def _batch(
        self,
        imgs: list[np.ndarray],
        labs: list[np.ndarray],
        fg: list[np.ndarray],
        has_fg: list[int],
        patch: tuple[int, ...],
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        s = self.settings
        xs, ys = [], []
        half = np.array(patch) // 2
        for _ in range(s.batch_size):
            if has_fg and rng.random() < s.foreground_fraction:
                k = int(has_fg[rng.integers(len(has_fg))])
                centre = fg[k][rng.integers(len(fg[k]))]
            else:
                k = int(rng.integers(len(imgs)))
                centre = np.array([rng.integers(n) for n in labs[k].shape])
            shape = np.array(labs[k].shape)
            start = np.clip(centre - half, 0, shape - np.array(patch))
            sl = tuple(slice(int(a), int(a) + p) for a, p in zip(start, patch, strict=True))
            xs.append(imgs[k][(slice(None), *sl)])
            ys.append(labs[k][sl][None])
        return np.stack(xs), np.stack(ys).astype(np.int64)

    # -- inference ----------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            raise SegmentationError("this AttentionUNetSegmenter is not trained: call fit() or load() first")

    def predict_proba(self, image: np.ndarray) -> np.ndarray:
        """Foreground probability (float32 ``[z, y, x]``) of a normalised ``[C, z, y, x]`` image."""
        import torch
        from monai.inferers import sliding_window_inference

        self._check_fitted()
        s = self.settings
        image = np.asarray(image, dtype=np.float32)
        if image.ndim != 4 or image.shape[0] != self.n_channels_:
            raise SegmentationError(f"image must be [{self.n_channels_}, z, y, x], got {image.shape}")
        if not np.isfinite(image).all():
            raise NonFiniteVoxelError("image holds NaN or infinite voxels; a network would turn them into a silent "
                                      "empty mask")
        net = self.network_
        was_training = net.training
        net.eval()
        try:
            with torch.inference_mode():
                x = torch.from_numpy(image[None]).to(self.device_)
                logits = sliding_window_inference(
                    x, roi_size=tuple(s.patch_size[::-1]), sw_batch_size=s.sw_batch_size, predictor=net,
                    overlap=s.overlap, mode="gaussian",
                )
                prob = torch.softmax(logits, dim=1)[0, 1]
                return prob.float().cpu().numpy()
        finally:
            net.train(was_training)

    def predict(self, image: np.ndarray) -> np.ndarray:
        """Binary mask (uint8 ``[z, y, x]``): foreground probability ≥ ``threshold``."""
        return (self.predict_proba(image) >= self.settings.threshold).astype(np.uint8)

    def predict_case(self, manifest: Manifest, row: int) -> Mask:
        """Predicted tumour mask of manifest row ``row`` on its reference modality's grid."""
        s = self.settings
        case = load_case(manifest, row, s.channels, s.reference_modality, None, s.ct_window, s.pet_scale_suv,
                         s.pet_max_suv)
        return mask_on(case.reference, self.predict(case.channels))

    # -- persistence --------------------------------------------------------------------------------
    def save(self, modeldir: str | Path) -> Path:
        """Write ``model.safetensors`` and ``model.json`` into ``modeldir`` (created); return the folder."""
        from safetensors.torch import save_file

        self._check_fitted()
        out = Path(modeldir)
        out.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.network_.state_dict().items()}
        save_file(state, str(out / WEIGHTS_FILE), metadata={"method": Method.attention_unet.value})
        meta = {
            "method": Method.attention_unet.value,
            "radiogenomics_version": __version__,
            "settings": self.settings.model_dump(mode="json"),
            "n_channels": int(self.n_channels_),
            "best_epoch": int(self.best_epoch_),
            "history": self.history_,
        }
        (out / META_FILE).write_text(json.dumps(meta, indent=2, allow_nan=True))
        logger.info("saved Attention U-Net to %s", out)
        return out

    @classmethod
    def load(cls, modeldir: str | Path, device: Device | str | None = None) -> AttentionUNetSegmenter:
        """Read a model written by :meth:`save` (weights from safetensors: tensors only, no code is run).

        ``device`` overrides the saved device setting (default: the saved one, normally ``auto``).
        """
        from safetensors.torch import load_file

        folder = Path(modeldir)
        meta, settings = read_model_meta(folder, Method.attention_unet, device)
        weights_path = folder / WEIGHTS_FILE
        if not weights_path.is_file():
            raise ModelDirError(f"{folder} has no {WEIGHTS_FILE}")
        model = cls(settings)
        model.device_ = resolve_device(settings.device)
        model.n_channels_ = int(meta["n_channels"])
        net = _network(settings, model.n_channels_)
        state = load_file(str(weights_path), device="cpu")
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ModelDirError(f"weights in {weights_path} do not fit the saved settings: {exc}") from exc
        model.network_ = net.to(model.device_).eval()
        model.history_ = list(meta.get("history", []))
        model.best_epoch_ = int(meta.get("best_epoch", settings.epochs))
        return model
