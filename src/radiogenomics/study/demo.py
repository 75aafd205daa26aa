"""The built-in demo study (``radiogenomics demo``): ``demo.yaml`` of this package on synthetic data."""

from __future__ import annotations

from importlib import resources

import yaml

from radiogenomics.study.settings import StudySettings

__all__ = ["demo_settings"]


def demo_settings(n: int = 60, seed: int = 0) -> StudySettings:
    """The demo study with ``n`` synthetic patients and base seed ``seed``."""
    data = yaml.safe_load(resources.files("radiogenomics.study").joinpath("demo.yaml").read_text())
    data["seed"] = seed
    data["data"]["synthetic"]["n"] = n
    return StudySettings.validate_dict(data)
