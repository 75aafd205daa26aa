"""Tumour segmentation (DESIGN §1): nnU-Net v2 bridge, MONAI Attention U-Net, metrics, auto-mask pipeline.

- :class:`NnUNetSegmenter` — manifest → nnU-Net raw dataset → plans, preprocessing, per-fold training with
  our :class:`~radiogenomics.segment.nnunet_trainer.RadiogenomicsTrainer` → fold ensemble with mirroring TTA;
- :class:`AttentionUNetSegmenter` — MONAI ``AttentionUnet`` trained on patches (Dice + CE), sliding-window
  inference;
- :func:`train_segmenter` / :func:`load_segmenter` / :func:`predict_manifest` / :func:`evaluate_manifest` —
  the manifest-level steps behind ``radiogenomics segment train|predict|evaluate``;
- :func:`resolve_auto_masks` — ``auto:<modeldir>`` mask cells become predicted masks before extraction;
- :mod:`radiogenomics.segment.metrics` — Dice, IoU, HD95, surface Dice, lesion-wise detection, by lesion size.

Layering: above ``io``/``preprocess``/``cohort`` (manifest); nothing below imports this package.
"""

from __future__ import annotations

import logging

from radiogenomics.segment.attention_unet import AttentionUNetSegmenter
from radiogenomics.segment.errors import MissingDependencyError, ModelDirError, SegmentationError
from radiogenomics.segment.metrics import (
    SegmentationEvaluation,
    case_metrics,
    dice,
    evaluate_segmentations,
    hd95,
    iou,
    lesion_table,
    metrics_by_size,
    surface_dice,
)
from radiogenomics.segment.nnunet import NnUNetSegmenter, write_dataset
from radiogenomics.segment.registry import (
    PredictionResult,
    evaluate_manifest,
    load_segmenter,
    predict_manifest,
    resolve_auto_masks,
    train_segmenter,
)
from radiogenomics.segment.settings import (
    AttentionUNetSettings,
    Device,
    Method,
    NnUNetSettings,
    load_segment_settings,
    resolve_device,
)

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "AttentionUNetSegmenter",
    "AttentionUNetSettings",
    "Device",
    "Method",
    "MissingDependencyError",
    "ModelDirError",
    "NnUNetSegmenter",
    "NnUNetSettings",
    "PredictionResult",
    "SegmentationError",
    "SegmentationEvaluation",
    "case_metrics",
    "dice",
    "evaluate_manifest",
    "evaluate_segmentations",
    "hd95",
    "iou",
    "lesion_table",
    "load_segment_settings",
    "load_segmenter",
    "metrics_by_size",
    "predict_manifest",
    "resolve_auto_masks",
    "resolve_device",
    "surface_dice",
    "train_segmenter",
    "write_dataset",
]
