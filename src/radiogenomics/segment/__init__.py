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

from radiogenomics.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "attention_unet": ("AttentionUNetSegmenter",),
    "errors": ("MissingDependencyError", "ModelDirError", "SegmentationError"),
    "metrics": (
        "SegmentationEvaluation", "case_metrics", "dice", "evaluate_segmentations", "hd95", "iou", "lesion_table",
        "metrics_by_size", "surface_dice"
    ),
    "nnunet": ("NnUNetSegmenter", "write_dataset"),
    "registry": (
        "PredictionResult", "evaluate_manifest", "load_segmenter", "predict_manifest", "resolve_auto_masks",
        "train_segmenter"
    ),
    "settings": (
        "AttentionUNetSettings", "Device", "Method", "NnUNetSettings", "load_segment_settings", "resolve_device"
    ),
    "stage": ("run",),
})
