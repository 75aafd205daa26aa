"""3D CNN classifiers on images (DESIGN §1 row 14): N4, tumour bounding-box crop, MONAI networks.

- :func:`prepare_volumes` — manifest → cached ``(C, z, y, x)`` inputs (N4, crop + resize);
- :class:`CNNClassifier` — a scikit-learn estimator on those volumes, evaluated with
  :func:`radiogenomics.models.evaluate` like any radiomics model;
- :func:`save_cnn` / :func:`load_cnn` — safetensors weights + JSON config;
- :func:`run_cnn` / :func:`write_cnn_outputs` — manifest → evaluated CNN (+ radiomics models) → files;
- :data:`ARCHITECTURES` / :func:`build_network` — the network registry.

Layering: above ``preprocess``/``io``/``cohort`` (manifest) and ``models`` (protocol, metrics).
"""

from __future__ import annotations

import logging

from radiogenomics.cnn.cache import FAILURE_COLUMNS, VolumeCache, prepare_volumes
from radiogenomics.cnn.classifier import CNNClassifier, case_ids_of
from radiogenomics.cnn.errors import CNNError, SavedModelError, VolumeCacheError
from radiogenomics.cnn.networks import (
    ARCHITECTURES,
    build_network,
    canonical_arch,
    count_parameters,
    min_input_size,
)
from radiogenomics.cnn.persistence import load_cnn, save_cnn
from radiogenomics.cnn.preprocess import (
    ChannelStats,
    crop_geometry,
    crop_resize,
    n4_correct,
    normalise_case,
    prepare_case,
)
from radiogenomics.cnn.run import cnn_source_name, run_cnn, write_cnn_outputs
from radiogenomics.cnn.settings import CNNSettings, PreprocessSettings, TrainSettings, load_cnn_settings

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "ARCHITECTURES",
    "FAILURE_COLUMNS",
    "CNNClassifier",
    "CNNError",
    "CNNSettings",
    "ChannelStats",
    "PreprocessSettings",
    "SavedModelError",
    "TrainSettings",
    "VolumeCache",
    "VolumeCacheError",
    "build_network",
    "canonical_arch",
    "case_ids_of",
    "cnn_source_name",
    "count_parameters",
    "crop_geometry",
    "crop_resize",
    "load_cnn",
    "load_cnn_settings",
    "min_input_size",
    "n4_correct",
    "normalise_case",
    "prepare_case",
    "prepare_volumes",
    "run_cnn",
    "save_cnn",
    "write_cnn_outputs",
]
