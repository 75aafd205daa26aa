"""Settings of the segmentation methods: one frozen, validated object per method.

Unknown keys fail with the closest valid name (:class:`~radiogenomics.errors.UnknownNameError`); sizes are
given in ``(x, y, z)`` order like spacing everywhere in the package. :func:`load_segment_settings` reads a
YAML/JSON mapping for the method named.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import Field, field_validator, model_validator

from radiogenomics.choices import Choice
from radiogenomics.devices import Device
from radiogenomics.devices import resolve_device as _resolve_device
from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.segment.errors import ModelDirError, SegmentationError
from radiogenomics.settings import _Settings, read_settings_file

__all__ = [
    "META_FILE",
    "AttentionUNetSettings",
    "Device",
    "Method",
    "NnUNetSettings",
    "PostProcessingChoice",
    "ThresholdKeep",
    "ThresholdRule",
    "ThresholdSettings",
    "load_segment_settings",
    "read_model_meta",
    "resolve_device",
]

#: the file of a model folder that names its method and holds its settings
META_FILE = "model.json"


class Method(Choice, kind="segmentation method", aliases={"attention_unet": "attention-unet"}):
    """Segmentation methods (``--method`` of ``radiogenomics segment train``)."""

    attention_unet = "attention-unet"
    nnunet = "nnunet"
    threshold = "threshold"


class PostProcessingChoice(Choice, kind="post-processing"):
    """``postprocessing`` of the Attention U-Net: chosen on validation cases, or fixed."""

    auto = "auto"
    none = "none"
    largest = "largest"
    largest_fill = "largest_fill"


def resolve_device(device: Device | str) -> Any:
    """``torch.device`` for a :class:`~radiogenomics.devices.Device` setting
    (:func:`radiogenomics.devices.resolve_device`; errors are :class:`~radiogenomics.segment.SegmentationError`)."""
    return _resolve_device(device, SegmentationError)


def _modalities(value: Any) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else tuple(value)
    out = tuple(str(v).strip().lower() for v in items)
    if not out or any(not v for v in out):
        raise SettingsError("channels must name at least one modality column (e.g. ['pet', 'ct'])")
    if len(set(out)) != len(out):
        raise SettingsError(f"channels repeat a modality: {list(out)}")
    return out


class _SegmentSettings(_Settings):
    """What every method shares: its name, input channels and reference grid, label column, seed, device.

    Subclasses set :attr:`METHOD` and the defaults of ``method`` and ``channels``.
    """

    settings_name: ClassVar[str] = "segmentation settings"
    METHOD: ClassVar[Method]
    #: whether ``reference`` must be one of ``channels``
    REFERENCE_IN_CHANNELS: ClassVar[bool] = True

    method: Method
    channels: tuple[str, ...]
    reference: str | None = None
    mask_column: str = "tumour_mask"
    seed: int = Field(0, ge=0)
    device: Device = Device.auto

    @model_validator(mode="after")
    def _common(self) -> Self:
        if self.method is not self.METHOD:
            raise SettingsError(f"{type(self).__name__} is for method {self.METHOD.value!r}, not "
                                f"{self.method.value!r}")
        if self.REFERENCE_IN_CHANNELS and self.reference is not None and self.reference not in self.channels:
            raise UnknownNameError("reference modality", self.reference, self.channels)
        return self

    @property
    def reference_modality(self) -> str:
        """The modality whose grid is used (``reference``, else ``ct`` if a channel, else the first channel)."""
        if self.reference is not None:
            return self.reference
        return "ct" if "ct" in self.channels else self.channels[0]

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, value: Any) -> Method:
        return Method.parse(value)

    @field_validator("channels", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> tuple[str, ...]:
        return _modalities(value)

    @field_validator("device", mode="before")
    @classmethod
    def _device(cls, value: Any) -> Device:
        return Device.parse(value)


class AttentionUNetSettings(_SegmentSettings):
    r"""MONAI Attention U-Net trained on patches (:mod:`radiogenomics.segment.attention_unet`).

    Attributes
    ----------
    channels
        Manifest modality columns stacked as input channels, in this order (default PET, then CT). All are
        brought onto the working grid (linear interpolation).
    reference
        Modality whose grid the masks are written on; default ``ct`` when it is a channel, else the first
        channel.
    spacing
        Working grid ``(x, y, z)`` mm: the reference image's box at this spacing
        (:func:`~radiogenomics.preprocess.regrid.grid_at_spacing`); the network trains and predicts there and
        its probabilities are interpolated back onto the reference grid. ``None`` works on the reference grid.
        Default 3 mm: PET's own resolution (4–5.5 mm in-plane) is kept, CT's 1 mm is not needed to place a
        2–20 cm lesion's border, and a patch then holds a whole lesion with its surroundings.
    mask_column
        Manifest column of the training labels (voxels > 0 are tumour).
    features, strides
        Channels per level of the U-Net and the down-sampling stride between levels (``len(features) - 1``).
    patch_size
        Training patch and sliding-window size, ``(x, y, z)`` voxels of the working grid; each a multiple of
        the product of strides. Default 48 × 48 × 48 (14.4 cm cube at 3 mm: a 2–10 cm lesion with its
        surroundings; larger lesions are seen in overlapping windows).
    batch_size, epochs, iterations_per_epoch
        Patches per step, epochs, and optimiser steps per epoch.
    learning_rate, weight_decay
        Adam optimiser; the learning rate decays as :math:`(1 - t/T)^{0.9}` over the T steps (nnU-Net's
        polynomial schedule).
    foreground_fraction
        Probability that a patch is centred on a random tumour voxel (else on a random voxel).
    validation_fraction
        Share of the training cases held out to pick the best epoch by mean validation Dice and the
        post-processing (0: last epoch, no post-processing unless given).
    mirror
        Augmentation: random flips along each axis (and the same flips averaged at prediction when ``tta``).
    rotation_degrees, scaling
        Augmentation: rotation about the slice axis by U(−r, r) degrees and isotropic scaling by
        U(1 − s, 1 + s), applied to each patch by linear interpolation (labels: nearest neighbour).
    intensity
        Augmentation: each channel becomes :math:`x\,e^{u_1} + 0.1\,u_2` with :math:`u_i \sim U(-a, a)`
        (PET calibration and CT/MR contrast differences).
    tta
        Test-time augmentation: the softmax is averaged over the 8 mirrorings when ``mirror`` is on.
    postprocessing
        ``auto`` (chosen on the validation cases among the candidates of
        :mod:`radiogenomics.segment.postprocess`), ``none``, ``largest`` (largest connected component) or
        ``largest_fill`` (and its holes filled). The recipe used is in the model's ``model.json``.
    overlap
        Sliding-window overlap at inference (Gaussian blending).
    sw_batch_size
        Windows per forward pass at inference.
    ct_window
        CT normalisation: HU clipped to ``[lo, hi]`` and mapped linearly onto ``[-1, 1]``. Default
        −300…300 HU: fat, muscle, tumour and bone edges keep their contrast (a −1000…1000 window leaves soft
        tissue within 0.1 of the range).
    pet_scale_suv, pet_max_suv
        PET normalisation: ``min(max(SUV, 0), pet_max_suv) / pet_scale_suv``. Other modalities are z-scored per
        case (mean 0, SD 1 over the volume).
    threshold
        Foreground when its softmax probability is ≥ this.
    seed
        Seeds weight initialisation, patch sampling, augmentation and the validation split.
    device
        ``auto`` (CUDA when available, else CPU), ``cpu`` or ``cuda``.
    """

    METHOD: ClassVar[Method] = Method.attention_unet

    method: Method = Method.attention_unet
    channels: tuple[str, ...] = ("pet", "ct")
    spacing: tuple[float, float, float] | None = (3.0, 3.0, 3.0)
    features: tuple[int, ...] = (8, 16, 32, 64)
    strides: tuple[int, ...] = (2, 2, 2)
    patch_size: tuple[int, int, int] = (48, 48, 48)
    batch_size: int = 2
    epochs: int = 40
    iterations_per_epoch: int = 25
    learning_rate: float = 2e-3
    weight_decay: float = 1e-5
    foreground_fraction: float = 0.5
    validation_fraction: float = 0.2
    mirror: bool = True
    rotation_degrees: float = 15.0
    scaling: float = 0.15
    intensity: float = 0.15
    tta: bool = True
    postprocessing: PostProcessingChoice = PostProcessingChoice.auto
    overlap: float = 0.25
    sw_batch_size: int = 4
    ct_window: tuple[float, float] = (-300.0, 300.0)
    pet_scale_suv: float = 5.0
    pet_max_suv: float = 30.0
    threshold: float = 0.5

    @model_validator(mode="after")
    def _check(self) -> AttentionUNetSettings:
        if len(self.features) < 2 or any(f < 1 for f in self.features):
            raise SettingsError(f"features needs at least two positive channel counts, got {self.features}")
        if len(self.strides) != len(self.features) - 1 or any(s < 1 for s in self.strides):
            raise SettingsError(f"strides needs {len(self.features) - 1} positive values (len(features) - 1), "
                                f"got {self.strides}")
        factor = 1
        for s in self.strides:
            factor *= s
        if any(p < 1 or p % factor for p in self.patch_size):
            raise SettingsError(f"patch_size {self.patch_size} must be positive multiples of {factor} "
                                "(the product of strides)")
        for name in ("batch_size", "epochs", "iterations_per_epoch", "sw_batch_size"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.foreground_fraction <= 1.0:
            raise SettingsError(f"foreground_fraction must lie in [0, 1], got {self.foreground_fraction}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise SettingsError(f"validation_fraction must lie in [0, 1), got {self.validation_fraction}")
        if not 0.0 <= self.overlap < 1.0:
            raise SettingsError(f"overlap must lie in [0, 1), got {self.overlap}")
        if not 0.0 < self.threshold < 1.0:
            raise SettingsError(f"threshold must lie in (0, 1), got {self.threshold}")
        if self.learning_rate <= 0 or self.weight_decay < 0:
            raise SettingsError("learning_rate must be > 0 and weight_decay >= 0")
        if self.ct_window[0] >= self.ct_window[1]:
            raise SettingsError(f"ct_window must be (lo, hi) with lo < hi, got {self.ct_window}")
        if self.pet_scale_suv <= 0 or self.pet_max_suv <= 0:
            raise SettingsError("pet_scale_suv and pet_max_suv must be > 0")
        if self.spacing is not None and any(not v > 0 for v in self.spacing):
            raise SettingsError(f"spacing must hold three positive values in mm, got {self.spacing}")
        if not 0.0 <= self.rotation_degrees <= 180.0 or not 0.0 <= self.scaling < 1.0 or self.intensity < 0:
            raise SettingsError("rotation_degrees must lie in [0, 180], scaling in [0, 1) and intensity be >= 0")
        return self

    @field_validator("postprocessing", mode="before")
    @classmethod
    def _postprocessing(cls, value: Any) -> PostProcessingChoice:
        return PostProcessingChoice.parse(value)


class NnUNetSettings(_SegmentSettings):
    """nnU-Net v2 through its Python API (:mod:`radiogenomics.segment.nnunet`).

    Attributes
    ----------
    channels
        Modality columns in nnU-Net channel order (``_0000``, ``_0001``, …); default CT then PET. A channel
        named ``ct`` gets nnU-Net's CT normalisation, every other channel its per-image z-score.
    reference
        Grid every channel and the label are resampled onto (default ``ct`` when a channel, else the first);
        predicted masks are written on this grid.
    mask_column
        Manifest column of the labels.
    dataset_id, dataset_name
        nnU-Net dataset ``Dataset<id:03d>_<name>`` (inside the model's own nnU-Net folders).
    configuration
        nnU-Net configuration (``3d_fullres`` as the seed papers).
    folds
        Folds to train and ensemble at prediction (``0..n_splits-1``).
    n_splits
        Cross-validation folds written to ``splits_final.json`` (patient-wise, seeded).
    epochs
        Training epochs per fold (100 as seed 001; nnU-Net's default is 1000).
    iterations_per_epoch, val_iterations_per_epoch
        Training and validation mini-batches per epoch (nnU-Net: 250 and 50).
    learning_rate
        Initial learning rate of nnU-Net's SGD with polynomial decay (nnU-Net: 0.01).
    checkpoint
        Weights used for prediction: ``checkpoint_best.pth`` (epoch of the best exponential moving average of
        the validation pseudo-Dice) or ``checkpoint_final.pth`` (last epoch).
    tta
        Test-time augmentation by mirroring along every axis nnU-Net allows, averaged with the fold ensemble.
    tile_step_size
        Sliding-window step as a fraction of the patch size (nnU-Net: 0.5).
    processes
        Worker processes of nnU-Net's fingerprinting and preprocessing.
    augmentation_processes
        Data-augmentation workers during training (``nnUNet_n_proc_DA``; 0 = in the training process).
    keep_preprocessed
        Keep nnU-Net's preprocessed arrays after training (they can be large; the raw dataset and the
        training logs are always kept).
    save_every
        A fold writes ``checkpoint_latest.pth`` after every ``save_every``-th epoch (nnU-Net: 50), which an
        interrupted fold continues from (``segment train --resume``).
    seed
        Seeds the fold split and the training (torch, NumPy and Python RNGs, restored afterwards).
    device
        ``auto`` (CUDA when available, else CPU), ``cpu`` or ``cuda``.
    """

    METHOD: ClassVar[Method] = Method.nnunet

    method: Method = Method.nnunet
    channels: tuple[str, ...] = ("ct", "pet")
    dataset_id: int = 501
    dataset_name: str = "Radiogenomics"
    configuration: str = "3d_fullres"
    folds: tuple[int, ...] = (0, 1, 2, 3, 4)
    n_splits: int = 5
    epochs: int = 100
    iterations_per_epoch: int = 250
    val_iterations_per_epoch: int = 50
    learning_rate: float = 0.01
    checkpoint: str = "checkpoint_best.pth"
    tta: bool = True
    tile_step_size: float = 0.5
    processes: int = 1
    augmentation_processes: int = 0
    keep_preprocessed: bool = False
    save_every: int = 1

    @model_validator(mode="after")
    def _check(self) -> NnUNetSettings:
        if not 1 <= self.dataset_id <= 999:
            raise SettingsError(f"dataset_id must lie in 1..999, got {self.dataset_id}")
        if not self.dataset_name.replace("_", "").isalnum():
            raise SettingsError(f"dataset_name must be letters, digits and '_', got {self.dataset_name!r}")
        valid_conf = ("2d", "3d_fullres", "3d_lowres")
        if self.configuration not in valid_conf:
            raise UnknownNameError("nnU-Net configuration", self.configuration, valid_conf)
        for name in ("epochs", "iterations_per_epoch", "val_iterations_per_epoch", "processes", "save_every"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.n_splits < 2:
            raise SettingsError(f"n_splits must be >= 2, got {self.n_splits}")
        if not self.folds or any(not 0 <= f < self.n_splits for f in self.folds) or len(set(self.folds)) != len(
                self.folds):
            raise SettingsError(f"folds must be distinct values in 0..{self.n_splits - 1}, got {self.folds}")
        if self.checkpoint not in ("checkpoint_best.pth", "checkpoint_final.pth"):
            raise UnknownNameError("nnU-Net checkpoint", self.checkpoint,
                                   ("checkpoint_best.pth", "checkpoint_final.pth"))
        if not 0.0 < self.tile_step_size <= 1.0 or self.learning_rate <= 0:
            raise SettingsError("tile_step_size must lie in (0, 1] and learning_rate be > 0")
        if self.augmentation_processes < 0:
            raise SettingsError("augmentation_processes must be >= 0")
        return self

    @property
    def dataset_folder(self) -> str:
        """``Dataset<id:03d>_<name>``."""
        return f"Dataset{self.dataset_id:03d}_{self.dataset_name}"


class ThresholdRule(Choice, kind="threshold rule", aliases={"suv2.5": "suv", "41%": "suvmax_fraction",
                                                             "suvmax": "suvmax_fraction"}):
    """Rules of the threshold method (:mod:`radiogenomics.segment.threshold`)."""

    suv = "suv"
    suvmax_fraction = "suvmax_fraction"
    percist = "percist"


class ThresholdKeep(Choice, kind="threshold component rule"):
    """Which connected components of the thresholded region a threshold method keeps."""

    hottest = "hottest"
    largest = "largest"
    all = "all"


class ThresholdSettings(_SegmentSettings):
    """A PET threshold rule that needs no training (:mod:`radiogenomics.segment.threshold`).

    Attributes
    ----------
    channels
        The PET (SUV) modality column, one value (default ``pet``).
    reference
        Modality whose grid the masks are written on (the PET is interpolated linearly onto it before the
        threshold); default ``ct`` when the case has a CT, else the PET's own grid.
    rule
        ``suv`` (SUV ≥ ``suv``), ``suvmax_fraction`` (SUV ≥ ``fraction`` × SUVmax of the search region) or
        ``percist`` (SUV ≥ 1.5 × liver mean + 2 × liver SD, PERCIST 1.0's measurability threshold; needs
        ``liver_column``).
    suv, fraction
        The thresholds of ``suv`` (default 2.5) and ``suvmax_fraction`` (default 0.41).
    liver_column
        Manifest column of a liver ROI (``percist``).
    within
        Manifest column of a seed region or coarse mask that limits the search (dilated by ``margin_mm``);
        ``None`` searches the whole image (a cropped volume of interest).
    margin_mm
        Dilation of ``within`` (Euclidean distance, mm).
    keep
        ``hottest``: the connected component holding the search region's SUVmax; ``largest``; or ``all``.
    fill_holes
        Fill enclosed cavities (necrotic cores below the threshold) of the kept region.
    """

    METHOD: ClassVar[Method] = Method.threshold
    REFERENCE_IN_CHANNELS: ClassVar[bool] = False

    method: Method = Method.threshold
    channels: tuple[str, ...] = ("pet",)
    rule: ThresholdRule = ThresholdRule.suvmax_fraction
    suv: float = 2.5
    fraction: float = 0.41
    liver_column: str | None = None
    within: str | None = None
    margin_mm: float = 0.0
    keep: ThresholdKeep = ThresholdKeep.hottest
    fill_holes: bool = True

    @field_validator("rule", mode="before")
    @classmethod
    def _rule(cls, value: Any) -> ThresholdRule:
        return ThresholdRule.parse(value)

    @field_validator("keep", mode="before")
    @classmethod
    def _keep(cls, value: Any) -> ThresholdKeep:
        return ThresholdKeep.parse(value)

    @model_validator(mode="after")
    def _check(self) -> ThresholdSettings:
        if len(self.channels) != 1:
            raise SettingsError(f"the threshold method reads one PET channel, got {list(self.channels)}")
        if not self.suv > 0 or not 0.0 < self.fraction < 1.0 or self.margin_mm < 0:
            raise SettingsError("suv must be > 0, fraction lie in (0, 1) and margin_mm be >= 0")
        if self.rule is ThresholdRule.percist and not self.liver_column:
            raise SettingsError("rule 'percist' needs liver_column, the manifest column of a liver ROI")
        return self

    @property
    def label(self) -> str:
        """Short name of the rule, e.g. ``SUV >= 2.5`` or ``41% SUVmax``."""
        if self.rule is ThresholdRule.suv:
            return f"SUV >= {self.suv:g}"
        if self.rule is ThresholdRule.suvmax_fraction:
            return f"{100 * self.fraction:g}% SUVmax"
        return "PERCIST liver"


_CLASSES: dict[Method, type[_SegmentSettings]] = {
    Method.attention_unet: AttentionUNetSettings,
    Method.nnunet: NnUNetSettings,
    Method.threshold: ThresholdSettings,
}


def read_model_meta(modeldir: str | Path, method: Method, device: Device | str | None = None
                    ) -> tuple[dict[str, Any], AttentionUNetSettings | NnUNetSettings | ThresholdSettings]:
    """``model.json`` of a model folder of ``method`` and its settings (``device`` overriding the saved one)."""
    path = Path(modeldir) / META_FILE
    if not path.is_file():
        raise ModelDirError(f"{path.parent} is not a model folder (no {META_FILE})")
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelDirError(f"{path} cannot be read: {exc}") from exc
    if meta.get("method") != method.value:
        raise ModelDirError(f"{path.parent} holds a {meta.get('method')!r} model, not {method.value!r}")
    settings = _CLASSES[method].validate_dict(meta.get("settings", {}))
    if device is not None:
        settings = settings.replace(device=Device.parse(device))
    return meta, settings  # type: ignore[return-value]


def load_segment_settings(
    method: Method | str, source: str | Path | Mapping[str, Any] | None = None
) -> AttentionUNetSettings | NnUNetSettings | ThresholdSettings:
    """Settings of ``method`` from a YAML/JSON file or a mapping (defaults when ``source`` is ``None``)."""
    kind = Method.parse(method)
    data: Any = {}
    if isinstance(source, str | Path):
        data = read_settings_file(source, "segmentation settings file")
    elif source is not None:
        data = source
    if not isinstance(data, Mapping):
        raise SettingsError("segmentation settings must be a mapping of setting names to values")
    data = dict(data)
    given = data.pop("method", kind.value)
    if Method.parse(given) is not kind:
        raise SettingsError(f"settings are for method {given!r} but method {kind.value!r} was asked for")
    return _CLASSES[kind].validate_dict({"method": kind, **data})  # type: ignore[return-value]
