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

from radiogenomics.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "cache": ("FAILURE_COLUMNS", "VolumeCache", "prepare_volumes"),
    "classifier": ("CNNClassifier", "case_ids_of"),
    "errors": ("CNNError", "SavedModelError", "VolumeCacheError"),
    "networks": ("ARCHITECTURES", "build_network", "canonical_arch", "count_parameters", "min_input_size"),
    "persistence": ("load_cnn", "save_cnn"),
    "preprocess": ("ChannelStats", "crop_geometry", "crop_resize", "n4_correct", "normalise_case", "prepare_case"),
    "evaluation": ("cnn_source_name", "run_cnn", "write_cnn_outputs"),
    "settings": ("CNNSettings", "PreprocessSettings", "TrainSettings", "load_cnn_settings"),
    "stage": ("CnnOptions", "CnnOutputs", "CnnRunSettings", "run"),
})
