r"""MONAI Attention U-Net trained on patches (seed 000's PET Attention U-Net), CPU- or GPU-capable.

Working grid
    Cases are loaded on the working grid of ``spacing`` (:func:`~radiogenomics.segment.data.load_case`; default
    3 mm): the reference image's box at that spacing, every channel interpolated once from its own image.
    Predicted probabilities are interpolated linearly back onto the reference (CT) grid, thresholded and
    post-processed there.
Training (:meth:`AttentionUNetSegmenter.fit`)
    Each optimiser step draws ``batch_size`` patches of ``patch_size`` voxels: with probability
    ``foreground_fraction`` a patch is centred on a random tumour voxel of a random case, otherwise on a
    random voxel. Each patch is sampled through a random rotation about the slice axis (U(−r, r) degrees) and
    an isotropic scaling (U(1 − s, 1 + s)) by linear interpolation (the label by nearest neighbour; outside the
    volume each channel takes its minimum, the label 0), flipped along each axis with probability ½
    (``mirror``), and each channel becomes :math:`x e^{u_1} + 0.1 u_2`, :math:`u_i \sim U(-a, a)`
    (``intensity``). The loss is MONAI's ``DiceCELoss`` (soft Dice + cross-entropy on the softmax of two classes,
    :math:`L = 1 - \frac{2\sum p g + \epsilon}{\sum p + \sum g + \epsilon} - \frac{1}{N}\sum \log p_{g}`),
    optimised with Adam under nnU-Net's polynomial decay :math:`lr_t = lr_0 (1 - t/T)^{0.9}`. After every epoch the
    held-out validation cases (``validation_fraction``) are segmented by sliding window and the weights of the
    epoch with the best mean validation Dice are kept (the last epoch's without validation cases); the
    post-processing is then chosen on the same cases (:mod:`radiogenomics.segment.postprocess`).
Inference (:meth:`AttentionUNetSegmenter.predict_proba`)
    MONAI's ``sliding_window_inference`` with windows of ``patch_size``, ``overlap`` and Gaussian blending; with
    ``tta`` the softmax is averaged over the 8 mirrorings; the foreground is the probability ≥ ``threshold``.
Determinism
    Weight initialisation and the training stream use a forked torch RNG seeded with ``seed`` (the caller's
    global RNG state is restored afterwards); patch sampling, augmentation and the validation split use
    ``numpy.random.default_rng(seed)``. On the CPU equal seeds give equal weights.
Device
    ``device="auto"`` uses CUDA when ``torch.cuda.is_available()`` and the CPU otherwise.
Persistence (:meth:`save`, :meth:`load`)
    ``MODELDIR/model.safetensors`` (weights; no pickle, so loading cannot run code — weights-only semantics)
    and ``MODELDIR/model.json`` (method, settings, post-processing and its validation scores, training history,
    package version).
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
from scipy import ndimage

from radiogenomics import __version__
from radiogenomics.errors import NonFiniteVoxelError
from radiogenomics.image import Image, Mask
from radiogenomics.io.manifest import Manifest
from radiogenomics.preprocess.regrid import resample_to_reference
from radiogenomics.segment.data import load_case, mask_on
from radiogenomics.segment.errors import ModelDirError, SegmentationError
from radiogenomics.segment.metrics import dice
from radiogenomics.segment.postprocess import PostProcessing, choose_postprocessing
from radiogenomics.segment.settings import (
    META_FILE,
    AttentionUNetSettings,
    Device,
    Method,
    PostProcessingChoice,
    read_model_meta,
    resolve_device,
)

__all__ = ["AttentionUNetSegmenter"]

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"

#: what a model saved before working grids, augmentation and post-processing existed was trained and predicted with
LEGACY_SETTINGS = {"spacing": None, "mirror": False, "rotation_degrees": 0.0, "scaling": 0.0, "intensity": 0.0,
                   "tta": False, "postprocessing": PostProcessingChoice.none}

#: the recipes of the fixed ``postprocessing`` settings
FIXED_POSTPROCESSING = {
    PostProcessingChoice.none: PostProcessing(),
    PostProcessingChoice.largest: PostProcessing(keep="largest"),
    PostProcessingChoice.largest_fill: PostProcessing(keep="largest", fill_holes=True),
}


def _network(settings: AttentionUNetSettings, in_channels: int) -> Any:
    from monai.networks.nets import AttentionUnet

    return AttentionUnet(
        spatial_dims=3, in_channels=in_channels, out_channels=2,
        channels=tuple(settings.features), strides=tuple(settings.strides),
    )


def _working_spacing(settings: AttentionUNetSettings) -> tuple[float, ...]:
    """Voxel spacing (x, y, z mm) of arrays given without one: the working ``spacing``, else 1 mm."""
    return tuple(settings.spacing) if settings.spacing is not None else (1.0, 1.0, 1.0)


def _sample_patch(
    image: np.ndarray,
    label: np.ndarray,
    centre: np.ndarray,
    patch: tuple[int, int, int],
    matrix: np.ndarray,
    fill: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A ``patch`` of ``image`` ``[C, z, y, x]`` and ``label`` around voxel ``centre`` through ``matrix``.

    Patch voxel :math:`o` takes the input at :math:`c + M (o - h)`, :math:`h` the patch centre (linear
    interpolation for the image, channel c filled with ``fill[c]`` outside; nearest neighbour for the label).
    With the identity matrix this is a plain crop.
    """
    half = (np.asarray(patch, dtype=float) - 1.0) / 2.0
    offset = np.asarray(centre, dtype=float) - matrix @ half
    identity = np.allclose(matrix, np.eye(3))
    order = 0 if identity and np.allclose(offset, np.round(offset)) else 1
    channels = [ndimage.affine_transform(image[c], matrix, offset, output_shape=patch, order=order,
                                         mode="constant", cval=float(fill[c]), prefilter=False)
                for c in range(image.shape[0])]
    lab = ndimage.affine_transform(label, matrix, offset, output_shape=patch, order=0, mode="constant", cval=0)
    return np.stack(channels).astype(np.float32, copy=False), lab


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
    postprocessing_
        The :class:`~radiogenomics.segment.postprocess.PostProcessing` applied to predicted masks.
    postprocessing_scores_
        Mean validation Dice of every post-processing candidate (empty when not chosen on validation cases).
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
        spacings: Sequence[Sequence[float]] | None = None,
    ) -> Self:
        """Train on ``images`` (float32 ``[C, z, y, x]``, normalised) and ``labels`` (``[z, y, x]``, > 0 = tumour).

        ``progress(epoch, epochs, train_loss, val_dice)`` is called after each epoch. ``spacings`` (x, y, z mm
        per case; default the working ``spacing``, else 1 mm) size the components of the post-processing.
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
        spacings = [_working_spacing(s)] * len(images) if spacings is None else [tuple(v) for v in spacings]
        rng = np.random.default_rng(s.seed)
        order = rng.permutation(len(images))
        n_val = round(s.validation_fraction * len(images)) if len(images) > 1 else 0
        val_idx, train_idx = order[:n_val], order[n_val:]
        train_imgs = [np.ascontiguousarray(images[i], dtype=np.float32) for i in train_idx]
        train_labs = [(np.asarray(labels[i]) > 0).astype(np.uint8) for i in train_idx]
        fills = [img.reshape(n_ch, -1).min(axis=1) for img in train_imgs]
        fg = [np.argwhere(lab > 0) for lab in train_labs]
        has_fg = [k for k, f in enumerate(fg) if len(f)]
        if not has_fg and s.foreground_fraction > 0:
            raise SegmentationError("no training case has a tumour voxel: nothing to learn")
        device = resolve_device(s.device)
        self.device_ = device
        self.n_channels_ = n_ch
        self.postprocessing_ = PostProcessing()
        history: list[dict[str, float]] = []
        devices = [device.index or 0] if device.type == "cuda" else []
        total_steps = s.epochs * s.iterations_per_epoch
        logger.info("training an Attention U-Net on %d case(s) (%d held out for validation), %d steps of %d "
                    "patches of %s voxels", len(train_idx), n_val, total_steps, s.batch_size, s.patch_size)
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(s.seed)
            net = _network(s, n_ch).to(device)
            loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
            opt = torch.optim.Adam(net.parameters(), lr=s.learning_rate, weight_decay=s.weight_decay)
            schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: (1.0 - step / total_steps) ** 0.9)
            best_dice, best_state, best_epoch = -np.inf, None, s.epochs
            for epoch in range(1, s.epochs + 1):
                t0 = time.perf_counter()
                net.train()
                losses = []
                for _ in range(s.iterations_per_epoch):
                    x, y = self._batch(train_imgs, train_labs, fills, fg, has_fg, rng)
                    opt.zero_grad(set_to_none=True)
                    out = net(torch.from_numpy(x).to(device))
                    loss = loss_fn(out, torch.from_numpy(y).to(device))
                    loss.backward()
                    opt.step()
                    schedule.step()
                    losses.append(float(loss.detach().cpu()))
                self.network_ = net
                val_dice = float("nan")
                if n_val:
                    scores = [dice(self._threshold(self.predict_proba(images[i], tta=False)), np.asarray(labels[i]) > 0)
                              for i in val_idx]
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
        self.postprocessing_, self.postprocessing_scores_ = self._choose_postprocessing(
            [images[i] for i in val_idx], [labels[i] for i in val_idx], [spacings[i] for i in val_idx])
        return self

    def _choose_postprocessing(self, images: Sequence[np.ndarray], labels: Sequence[np.ndarray],
                               spacings: Sequence[Sequence[float]]) -> tuple[PostProcessing, list[dict[str, Any]]]:
        choice = self.settings.postprocessing
        if choice is not PostProcessingChoice.auto:
            return FIXED_POSTPROCESSING[choice], []
        if not images:
            logger.warning("no validation case to choose the post-processing on: none is applied")
            return PostProcessing(), []
        predictions = [self.predict(img, postprocess=False) for img in images]
        return choose_postprocessing(predictions, [np.asarray(lab) > 0 for lab in labels],
                                     [tuple(sp)[::-1] for sp in spacings])

    def _batch(
        self,
        imgs: list[np.ndarray],
        labs: list[np.ndarray],
        fills: list[np.ndarray],
        fg: list[np.ndarray],
        has_fg: list[int],
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``batch_size`` augmented patches and labels (module docstring)."""
        s = self.settings
        patch = tuple(s.patch_size[::-1])  # (z, y, x)
        xs, ys = [], []
        for _ in range(s.batch_size):
            if has_fg and rng.random() < s.foreground_fraction:
                k = int(has_fg[rng.integers(len(has_fg))])
                centre = fg[k][rng.integers(len(fg[k]))].astype(float)
            else:
                k = int(rng.integers(len(imgs)))
                centre = np.array([rng.integers(n) for n in labs[k].shape], dtype=float)
            angle = np.deg2rad(rng.uniform(-s.rotation_degrees, s.rotation_degrees))
            scale = rng.uniform(1.0 - s.scaling, 1.0 + s.scaling)
            c, sn = np.cos(angle), np.sin(angle)
            matrix = scale * np.array([[1.0, 0.0, 0.0], [0.0, c, -sn], [0.0, sn, c]])  # rotation in the (y, x) plane
            x, y = _sample_patch(imgs[k], labs[k], centre, patch, matrix, fills[k])
            if s.mirror:
                flips = tuple(a for a in range(3) if rng.random() < 0.5)
                if flips:
                    x = np.flip(x, axis=tuple(a + 1 for a in flips))
                    y = np.flip(y, axis=flips)
            if s.intensity > 0:
                gain = np.exp(rng.uniform(-s.intensity, s.intensity, size=(x.shape[0], 1, 1, 1)))
                shift = 0.1 * rng.uniform(-s.intensity, s.intensity, size=(x.shape[0], 1, 1, 1))
                x = x * gain + shift
            xs.append(np.ascontiguousarray(x, dtype=np.float32))
            ys.append(np.ascontiguousarray(y)[None])
        return np.stack(xs), np.stack(ys).astype(np.int64)

    # -- inference ----------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            raise SegmentationError("this AttentionUNetSegmenter is not trained: call fit() or load() first")

    def predict_proba(self, image: np.ndarray, tta: bool | None = None) -> np.ndarray:
        """Foreground probability (float32 ``[z, y, x]``) of a normalised ``[C, z, y, x]`` image.

        With ``tta`` (default: the ``tta`` setting, when ``mirror`` is on) the softmax is the mean over the
        8 mirrorings of the input (each output flipped back).
        """
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
        use_tta = (s.tta and s.mirror) if tta is None else tta
        flips = [tuple(a for a in (2, 3, 4) if bits >> (a - 2) & 1) for bits in range(8)] if use_tta else [()]
        net = self.network_
        was_training = net.training
        net.eval()
        try:
            with torch.inference_mode():
                x = torch.from_numpy(image[None]).to(self.device_)
                total = None
                for axes in flips:
                    xi = torch.flip(x, axes) if axes else x
                    logits = sliding_window_inference(
                        xi, roi_size=tuple(s.patch_size[::-1]), sw_batch_size=s.sw_batch_size, predictor=net,
                        overlap=s.overlap, mode="gaussian",
                    )
                    prob = torch.softmax(logits, dim=1)[:, 1:2]
                    prob = torch.flip(prob, axes) if axes else prob
                    total = prob if total is None else total + prob
                return (total[0, 0] / len(flips)).float().cpu().numpy()
        finally:
            net.train(was_training)

    def _threshold(self, prob: np.ndarray) -> np.ndarray:
        return (prob >= self.settings.threshold).astype(np.uint8)

    def predict(self, image: np.ndarray, spacing: Sequence[float] | None = None, postprocess: bool = True
                ) -> np.ndarray:
        """Binary mask (uint8 ``[z, y, x]``): foreground probability ≥ ``threshold``, post-processed
        (``spacing`` x, y, z mm of the image; default the working spacing)."""
        mask = self._threshold(self.predict_proba(image))
        if not postprocess:
            return mask
        spacing = spacing if spacing is not None else _working_spacing(self.settings)
        return self.postprocessing_.apply(mask, tuple(spacing)[::-1])

    def predict_case(self, manifest: Manifest, row: int) -> Mask:
        """Predicted tumour mask of manifest row ``row`` on its reference modality's grid.

        The probabilities of the working grid are interpolated linearly onto the reference grid, thresholded
        there and post-processed with the reference spacing.
        """
        s = self.settings
        case = load_case(manifest, row, s.channels, s.reference_modality, None, s.ct_window, s.pet_scale_suv,
                         s.pet_max_suv, spacing=s.spacing)
        prob = self.predict_proba(case.channels)
        g = case.grid
        if g != case.reference.geometry:
            prob = resample_to_reference(Image(prob, g.spacing, g.origin, g.direction), case.reference).array
        mask = self.postprocessing_.apply(self._threshold(prob), tuple(case.reference.spacing)[::-1])
        return mask_on(case.reference, mask)

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
            "postprocessing": self.postprocessing_.to_dict(),
            "postprocessing_scores": self.postprocessing_scores_,
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
        if "spacing" not in meta.get("settings", {}):  # saved before working grids existed
            settings = settings.replace(**LEGACY_SETTINGS)
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
        model.postprocessing_ = PostProcessing.from_dict(meta.get("postprocessing"))
        model.postprocessing_scores_ = list(meta.get("postprocessing_scores", []))
        return model
