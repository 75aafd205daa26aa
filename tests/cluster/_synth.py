"""Cohort tables for the clustering tests, from the synthetic PET/CT generator (:mod:`radiogenomics.synth`).

* :func:`spec_table` — the cheap path: every patient's scalar design from ``radiogenomics.synth.effects.sample_specs``
  (the same patients, clinical variables, TP53/MMR labels and planted parameters as the image cohort, without
  forming images). The planted image parameters and the nuisance parameters become the feature columns, so the
  TP53 effect reaches 5 of 14 features (tumour SUVmax, CT/PET texture SD, BAT SUV and size) exactly as it reaches
  the images. Fast enough for rates over many seeds.
* :func:`image_table` — features really extracted from the ``tiny`` synthetic PET/CT images (tumour CT and PET,
  first-order), about 0.3 s per patient.
* :func:`planted_groups` — Gaussian blobs with known groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiogenomics.synth.effects import sample_specs

CLINICAL = ("age", "bmi", "figo_stage", "lymph_nodes", "grade", "cancer_type")


def spec_table(n: int, effect: float, seed: int) -> pd.DataFrame:
    rows = []
    for s in sample_specs(n, effect, seed):
        rows.append({
            "case_id": s.case_id,
            "tumour_pet__suvmax": s.tumour_suvmax,
            "tumour_ct__texture_sd": s.ct_texture_sd,
            "tumour_pet__texture_sd": s.pet_texture_sd,
            "tumour_ct__texture_scale_mm": s.texture_scale_mm,
            "bat_pet__suv": s.bat_suv,
            "bat_pet__size": s.bat_size,
            "tumour_ct__diameter_mm": s.tumour_diameter_mm,
            "tumour_ct__axis_ratio_1": s.tumour_axis_ratios[0],
            "tumour_ct__axis_ratio_2": s.tumour_axis_ratios[1],
            "tumour_ct__irregularity": s.tumour_irregularity,
            "liver_pet__suv": s.liver_suv,
            "bladder_pet__suv": s.bladder_suv,
            "bladder_pet__scale": s.bladder_scale,
            "body_pet__noise_cov": s.pet_noise_cov,
            **{c: s.clinical[c] for c in CLINICAL},
            "TP53": s.labels["TP53"],
            "MMR": s.labels["MMR"],
        })
    return pd.DataFrame(rows)


def image_table(n: int, effect: float, seed: int) -> pd.DataFrame:
    from radiogenomics import extract
    from radiogenomics.preprocess import resample_to_reference
    from radiogenomics.settings import ExtractionSettings
    from radiogenomics.synth import generate_patient

    ct_settings = ExtractionSettings(feature_classes={"firstorder": None})
    pet_settings = ct_settings.replace(bin_width=0.25)
    rows = []
    for i in range(n):
        p = generate_patient(i, effect, seed, size="tiny")
        row: dict[str, object] = {"case_id": p.spec.case_id}
        ct = extract(p.ct, p.tumour, settings=ct_settings)
        pet = extract(resample_to_reference(p.pet, p.ct), p.tumour, settings=pet_settings)
        row.update({f"tumour_ct__{k}": v for k, v in ct.items()})
        row.update({f"tumour_pet__{k}": v for k, v in pet.items()})
        row.update({c: p.spec.clinical[c] for c in CLINICAL})
        row.update(p.spec.labels)
        rows.append(row)
    return pd.DataFrame(rows)


def planted_groups(n_per: int = 40, p: int = 6, sep: float = 8.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three spherical Gaussian groups (SD 1) whose centres are ``sep`` apart; returns X and the true labels."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((3, p))
    centres[1, 0] = sep
    centres[2, 1] = sep
    truth = np.repeat(np.arange(3), n_per)
    x = centres[truth] + rng.standard_normal((3 * n_per, p))
    perm = rng.permutation(truth.size)
    return x[perm], truth[perm]
