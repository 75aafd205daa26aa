"""Settings of the 3D CNN stage: one frozen, validated object for preprocessing and one for training.

Unknown keys fail with the closest valid name (:class:`~radiogenomics.errors.UnknownNameError`); sizes are in
``(x, y, z)`` order like spacing everywhere in the package. :func:`load_cnn_settings` reads a YAML/JSON
file with the sections ``preprocess`` and ``train``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

from pydantic import field_validator, model_validator

from radiogenomics.cnn.networks import WIDTH_ARCHITECTURES, canonical_arch, min_input_size
from radiogenomics.errors import SettingsError
from radiogenomics.settings import Names, _Settings, read_settings_file

__all__ = ["CNNSettings", "PreprocessSettings", "TrainSettings", "load_cnn_settings"]


class PreprocessSettings(_Settings):
    """How a case becomes a network input (see :mod:`radiogenomics.cnn.preprocess`).

    Attributes
    ----------
    channels
        Manifest image columns stacked as input channels, in order (``("pet", "ct")``, or DCE phases such as
        ``("mri_dce0", "mri_dce1", "mri_dce2", "mri_dce3")``).
    roi
        ROI whose mask (manifest column ``<roi>_mask``) defines the bounding box.
    size
        Output voxels ``(x, y, z)``; the box (plus margin) is resampled to exactly this size (seed 003:
        128 × 128 × 68).
    margin_mm
        Margin added on every side of the ROI's bounding box, in mm.
    n4
        Channels to correct with N4 before cropping (MRI; must be a subset of ``channels``).
    n4_shrink, n4_iterations
        N4 shrink factor and iterations per fitting level (the number of levels is their count).
    """

    settings_name: ClassVar[str] = "CNN preprocessing settings"

    channels: Names = ("pet", "ct")
    roi: str = "tumour"
    size: tuple[int, int, int] = (128, 128, 68)
    margin_mm: float = 10.0
    n4: Names = ()
    n4_shrink: int = 4
    n4_iterations: tuple[int, ...] = (50, 50, 50, 50)

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list | tuple) and len(value) != 3:
            raise SettingsError(f"size needs 3 values (x, y, z), got {len(value)}: {tuple(value)}")
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.channels:
            raise SettingsError("channels: give at least one image column")
        if len(set(self.channels)) != len(self.channels):
            raise SettingsError(f"channels: duplicates in {list(self.channels)}")
        if any(s < 4 for s in self.size):
            raise SettingsError(f"size: every dimension must be >= 4, got {self.size}")
        if self.margin_mm < 0:
            raise SettingsError(f"margin_mm must be >= 0, got {self.margin_mm}")
        extra = [c for c in self.n4 if c not in self.channels]
        if extra:
            raise SettingsError(f"n4: {extra} are not among the channels {list(self.channels)}")
        if self.n4_shrink < 1 or not self.n4_iterations or min(self.n4_iterations) < 1:
            raise SettingsError("n4_shrink must be >= 1 and n4_iterations a non-empty list of positive numbers")
        return self


class TrainSettings(_Settings):
    """Network and training of :class:`~radiogenomics.cnn.classifier.CNNClassifier`.

    Attributes
    ----------
    arch, width
        Architecture name (:data:`~radiogenomics.cnn.networks.ARCHITECTURES`) and ResNet width factor.
    max_epochs, patience, batch_size, lr, weight_decay
        AdamW training; early stopping after ``patience`` epochs without a lower validation loss.
    val_fraction
        Share of the training cases held out (stratified) for early stopping.
    class_weight
        ``"balanced"`` (positive-class weight :math:`n_-/n_+` in the loss) or ``None``.
    normalise
        ``"cohort"``: per channel, subtract the mean and divide by the SD over the *training* cases' voxels
        (absolute intensities such as SUV keep their meaning); ``"case"``: per case and channel (MRI);
        ``"none"``.
    augment, flip_prob, rotate_deg, intensity
        Training augmentation: flip each axis with probability ``flip_prob``; rotate in-plane by an angle
        uniform in ``±rotate_deg``; per channel, scale by :math:`1 + U(-a, a)` and shift by :math:`U(-a, a)`
        with :math:`a` = ``intensity`` (in normalised units).
    device
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
    amp
        Mixed precision (float16 autocast with gradient scaling) — used on CUDA only.
    seed
        Seed of initialisation, batching, augmentation and the inner split.
    """

    settings_name: ClassVar[str] = "CNN training settings"

    arch: str = "resnet34"
    width: float = 1.0
    max_epochs: int = 50
    patience: int = 10
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    val_fraction: float = 0.2
    class_weight: Literal["balanced"] | None = "balanced"
    normalise: Literal["cohort", "case", "none"] = "cohort"
    augment: bool = True
    flip_prob: float = 0.5
    rotate_deg: float = 10.0
    intensity: float = 0.1
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: bool = True
    seed: int = 0

    @field_validator("arch")
    @classmethod
    def _arch(cls, value: str) -> str:
        return canonical_arch(value)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.width <= 0 or (self.width != 1.0 and self.arch not in WIDTH_ARCHITECTURES):
            raise SettingsError(f"width {self.width:g} is invalid for {self.arch} "
                                f"(> 0, and != 1 only for {', '.join(sorted(WIDTH_ARCHITECTURES))})")
        if min(self.max_epochs, self.patience, self.batch_size) < 1:
            raise SettingsError("max_epochs, patience and batch_size must be >= 1")
        if self.batch_size < 2:
            raise SettingsError("batch_size must be >= 2 (batch normalisation)")
        if not 0 < self.val_fraction < 0.5 or self.lr <= 0 or self.weight_decay < 0:
            raise SettingsError("need 0 < val_fraction < 0.5, lr > 0, weight_decay >= 0")
        if not 0 <= self.flip_prob <= 1 or not 0 <= self.rotate_deg <= 45 or not 0 <= self.intensity < 1:
            raise SettingsError("need 0 <= flip_prob <= 1, 0 <= rotate_deg <= 45, 0 <= intensity < 1")
        return self


class CNNSettings(_Settings):
    """Both sections, as in a settings file (each may be given as a mapping, validated as its class)."""

    settings_name: ClassVar[str] = "CNN settings"

    preprocess: PreprocessSettings = PreprocessSettings()
    train: TrainSettings = TrainSettings()

    @model_validator(mode="after")
    def _fits(self) -> Self:
        low = min_input_size(self.train.arch)
        if min(self.preprocess.size) < low:
            raise SettingsError(f"{self.train.arch} needs an input of at least {low} voxels along every axis; "
                                f"preprocess.size is {tuple(self.preprocess.size)}")
        return self


def load_cnn_settings(source: str | Path | Mapping[str, Any] | None = None) -> CNNSettings:
    """:class:`CNNSettings` from a YAML/JSON file or a mapping (defaults when ``source`` is ``None``).

    Raises
    ------
    SettingsError
        The file is missing, cannot be parsed or does not hold a mapping; a value is invalid.
    UnknownNameError
        A section or key is unknown (the closest valid name is suggested).
    """
    if source is None:
        return CNNSettings()
    if isinstance(source, str | Path):
        source = read_settings_file(source, "CNN settings file")
    if not isinstance(source, Mapping):
        raise SettingsError("CNN settings must be a mapping with the sections 'preprocess' and 'train'")
    return CNNSettings.validate_dict(source)
