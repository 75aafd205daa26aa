"""Synthetic cohort: Table 1 distributions, manifest/truth schema, determinism, DICOM SUV tags, planted effects
recoverable with real radiomic features, and null is null."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest
import SimpleITK as sitk
from scipy.stats import binom, mannwhitneyu
from typer.testing import CliRunner

from radiogenomics import ExtractionSettings, extract
from radiogenomics.bat import bat_mask
from radiogenomics.cli import app
from radiogenomics.errors import UnknownNameError
from radiogenomics.io import read_image, read_mask
from radiogenomics.preprocess.regrid import resample_to_reference
from radiogenomics.synth import SyntheticPatient, generate_patient, make_cohort
from radiogenomics.synth.anatomy import GRIDS
from radiogenomics.synth.clinical import CANCER_TYPES, CLINICAL
from radiogenomics.synth.cohort import MANIFEST_COLUMNS
from radiogenomics.synth.effects import FACTORS, sample_spec, sample_specs

pytestmark = pytest.mark.slow  # synthetic cohorts

CT_FIRSTORDER = ExtractionSettings(feature_classes={"firstorder": None})
CT_TEXTURE = ExtractionSettings(feature_classes={"glcm": ["Correlation", "Imc1"]})


def auc(values: np.ndarray, labels: np.ndarray) -> float:
    """P(value of a label-1 patient > value of a label-0 patient), ties counted half (Mann–Whitney U / n1 n2)."""
    values, labels = np.asarray(values, dtype=float), np.asarray(labels)
    pos, neg = values[labels == 1], values[labels == 0]
    return float(mannwhitneyu(pos, neg).statistic) / (len(pos) * len(neg))


def tumour_pet_suvmax(patient: SyntheticPatient) -> float:
    """Tumour SUVmax as the cohort pipeline measures it: PET linearly resampled onto the CT grid."""
    pet_on_ct = resample_to_reference(patient.pet, patient.ct)
    return float(pet_on_ct.array[patient.tumour.array > 0].max())


# ------------------------------------------------------------------------------------------ clinical model
def test_clinical_variables_follow_table1_of_seed_001() -> None:
    specs = [sample_spec(i, 1.0, 123) for i in range(4000)]
    df = pd.DataFrame([{**s.clinical, **s.labels} for s in specs])
    total = sum(CLINICAL[t].n for t in CANCER_TYPES)
    for name in CANCER_TYPES:
        model = CLINICAL[name]
        sub = df[df.cancer_type == name]
        assert len(sub) / len(df) == pytest.approx(model.n / total, abs=0.025)
        q1, med, q3 = np.percentile(sub.age, [25, 50, 75])
        assert med == pytest.approx(model.age_quartiles[1], abs=1.5)
        assert (q1, q3) == pytest.approx((model.age_quartiles[0], model.age_quartiles[2]), abs=2.0)
        assert np.median(sub.bmi) == pytest.approx(model.bmi_quartiles[1], abs=0.4)
        lymph = model.lymph_positive / (model.lymph_positive + model.lymph_negative)
        assert sub.lymph_nodes.mean() == pytest.approx(lymph, abs=0.06)
        grade3 = model.grade_counts[2] / sum(model.grade_counts)
        assert (sub.grade == 3).mean() == pytest.approx(grade3, abs=0.06)
        stage1 = model.figo_counts[0] / sum(model.figo_counts)
        assert (sub.figo_stage == "I").mean() == pytest.approx(stage1, abs=0.06)
        assert sub.MMR.mean() == pytest.approx(model.mmr_prevalence, abs=0.05)
    assert df.TP53.mean() == pytest.approx(0.5, abs=0.03)
    assert set(df.figo_stage) <= {"I", "II", "III", "IV", "indeterminate"} and set(df.grade) <= {1, 2, 3}
    assert df.age.min() >= 19


def test_tumour_sizes_include_lesions_below_2_cm() -> None:
    diam = np.array([s.tumour_diameter_mm for s in sample_specs(300, 1.0, 0)])
    assert 0.08 < np.mean(diam < 20) < 0.3 and diam.min() >= 8 and diam.max() <= 80
    small = next(i for i in range(40) if sample_spec(i, 1.0, 0).tumour_diameter_mm < 15)
    p = generate_patient(small, 1.0, 0, "tiny")
    volume = float(p.tumour.array.sum()) * float(np.prod(p.ct.spacing))
    assert 0 < (6 * volume / np.pi) ** (1 / 3) < 20  # equivalent-sphere diameter in mm


# ---------------------------------------------------------------------------------------- written cohort
@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cohort") / "run1"
    make_cohort(3, 1.0, 7, size="tiny", outdir=out, dicom=True, workers=2)
    return out


def _checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_manifest_schema_and_paths(written: Path) -> None:
    manifest = pd.read_csv(written / "manifest.csv")
    assert tuple(manifest.columns) == MANIFEST_COLUMNS
    assert list(manifest.case_id) == ["SYN0001", "SYN0002", "SYN0003"]
    for col in ("ct", "pet", "tumour_mask"):
        for rel in manifest[col]:
            assert not Path(rel).is_absolute() and (written / rel).is_file()
    assert set(manifest.TP53) <= {0, 1} and set(manifest.MMR) <= {0, 1}
    assert set(manifest.cancer_type) <= set(CANCER_TYPES)
    dicom = pd.read_csv(written / "manifest_dicom.csv")
    assert tuple(dicom.columns) == MANIFEST_COLUMNS
    assert all((written / rel).is_dir() for rel in [*dicom.ct, *dicom.pet])


def test_truth_records_seed_effects_and_latents(written: Path) -> None:
    truth = json.loads((written / "truth.json").read_text())
    assert truth["seed"] == 7 and truth["effect_size"] == 1.0 and truth["size"] == "tiny"
    assert set(truth["labels"]) == {"TP53", "MMR"}
    assert truth["labels"]["TP53"]["factors"] == ["tumour_uptake", "tumour_heterogeneity", "bat_activity"]
    assert truth["labels"]["MMR"]["factors"] == ["tumour_texture_scale"]
    assert truth["labels"]["TP53"]["features"]["tumour_pet__original_firstorder_Maximum"] == "higher"
    assert set(truth["factors"]) == {f.name for f in FACTORS}
    manifest = pd.read_csv(written / "manifest.csv")
    for rec, row in zip(truth["patients"], manifest.itertuples(), strict=True):
        assert rec["case_id"] == row.case_id and rec["labels"]["TP53"] == row.TP53
        assert set(rec["latent"]) == {f.name for f in FACTORS}
        assert (written / rec["files"]["bat_depots"]).is_file()
        spec = sample_spec(int(rec["index"]), 1.0, 7)
        assert rec["latent"] == spec.latent and rec["planted"]["tumour_suvmax"] == spec.tumour_suvmax


def test_images_geometry_and_intensities(written: Path) -> None:
    truth = json.loads((written / "truth.json").read_text())
    grid = GRIDS["tiny"]
    for rec in truth["patients"]:
        files = rec["files"]
        ct, pet = read_image(written / files["ct"]), read_image(written / files["pet"])
        tumour = read_mask(written / files["tumour_mask"])
        assert ct.array.dtype == np.int16 and pet.array.dtype == np.float32
        assert ct.spacing == grid.ct_spacing and pet.spacing == grid.pet_spacing
        assert pet.spacing[0] > ct.spacing[0]  # PET on the coarser grid
        assert tumour.geometry == ct.geometry
        assert ct.array[:, :3, :3].mean() < -950 and pet.array[:, :2, :2].max() == 0  # air
        body = ct.array > -500
        fat = np.mean((ct.array[body] > -150) & (ct.array[body] < -50))
        assert fat > 0.1  # subcutaneous and visceral fat around -100 HU
        pet_on_ct = resample_to_reference(pet, ct)
        background = np.median(pet_on_ct.array[body])
        assert 0.4 <= background <= 1.0
        assert 3.0 <= pet_on_ct.array[tumour.array > 0].max() <= 25.0 + 1e-3
        # liver (its centre is fixed by the anatomy) and bladder (recorded)
        x, y, z = (-55.0, -5.0, -528.0 + 0.5 * 528.0)
        liver = pet_on_ct.array[_near(ct, (x, y, z), 15.0)]
        assert 1.8 <= np.median(liver) <= 3.2
        bladder = pet_on_ct.array[_near(ct, rec["realised"]["bladder_centre_mm"], 10.0)]
        assert np.median(bladder) > 8.0


def _near(image, point, radius: float) -> np.ndarray:
    nz, ny, nx = image.array.shape
    sx, sy, sz = image.spacing
    ox, oy, oz = image.origin
    zz, yy, xx = np.meshgrid(oz + sz * np.arange(nz), oy + sy * np.arange(ny), ox + sx * np.arange(nx),
                             indexing="ij")
    return (xx - point[0]) ** 2 + (yy - point[1]) ** 2 + (zz - point[2]) ** 2 <= radius**2


def test_checksums_are_equal_across_runs(written: Path, tmp_path: Path) -> None:
    again = tmp_path / "run2"
    make_cohort(3, 1.0, 7, size="tiny", outdir=again, dicom=True, workers=1)
    first, second = _checksums(written), _checksums(again)
    assert len(first) > 100 and first == second
    other = make_cohort(1, 1.0, 8, size="tiny").patients[0]
    assert not np.array_equal(other.ct.array, read_image(written / "cases/SYN0001/ct.nii.gz").array)


def test_a_smaller_cohort_is_a_prefix_of_a_larger_one(written: Path) -> None:
    one = make_cohort(1, 1.0, 7, size="tiny")
    assert len(one.patients) == 1
    np.testing.assert_array_equal(one.patients[0].pet.array, read_image(written / "cases/SYN0001/pet.nii.gz").array)


def test_planted_suvmax_is_what_the_pipeline_measures(written: Path) -> None:
    truth = json.loads((written / "truth.json").read_text())
    for rec in truth["patients"]:
        ct, pet = read_image(written / rec["files"]["ct"]), read_image(written / rec["files"]["pet"])
        tumour = read_mask(written / rec["files"]["tumour_mask"])
        values = extract(resample_to_reference(pet, ct), tumour, settings=CT_FIRSTORDER)
        assert values["original_firstorder_Maximum"] == pytest.approx(rec["planted"]["tumour_suvmax"], rel=1e-3)


# --------------------------------------------------------------------------------------------------- DICOM
def _seconds(tm: str) -> float:
    tm = str(tm)
    return int(tm[:2]) * 3600 + int(tm[2:4]) * 60 + float(tm[4:])


def test_dicom_is_valid_and_its_suv_tags_reproduce_the_nifti(written: Path) -> None:
    base = written / "cases/SYN0002"
    pet = read_image(base / "pet.nii.gz")
    ct = read_image(base / "ct.nii.gz")
    pet_files = sorted((base / "dicom/pet").glob("*.dcm"))
    assert len(pet_files) == pet.array.shape[0]
    worst = 0.0
    for path in pet_files:
        ds = pydicom.dcmread(path)  # raises unless a valid DICOM file (preamble, DICM, meta)
        assert ds.file_meta.MediaStorageSOPClassUID == "1.2.840.10008.5.1.4.1.1.128" and ds.Modality == "PT"
        assert ds.Units == "BQML" and ds.DecayCorrection == "START" and "DECY" in ds.CorrectedImage
        assert str(ds.PatientName).startswith("SYNTH^") and not ds.PatientBirthDate
        assert ds.PatientSex == "F" and float(ds.PatientSize) > 1.0
        rp = ds.RadiopharmaceuticalInformationSequence[0]
        assert rp.RadiopharmaceuticalStartDateTime.endswith(rp.RadiopharmaceuticalStartTime)
        assert ds.SeriesTime == ds.AcquisitionTime
        elapsed = _seconds(ds.SeriesTime) - _seconds(rp.RadiopharmaceuticalStartTime)
        assert 50 * 60 <= elapsed <= 70 * 60
        dose = float(rp.RadionuclideTotalDose) * 2.0 ** (-elapsed / float(rp.RadionuclideHalfLife))
        bqml = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        suv = bqml * float(ds.PatientWeight) * 1000.0 / dose
        k = round((float(ds.ImagePositionPatient[2]) - pet.origin[2]) / pet.spacing[2])
        ref = pet.array[k].astype(np.float64)
        hot = ref > 1e-3
        if hot.any():
            worst = max(worst, float(np.max(np.abs(suv[hot] - ref[hot]) / ref[hot])))
        assert np.all(suv[~hot] < 1e-3)
    assert worst <= 1e-4
    # the series read by SimpleITK/GDCM have the NIfTI geometry and CT values
    for folder, image in ((base / "dicom/ct", ct), (base / "dicom/pet", pet)):
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
        series = reader.Execute()
        assert series.GetSize() == image.geometry.size
        np.testing.assert_allclose(series.GetSpacing(), image.spacing, atol=1e-6)
        np.testing.assert_allclose(series.GetOrigin(), image.origin, atol=1e-4)
        if image is ct:
            np.testing.assert_array_equal(sitk.GetArrayFromImage(series), ct.array)


def test_dicom_reads_back_through_the_cohort_dicom_path(written: Path) -> None:
    """The synthetic DICOM series read through io.dicom / io.suv give the NIfTI SUV and HU."""
    from radiogenomics.io.dicom import read_dicom_series
    from radiogenomics.io.suv import pet_to_suv

    for case in ("SYN0001", "SYN0002", "SYN0003"):
        base = written / "cases" / case
        suv = pet_to_suv(read_dicom_series(base / "dicom/pet"))
        ref = read_image(base / "pet.nii.gz")
        assert suv.geometry.size == ref.geometry.size
        np.testing.assert_allclose(suv.origin, ref.origin, atol=1e-4)
        hot = ref.array > 1e-3
        rel = np.abs(suv.array[hot] - ref.array[hot]) / ref.array[hot]
        assert rel.max() <= 1e-4
        ct = read_dicom_series(base / "dicom/ct").image
        np.testing.assert_array_equal(ct.array, read_image(base / "ct.nii.gz").array)


# ------------------------------------------------------------------------------------------- null is null
def test_null_tumour_suvmax_mann_whitney_rate_over_40_seeds() -> None:
    """Effect 0: Mann–Whitney of tumour SUVmax between TP53 groups over 40 seeds × 60 patients.

    Under the null the number of seeds with p < 0.05 is Binomial(40, 0.05) (mean 2); the test allows at most 6
    (a correct generator exceeds this with probability 0.34 %). The SUVmax values are the planted ones, which the
    images reproduce exactly as the pipeline measures them (see the tests above and the effect tests below).
    """
    assert binom.sf(6, 40, 0.05) < 0.005
    hits = 0
    for seed in range(40):
        specs = sample_specs(60, 0.0, 1000 + seed)
        y = np.array([s.labels["TP53"] for s in specs])
        x = np.array([s.tumour_suvmax for s in specs])
        hits += mannwhitneyu(x[y == 1], x[y == 0]).pvalue < 0.05
    assert hits <= 6


def test_null_rate_is_five_percent_for_every_planted_factor() -> None:
    """Effect 0, 600 seeds × 40 patients: the rejection rate of every factor's latent between its label groups
    lies in the central 99.9 % binomial interval of Binomial(600, 0.05), i.e. 14–49 rejections (2.3–8.2 %)."""
    lo, hi = binom.ppf([0.0005, 0.9995], 600, 0.05)
    hits = {f.name: 0 for f in FACTORS}
    for seed in range(600):
        specs = sample_specs(40, 0.0, 5000 + seed)
        for f in FACTORS:
            y = np.array([s.labels[f.label] for s in specs])
            if y.min() == y.max():
                continue
            z = np.array([s.latent[f.name] for s in specs])
            hits[f.name] += mannwhitneyu(z[y == 1], z[y == 0]).pvalue < 0.05
    for name, n in hits.items():
        if name == "tumour_texture_scale":  # MMR is rare (≈ 15 %): fewer seeds have both groups
            assert n <= hi, (name, n)
        else:
            assert lo <= n <= hi, (name, n)


def test_effect_zero_images_do_not_depend_on_the_labels() -> None:
    """Same seed, effect 0: changing nothing but the labels' effect would leave images identical — here the
    planted parameters at effect 0 equal those of the latent noise alone."""
    for i in range(20):
        spec = sample_spec(i, 0.0, 3)
        assert spec.tumour_suvmax == pytest.approx(min(max(8.0 * np.exp(0.45 * spec.latent["tumour_uptake"]), 3), 25))
        assert spec.latent == sample_spec(i, 0.0, 3).latent
        flipped = sample_spec(i, 1.0, 3)
        for f in FACTORS:
            shift = flipped.latent[f.name] - spec.latent[f.name]
            assert shift == pytest.approx(2.0 * (spec.labels[f.label] - 0.5))


# ---------------------------------------------------------------------------------------- planted effects
def _tp53_features(index: int) -> dict[str, float]:
    p = generate_patient(index, 1.0, 21, "tiny")
    pet_on_ct = resample_to_reference(p.pet, p.ct)
    ct_values = extract(p.ct, p.tumour, settings=CT_FIRSTORDER)
    bat = bat_mask(p.ct, p.pet, tumour=p.tumour)
    return {
        "TP53": p.spec.labels["TP53"],
        "tumour_pet__original_firstorder_Maximum": float(pet_on_ct.array[p.tumour.array > 0].max()),
        "planted_suvmax": p.spec.tumour_suvmax,
        "tumour_ct__original_firstorder_Variance": ct_values["original_firstorder_Variance"],
        "tumour_ct__original_firstorder_Entropy": ct_values["original_firstorder_Entropy"],
        "bat_volume_ml": bat.volume_ml,
    }


def _mmr_features(index: int) -> dict[str, float]:
    p = generate_patient(index, 1.0, 22, "small")
    values = extract(p.ct, p.tumour, settings=CT_TEXTURE)
    return {
        "MMR": p.spec.labels["MMR"],
        "tumour_ct__original_glcm_Correlation": values["original_glcm_Correlation"],
        "tumour_ct__original_glcm_Imc1": values["original_glcm_Imc1"],
    }


def _run(fn, indices: list[int]) -> pd.DataFrame:
    with ProcessPoolExecutor(max_workers=2) as pool:
        return pd.DataFrame(list(pool.map(fn, indices)))


def _check_separation(df: pd.DataFrame, label: str) -> dict[str, float]:
    """AUC of every feature truth.json lists for ``label`` (in its stated direction): the factor's first
    (primary) feature ≥ 0.8, the others ≥ 0.7."""
    y = df[label].to_numpy()
    scores = {}
    for factor in (f for f in FACTORS if f.label == label):
        for k, (feat, sign) in enumerate(factor.features):
            if feat not in df:
                continue
            scores[feat] = auc(df[feat].to_numpy() * sign, y)
            assert scores[feat] >= (0.8 if k == 0 else 0.7), (feat, scores[feat])
    return scores


def test_tp53_planted_features_separate_the_groups() -> None:
    """Effect 1, 40 tiny patients: the TP53 features listed in truth.json separate the TP53 groups."""
    df = _run(_tp53_features, list(range(40)))
    assert 12 <= df.TP53.sum() <= 28
    np.testing.assert_allclose(df["tumour_pet__original_firstorder_Maximum"], df.planted_suvmax, rtol=1e-3)
    scores = _check_separation(df, "TP53")
    assert len(scores) == 4 and scores["tumour_pet__original_firstorder_Maximum"] >= 0.85


def test_mmr_planted_texture_separates_the_groups() -> None:
    """Effect 1: tumour CT GLCM texture separates MMR groups on 24 + 24 ``small`` patients (the first 24
    MMR-deficient and 24 proficient patients of seed 22; MMR is rare, so the groups are balanced by design)."""
    labels = [(i, sample_spec(i, 1.0, 22).labels["MMR"]) for i in range(600)]
    pos = [i for i, m in labels if m == 1][:24]
    neg = [i for i, m in labels if m == 0][:24]
    df = _run(_mmr_features, pos + neg)
    assert df.MMR.sum() == 24
    assert len(_check_separation(df, "MMR")) == 2


# ----------------------------------------------------------------------------------------------- API / CLI
def test_arguments_are_validated(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'paper'"):
        make_cohort(1, size="papr")
    with pytest.raises(ValueError, match="effect_size"):
        make_cohort(1, effect_size=-1)
    with pytest.raises(ValueError, match="output folder"):
        make_cohort(1, dicom=True)


def test_cli_synth(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli"
    res = runner.invoke(app, ["synth", str(out), "--n", "2", "--effect", "0.5", "--seed", "4", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "2 patients" in res.output
    manifest = pd.read_csv(out / "manifest.csv")
    truth = json.loads((out / "truth.json").read_text())
    assert len(manifest) == 2 and truth["effect_size"] == 0.5 and truth["size"] == "small"
    assert read_image(out / manifest.ct[0]).spacing == GRIDS["small"].ct_spacing
    bad = runner.invoke(app, ["synth", str(tmp_path / "x"), "--size", "huge"])
    assert bad.exit_code == 2


def test_a_manifest_image_cell_reads_the_same_from_dicom_and_nifti(written: Path) -> None:
    """``io.modality.read_modality_image``: a DICOM folder (PET converted to SUV from its tags) gives the
    NIfTI file's volume; the DICOM type follows the column (``pet`` → PT, ``ct`` → CT, ``mri_*`` → MR)."""
    from radiogenomics.io.modality import dicom_modality, read_modality_image

    nifti = pd.read_csv(written / "manifest.csv").iloc[0]
    dicom = pd.read_csv(written / "manifest_dicom.csv").iloc[0]
    for column, atol in (("ct", 0.0), ("pet", 1e-3)):
        a = read_modality_image(written / nifti[column], column)
        b = read_modality_image(written / dicom[column], column)
        assert a.geometry.size == b.geometry.size
        np.testing.assert_allclose(b.array, a.array, rtol=1e-4, atol=atol)
    assert [dicom_modality(m) for m in ("pet", "ct", "mri_t2", "dwi")] == ["PT", "CT", "MR", None]
