"""Synthetic PET/CT cohorts with planted, known label effects (DESIGN §1 capability 16).

:func:`make_cohort` draws ``n_patients`` patients — clinical variables after Table 1 of seed 001
(:mod:`radiogenomics.synth.clinical`), TP53 and MMR labels, latent factors carrying the planted effects
(:mod:`radiogenomics.synth.effects`) — and forms each one's CT, PET (SUV) and tumour mask
(:mod:`radiogenomics.synth.anatomy`, :mod:`radiogenomics.synth.scanner`). With an output folder it writes::

    OUTDIR/manifest.csv            case_id, ct, pet, tumour_mask, age, bmi, figo_stage, lymph_nodes, grade,
                                   cancer_type, TP53, MMR (paths relative to the manifest; DESIGN §2)
    OUTDIR/manifest_dicom.csv      the same with ct/pet pointing at the DICOM series (with dicom=True)
    OUTDIR/truth.json              seed, effect size, which latent factors/features carry which label, and
                                   every patient's latent values, planted parameters and acquisition
    OUTDIR/cases/<id>/ct.nii.gz            CT, int16 HU
    OUTDIR/cases/<id>/pet.nii.gz           PET, float32 SUV (body weight), on the coarser PET grid
    OUTDIR/cases/<id>/tumour_mask.nii.gz   tumour, uint8 0/1 on the CT grid
    OUTDIR/cases/<id>/bat_depots.nii.gz    planted brown-fat depots (truth, not in the manifest), labels
                                           1/2 left/right supraclavicular, 3/4 left/right paravertebral
    OUTDIR/cases/<id>/dicom/{ct,pet}/      DICOM series with SUV tags (with dicom=True)

Manifest columns: ``age`` (years), ``bmi`` (kg/m²), ``figo_stage`` (``I``–``IV`` or ``indeterminate``),
``lymph_nodes`` (1 = metastasis), ``grade`` (1/2/3 = well/moderately/poorly differentiated),
``cancer_type`` (``endometrial``/``ovarian``/``cervical``); targets ``TP53`` (1 = mutant) and ``MMR``
(1 = deficient). Case ids are synthetic (``SYN0001`` …).

Every file is a deterministic function of ``(seed, effect_size, size)`` and the patient index: patient
``i`` has its own random streams (``[seed, 0, i]`` for its scalars, ``[seed, 1, i]`` for its images), so
the output does not depend on the number of workers, and a cohort of ``n`` patients is the first ``n``
patients of any larger cohort with the same seed.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiogenomics import __version__
from radiogenomics.errors import UnknownNameError
from radiogenomics.image import Image, Mask
from radiogenomics.io import write_image
from radiogenomics.synth.anatomy import GRIDS, GridSpec, build_anatomy
from radiogenomics.synth.clinical import PREVALENCE
from radiogenomics.synth.effects import FACTORS, SHIFT, PatientSpec, bat_threshold, plain_json, sample_spec
from radiogenomics.synth.scanner import scan

__all__ = [
    "CLINICAL_COLUMNS",
    "MANIFEST_COLUMNS",
    "TARGET_COLUMNS",
    "SyntheticCohort",
    "SyntheticPatient",
    "generate_patient",
    "make_cohort",
]

logger = logging.getLogger(__name__)

CLINICAL_COLUMNS = ("age", "bmi", "figo_stage", "lymph_nodes", "grade", "cancer_type")
TARGET_COLUMNS = ("TP53", "MMR")
MANIFEST_COLUMNS = ("case_id", "ct", "pet", "tumour_mask", *CLINICAL_COLUMNS, *TARGET_COLUMNS)


@dataclass(frozen=True)
class SyntheticPatient:
    """One synthetic patient: design, images and what was measured while making them.

    Attributes
    ----------
    spec
        Clinical variables, labels, latent factors and planted parameters.
    ct, pet
        CT (int16 HU) and PET (float32 SUV, PET grid).
    tumour, bat_depots
        Tumour mask (0/1) and planted brown-fat depots (labels 1–4), both on the CT grid.
    pet_stored, pet_slopes
        PET as a scanner stores it: int16 values and per-slice rescale slopes (Bq/mL per unit).
    info
        Realised quantities (tumour volume, activity scale, depot volume, placement).
    """

    spec: PatientSpec
    ct: Image
    pet: Image
    tumour: Mask
    bat_depots: Mask
    pet_stored: np.ndarray
    pet_slopes: np.ndarray
    info: dict[str, Any]


@dataclass(frozen=True)
class SyntheticCohort:
    """Result of :func:`make_cohort`.

    Attributes
    ----------
    manifest
        One row per patient, columns :data:`MANIFEST_COLUMNS` (paths empty when nothing was written).
    truth
        The content of ``truth.json``.
    outdir
        Output folder, or ``None``.
    patients
        The patients with their images when kept in memory (``keep_volumes``), else empty.
    """

    manifest: pd.DataFrame
    truth: dict[str, Any]
    outdir: Path | None = None
    patients: tuple[SyntheticPatient, ...] = field(default_factory=tuple)


def _grid(size: str | GridSpec) -> GridSpec:
    if isinstance(size, GridSpec):
        return size
    if size not in GRIDS:
        raise UnknownNameError("cohort size", str(size), GRIDS)
    return GRIDS[size]


def generate_patient(index: int, effect_size: float = 1.0, seed: int = 0, size: str = "small") -> SyntheticPatient:
    """Generate patient ``index`` of the cohort ``(seed, effect_size, size)`` in memory.

    Parameters
    ----------
    index
        0-based patient index (case id ``SYN{index + 1:04d}``).
    effect_size
        Strength of the planted effects (0 = none), see :mod:`radiogenomics.synth.effects`.
    seed
        Cohort seed (a non-negative integer).
    size
        ``"tiny"`` (tests), ``"small"`` or ``"paper"`` (see :mod:`radiogenomics.synth.anatomy`).
    """
    grid = _grid(size)
    spec = sample_spec(index, effect_size, seed)
    rng = np.random.default_rng([int(seed), 1, int(index)])
    anatomy = build_anatomy(spec, grid, rng)
    result = scan(spec, anatomy, grid, rng)
    info = {**anatomy.info, **result.info}
    return SyntheticPatient(
        spec=spec,
        ct=result.ct,
        pet=result.pet,
        tumour=result.tumour,
        bat_depots=result.depots,
        pet_stored=result.pet_stored,
        pet_slopes=result.pet_slopes,
        info=info,
    )


def _case_paths(case_id: str) -> dict[str, str]:
    base = f"cases/{case_id}"
    return {
        "ct": f"{base}/ct.nii.gz",
        "pet": f"{base}/pet.nii.gz",
        "tumour_mask": f"{base}/tumour_mask.nii.gz",
        "bat_depots": f"{base}/bat_depots.nii.gz",
        "dicom_ct": f"{base}/dicom/ct",
        "dicom_pet": f"{base}/dicom/pet",
    }


def _patient_record(patient: SyntheticPatient, written: bool, dicom: bool) -> dict[str, Any]:
    record = patient.spec.to_json()
    record["realised"] = plain_json(patient.info)
    if written:
        paths = _case_paths(patient.spec.case_id)
        record["files"] = {k: v for k, v in paths.items() if dicom or not k.startswith("dicom")}
    return record


def _write_patient(patient: SyntheticPatient, outdir: Path, seed: int, dicom: bool) -> None:
    paths = _case_paths(patient.spec.case_id)
    write_image(patient.ct, outdir / paths["ct"])
    write_image(patient.pet, outdir / paths["pet"])
    write_image(patient.tumour, outdir / paths["tumour_mask"])
    write_image(patient.bat_depots, outdir / paths["bat_depots"])
    if dicom:
        from radiogenomics.synth.dicom import write_dicom_series  # lazy: imports pydicom

        write_dicom_series(
            outdir / f"cases/{patient.spec.case_id}/dicom",
            patient.spec.case_id,
            seed,
            patient.ct,
            patient.pet_stored,
            patient.pet_slopes,
            patient.pet,
            patient.spec.acquisition,
            patient.spec.clinical["age"],
        )


def _job(args: tuple[int, float, int, str, str | None, bool, bool]) -> tuple[dict[str, Any], SyntheticPatient | None]:
    """Generate (and write) one patient; return its truth record and, if kept, the patient."""
    index, effect_size, seed, size, outdir, dicom, keep = args
    patient = generate_patient(index, effect_size, seed, size)
    if outdir is not None:
        _write_patient(patient, Path(outdir), seed, dicom)
    return _patient_record(patient, outdir is not None, dicom), (patient if keep else None)


def _truth_header(n_patients: int, effect_size: float, seed: int, grid: GridSpec) -> dict[str, Any]:
    labels: dict[str, Any] = {}
    for name in TARGET_COLUMNS:
        labels[name] = {
            "prevalence": PREVALENCE[name],
            "factors": [f.name for f in FACTORS if f.label == name],
            "features": {feat: ("higher" if sign > 0 else "lower")
                         for f in FACTORS if f.label == name for feat, sign in f.features},
        }
    return {
        "generator": "radiogenomics.synth.make_cohort",
        "version": __version__,
        "seed": int(seed),
        "effect_size": float(effect_size),
        "n_patients": int(n_patients),
        "size": grid.name,
        "grid": {
            "ct_size": list(grid.ct_size), "ct_spacing": list(grid.ct_spacing),
            "pet_size": list(grid.pet_size), "pet_spacing": list(grid.pet_spacing),
            "ct_noise_hu": grid.ct_noise_hu,
        },
        "model": {
            "latent": "z = eps + effect_size * shift * (label - 0.5), eps ~ N(0, 1)",
            "shift_sd": SHIFT,
            "bat_threshold_tau": bat_threshold(),
            "null": "at effect_size 0 the tumour (size, shape, uptake, texture) and brown fat (activity, depots) "
                    "are independent of TP53, MMR and every clinical variable; labels and clinical variables reach "
                    "the images only through BMI (subcutaneous fat) and cancer type (where the tumour sits)",
        },
        "labels": labels,
        "factors": {f.name: f.to_json() for f in FACTORS},
        "bat_rule": {"suv_threshold": 1.5, "hu_range": [-190.0, -10.0], "source": "seed 001, Methods 2.4"},
        "feature_naming": "<roi>_<modality>__<imagetype>_<family>_<Feature> (DESIGN §2); bat_volume_ml is the "
                          "volume of the BAT rule's mask",
    }


def make_cohort(
    n_patients: int = 60,
    effect_size: float = 1.0,
    seed: int = 0,
    *,
    size: str = "small",
    outdir: str | Path | None = None,
    dicom: bool = False,
    workers: int = 1,
    keep_volumes: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SyntheticCohort:
    """Generate a synthetic PET/CT cohort with planted label effects (module docstring).

    Parameters
    ----------
    n_patients
        Number of patients (≥ 1).
    effect_size
        Strength of every planted effect, ≥ 0; 0 = images independent of the labels; at 1 each planted
        latent factor separates its label's groups by 2 SD (latent AUC 0.92).
    seed
        Non-negative integer; equal seeds give byte-identical files.
    size
        ``"small"`` (2 × 2 × 4 mm CT, 4 mm PET), ``"paper"`` (0.98 × 0.98 × 3 mm CT, 3.92 × 3.92 × 3 mm PET)
        or ``"tiny"`` (for tests).
    outdir
        Folder to write into (created); ``None`` keeps everything in memory.
    dicom
        Also write DICOM CT and PET series with SUV tags (needs ``outdir``).
    workers
        Processes to use (0 = all CPUs). The output does not depend on it.
    keep_volumes
        Keep the images in :attr:`SyntheticCohort.patients`; default: only when ``outdir`` is ``None``.
    progress
        Called as ``progress(done, total)`` after each patient (in the calling process).

    Returns
    -------
    SyntheticCohort
        Manifest, truth and (optionally) the patients.
    """
    if n_patients < 1:
        raise ValueError(f"n_patients must be >= 1, got {n_patients}")
    if effect_size < 0:
        raise ValueError(f"effect_size must be >= 0, got {effect_size}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    grid = _grid(size)
    if dicom and outdir is None:
        raise ValueError("dicom=True needs an output folder")
    out = Path(outdir) if outdir is not None else None
    keep = (out is None) if keep_volumes is None else bool(keep_volumes)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    n_workers = (os.cpu_count() or 1) if workers == 0 else max(1, int(workers))
    n_workers = min(n_workers, n_patients)
    jobs = [(i, float(effect_size), int(seed), grid.name, None if out is None else str(out), dicom, keep)
            for i in range(n_patients)]
    logger.info("generating %d synthetic patients (%s, effect %.3g, seed %d) with %d worker(s)",
                n_patients, grid.name, effect_size, seed, n_workers)
    results: list[tuple[dict[str, Any], SyntheticPatient | None]] = []
    if n_workers == 1:
        for job in jobs:
            results.append(_job(job))
            if progress is not None:
                progress(len(results), n_patients)
    else:
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            for res in pool.map(_job, jobs):
                results.append(res)
                if progress is not None:
                    progress(len(results), n_patients)

    records = [r for r, _ in results]
    patients = tuple(p for _, p in results if p is not None)
    rows = []
    for rec in records:
        paths = rec.get("files", {})
        rows.append({
            "case_id": rec["case_id"],
            "ct": paths.get("ct", ""),
            "pet": paths.get("pet", ""),
            "tumour_mask": paths.get("tumour_mask", ""),
            **{c: rec["clinical"][c] for c in CLINICAL_COLUMNS},
            **{t: rec["labels"][t] for t in TARGET_COLUMNS},
        })
    manifest = pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))
    truth = _truth_header(n_patients, effect_size, seed, grid)
    truth["patients"] = records
    if out is not None:
        manifest.to_csv(out / "manifest.csv", index=False, lineterminator="\n")
        if dicom:
            dicom_manifest = manifest.copy()
            dicom_manifest["ct"] = [r["files"]["dicom_ct"] for r in records]
            dicom_manifest["pet"] = [r["files"]["dicom_pet"] for r in records]
            dicom_manifest.to_csv(out / "manifest_dicom.csv", index=False, lineterminator="\n")
        (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return SyntheticCohort(manifest=manifest, truth=truth, outdir=out, patients=patients)
