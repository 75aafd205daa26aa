r"""PET standardised uptake values (SUV) from DICOM tags.

Every SUV is the image value times a scale factor, :math:`\mathrm{SUV} = v \cdot f`, with :math:`v` the
voxel value after ``RescaleSlope``/``RescaleIntercept`` (:mod:`radiogenomics.io.dicom`).

Body weight (``kind="bw"``, g/mL)
    .. math:: f_{bw} = \frac{W\,[\mathrm g]}{D \cdot 2^{-\Delta t / T_{1/2}}}

    :math:`W` = ``PatientWeight`` × 1000, :math:`D` = ``RadionuclideTotalDose`` (Bq, at injection),
    :math:`T_{1/2}` = ``RadionuclideHalfLife`` (s), :math:`\Delta t` the decay time below.
Lean body mass, "SUL" (``kind="lbm"``, g/mL)
    :math:`f_{lbm} = f_{bw} \cdot \mathrm{LBM} / W` with :func:`lean_body_mass` (default Janmahasatian).
Body surface area (``kind="bsa"``, cm²/mL)
    :math:`f_{bsa} = f_{bw} \cdot \mathrm{BSA}\,[\mathrm{cm}^2] / W\,[\mathrm g]` with
    :func:`body_surface_area` (DuBois).

Decay time :math:`\Delta t` (DICOM PS3.3 C.8.9.1 and the QIBA vendor-neutral SUV pseudo-code)
    ``DecayCorrection`` tells to which time the scanner decay-corrected the voxels:

    - ``START``: to the start of the acquisition, which DICOM defines as the series reference time
      ``SeriesDate``/``SeriesTime``. So :math:`\Delta t = t_{series} - t_{injection}`. *Not*
      ``AcquisitionTime``: in a multi-bed whole-body series it differs per bed (and every bed was
      corrected to the series start); using it would give a different factor per bed. As QIBA
      prescribes, when ``SeriesTime`` is *later* than the earliest ``AcquisitionTime`` (the series
      was re-created by post-processing), the GE private scan date/time (0009,100D) is used if present,
      else the earliest ``AcquisitionDate``/``AcquisitionTime``.
    - ``ADMIN``: to the administration (injection) time; :math:`\Delta t = 0`, the dose is not decayed.
    - ``NONE``: not decay corrected; refused (each frame would need its own decay), use ``suv_factor``.

    Injection time: ``RadiopharmaceuticalStartDateTime`` when present, else ``RadiopharmaceuticalStartTime``
    on the scan date (``SeriesDate``, else ``AcquisitionDate``/``StudyDate``). With times only, an injection
    clock time later than the scan clock time is taken as the day before (injection before midnight),
    with a warning. Time-zone offsets in DT values are ignored (local wall-clock time).

Units (0054,1001)
    ``BQML`` (Bq/mL): the formula above, needing ``CorrectedImage`` to contain ``DECY`` and ``ATTN``.
    ``CNTS`` (Philips): the private SUV scale factor (7053,1000) of each slice is :math:`f_{bw}` for the
    rescaled values (as QIBA and Philips specify). ``GML`` (g/mL): values are already SUVbw, :math:`f_{bw}=1`.
    Anything else (``PROPCNTS``, ``NONE``...) is refused. ``pet_units`` overrides the tag; ``"SUV"``
    means the same as ``GML`` (data already in SUVbw), e.g. for converted series whose tags were not
    updated.

Missing or empty tags raise :class:`~radiogenomics.errors.MissingDicomTagError` naming every missing tag
at once. An explicit ``suv_factor`` bypasses the tags entirely.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.valuerep import DA, DT, TM

from radiogenomics.choices import Choice
from radiogenomics.errors import MissingDicomTagError, SuvError
from radiogenomics.image import Image
from radiogenomics.io.dicom import DicomVolume, tag_name

__all__ = [
    "LbmFormula",
    "PetUnits",
    "SuvKind",
    "SuvScale",
    "body_surface_area",
    "decay_factor",
    "lean_body_mass",
    "pet_to_suv",
    "suv_scale",
]

logger = logging.getLogger(__name__)

_HINT = ("If the voxels are already SUV pass pet_units='SUV' (CLI: --pet-units SUV); otherwise give the factor "
         "with suv_factor=..., or the missing patient values with patient_weight_kg / patient_height_m / patient_sex")
_GE_PRIVATE = (0x0009, 0x0D, "GEMS_PETD_01")  # GE "scan date and time" (DT)
_PHILIPS_SUV = (0x7053, 0x00, "Philips PET Private Group")  # SUV scale factor (DS)


class SuvKind(Choice, kind="SUV kind"):
    """Body-size normalisation of the SUV."""

    BW = "bw"
    LBM = "lbm"
    BSA = "bsa"


class LbmFormula(Choice, kind="LBM formula"):
    """Lean-body-mass formula (see :func:`lean_body_mass`)."""

    JANMAHASATIAN = "janmahasatian"
    JAMES = "james"


class PetUnits(Choice, kind="PET units"):
    """PET voxel units (DICOM ``Units`` values handled, plus ``SUV`` = already SUVbw)."""

    BQML = "BQML"
    CNTS = "CNTS"
    GML = "GML"
    SUV = "SUV"


# ----------------------------------------------------------------------------------- body size


def lean_body_mass(weight_kg: float, height_m: float, sex: str, formula: str = "janmahasatian") -> float:
    r"""Lean body mass in kg.

    Janmahasatian et al. (Clin Pharmacokinet 2005;44:1051), the default, with
    :math:`\mathrm{BMI} = W / H^2` (kg, m):

    .. math:: \mathrm{LBM}_\male = \frac{9270\,W}{6680 + 216\,\mathrm{BMI}}, \qquad
              \mathrm{LBM}_\female = \frac{9270\,W}{8780 + 244\,\mathrm{BMI}}

    James (1976), with :math:`H` in cm:

    .. math:: \mathrm{LBM}_\male = 1.10\,W - 128\,(W/H)^2, \qquad
              \mathrm{LBM}_\female = 1.07\,W - 148\,(W/H)^2

    PERCIST 1.0 (Wahl et al., J Nucl Med 2009) defined SUL with James's formula, but it falls for
    heavier patients (and turns negative at BMI ≈ 43 kg/m² in men, 37 in women); Tahari et al.
    (J Nucl Med 2014;55:1481) recommend Janmahasatian's, hence the default.

    Parameters
    ----------
    weight_kg, height_m
        Body weight (kg) and height (m), as in ``PatientWeight`` and ``PatientSize``.
    sex
        ``"M"`` or ``"F"`` (``PatientSex``).
    formula
        ``"janmahasatian"`` or ``"james"``.
    """
    method = LbmFormula.parse(formula)
    sex = str(sex).strip().upper()[:1]
    if sex not in ("M", "F"):
        raise SuvError(f"lean body mass needs PatientSex M or F, got {sex!r}; pass patient_sex='M' or 'F'")
    w, h = float(weight_kg), float(height_m)
    if method is LbmFormula.JAMES:
        ratio2 = (w / (100.0 * h)) ** 2
        return 1.10 * w - 128.0 * ratio2 if sex == "M" else 1.07 * w - 148.0 * ratio2
    bmi = w / h**2
    return 9270.0 * w / (6680.0 + 216.0 * bmi) if sex == "M" else 9270.0 * w / (8780.0 + 244.0 * bmi)


def body_surface_area(weight_kg: float, height_m: float) -> float:
    r"""Body surface area in m² (DuBois & DuBois, Arch Intern Med 1916), :math:`W` in kg, :math:`H` in cm:

    .. math:: \mathrm{BSA} = 0.007184\; W^{0.425}\; H^{0.725}
    """
    return 0.007184 * float(weight_kg) ** 0.425 * (100.0 * float(height_m)) ** 0.725


def decay_factor(elapsed_s: float, half_life_s: float) -> float:
    r"""Fraction of activity left after ``elapsed_s`` seconds: :math:`2^{-\Delta t / T_{1/2}}`."""
    return float(2.0 ** (-float(elapsed_s) / float(half_life_s)))


# ----------------------------------------------------------------------------------- tag reading


@dataclass(frozen=True)
class SuvScale:
    """Scale factor from image values to SUV, and how it was obtained.

    Attributes
    ----------
    factor
        One factor for the whole volume, or one per slice (array order) when the scanner gives per-slice
        factors (Philips CNTS).
    kind
        ``"bw"``, ``"lbm"`` or ``"bsa"``.
    units
        Units of the SUV: ``"g/mL"`` (bw, lbm) or ``"cm2/mL"`` (bsa).
    source
        How the factor was obtained (units branch, override).
    reference_time
        Which time the dose was decayed to (``"SeriesTime"``, ``"administration"``...), or ``None``.
    decay_time_s, decayed_fraction
        :math:`\\Delta t` and :math:`2^{-\\Delta t/T_{1/2}}` when the dose was decayed here.
    body_size
        Weight (g), lean body mass (g) or body surface area (cm²) in the numerator, when known.
    """

    factor: float | tuple[float, ...]
    kind: str
    units: str
    source: str
    reference_time: str | None = None
    decay_time_s: float | None = None
    decayed_fraction: float | None = None
    body_size: float | None = None

    def apply(self, image: Image) -> Image:
        """``image`` × factor as float64 (per slice along the slowest axis when the factor is per slice)."""
        values = image.array.astype(np.float64)
        if isinstance(self.factor, tuple):
            if len(self.factor) != values.shape[0]:
                raise SuvError(f"{len(self.factor)} per-slice SUV factors for {values.shape[0]} slices")
            values = values * np.asarray(self.factor)[(slice(None),) + (None,) * (values.ndim - 1)]
        else:
            values = values * self.factor
        return image.with_array(values)


def _value(ds: Dataset, keyword: str) -> object | None:
    value = ds.get(keyword)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if hasattr(value, "__len__") and not isinstance(value, str) and len(value) == 0:
        return None
    return value


def _private(ds: Dataset, group: int, element: int, creator: str) -> object | None:
    try:
        value = ds.get_private_item(group, element, creator).value
    except KeyError:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore").strip("\x00 ")
    return value if value not in (None, "") else None


def _tm(value: object, keyword: str) -> dt.time:
    text = str(value).strip().replace(":", "")
    try:
        return TM(text)
    except ValueError:
        raise SuvError(f"{tag_name(keyword)} is not a valid DICOM time") from None


def _da(value: object, keyword: str) -> dt.date:
    try:
        return DA(str(value).strip().replace(".", "").replace("-", ""))
    except ValueError:
        raise SuvError(f"{tag_name(keyword)} is not a valid DICOM date") from None


def _dt(value: object, label: str) -> dt.datetime:
    try:
        return DT(str(value).strip()).replace(tzinfo=None)
    except ValueError:
        raise SuvError(f"{label} is not a valid DICOM date-time") from None


_NO_DATE = dt.date(2000, 1, 1)


class _Tags:
    """Reads tags, collecting every missing one before failing."""

    def __init__(self, ds: Dataset):
        self.ds = ds
        self.missing: list[str] = []
        seq = _value(ds, "RadiopharmaceuticalInformationSequence")
        self.radio: Dataset | None = seq[0] if seq else None  # type: ignore[index]

    def need(self, keyword: str, where: Dataset | None = None, label: str | None = None) -> object | None:
        ds = self.ds if where is None else where
        value = _value(ds, keyword)
        if value is None:
            self.missing.append(label or tag_name(keyword))
        return value

    def need_radio(self, keyword: str) -> object | None:
        if self.radio is None:
            self.missing.append(f"{tag_name(keyword)} in RadiopharmaceuticalInformationSequence (0054,0016)")
            return None
        return self.need(keyword, self.radio,
                         f"{tag_name(keyword)} in RadiopharmaceuticalInformationSequence (0054,0016)")

    def fail(self, purpose: str) -> None:
        if self.missing:
            raise MissingDicomTagError(self.missing, purpose, _HINT)


def _series_date(ds: Dataset) -> dt.date | None:
    for keyword in ("SeriesDate", "AcquisitionDate", "StudyDate"):
        value = _value(ds, keyword)
        if value is not None:
            return _da(value, keyword)
    return None


def _scan_datetime(headers: Sequence[Dataset], tags: _Tags) -> tuple[dt.datetime | None, str, bool]:
    """Reference time for DecayCorrection START (QIBA), its name, and whether it has a real date."""
    first = headers[0]
    date = _series_date(first)
    has_date = date is not None
    day = date or _NO_DATE
    series_time = _value(first, "SeriesTime")
    acquisitions = []
    for h in headers:
        t = _value(h, "AcquisitionTime")
        if t is not None:
            d = _value(h, "AcquisitionDate")
            acquisitions.append(dt.datetime.combine(_da(d, "AcquisitionDate") if d else day,
                                                    _tm(t, "AcquisitionTime")))
    earliest = min(acquisitions) if acquisitions else None
    if series_time is not None:
        series = dt.datetime.combine(day, _tm(series_time, "SeriesTime"))
        if earliest is None or series <= earliest + dt.timedelta(microseconds=1):
            return series, "SeriesTime", has_date
        ge = _private(first, *_GE_PRIVATE)
        if ge is not None:
            logger.info("SeriesTime is after the earliest AcquisitionTime: using the GE private scan date/time")
            return _dt(ge, "GE private scan date/time (0009,100D)"), "GE private scan date/time (0009,100D)", True
        logger.warning("SeriesTime is after the earliest AcquisitionTime (post-processed series?): decaying to the "
                       "earliest AcquisitionTime instead (QIBA)")
        return earliest, "earliest AcquisitionTime", has_date
    if earliest is not None:
        logger.warning("SeriesTime missing: decaying to the earliest AcquisitionTime")
        return earliest, "earliest AcquisitionTime", has_date
    tags.missing.append(tag_name("SeriesTime"))
    return None, "SeriesTime", has_date


def _injection_datetime(tags: _Tags, scan_date: dt.date, scan_has_date: bool) -> tuple[dt.datetime | None, bool]:
    """Injection date-time and whether it carries a real date."""
    radio = tags.radio
    start_dt = _value(radio, "RadiopharmaceuticalStartDateTime") if radio is not None else None
    if start_dt is not None and scan_has_date:
        return _dt(start_dt, tag_name("RadiopharmaceuticalStartDateTime")), True
    start = _value(radio, "RadiopharmaceuticalStartTime") if radio is not None else None
    if start is not None:
        return dt.datetime.combine(scan_date, _tm(start, "RadiopharmaceuticalStartTime")), False
    if start_dt is not None:  # date-time but no scan date: use its clock time
        return dt.datetime.combine(scan_date, _dt(start_dt, "RadiopharmaceuticalStartDateTime").time()), False
    tags.missing.append(f"{tag_name('RadiopharmaceuticalStartTime')} or {tag_name('RadiopharmaceuticalStartDateTime')}"
                        " in RadiopharmaceuticalInformationSequence (0054,0016)")
    return None, False


def _as_headers(source: DicomVolume | Dataset | Sequence[Dataset]) -> list[Dataset]:
    if isinstance(source, DicomVolume):
        return list(source.headers)
    if isinstance(source, Dataset):
        return [source]
    headers = list(source)
    if not headers:
        raise SuvError("no DICOM header given")
    return headers


def _positive(value: object, label: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SuvError(f"{label} is not a number") from None
    if not np.isfinite(number) or number <= 0:
        raise SuvError(f"{label} must be positive, got {number:g}")
    return number


def suv_scale(
    source: DicomVolume | Dataset | Sequence[Dataset],
    kind: str = "bw",
    *,
    pet_units: str | None = None,
    lbm_formula: str = "janmahasatian",
    patient_weight_kg: float | None = None,
    patient_height_m: float | None = None,
    patient_sex: str | None = None,
) -> SuvScale:
    r"""The factor from PET image values to SUV, from the DICOM tags (see the module docstring).

    Parameters
    ----------
    source
        A :class:`~radiogenomics.io.dicom.DicomVolume`, or its headers (first = series-level tags).
    kind
        ``"bw"`` (body weight), ``"lbm"`` (lean body mass, SUL) or ``"bsa"`` (body surface area).
    pet_units
        Override the ``Units`` tag: ``"BQML"``, ``"CNTS"``, ``"GML"`` or ``"SUV"`` (already SUVbw).
    lbm_formula
        ``"janmahasatian"`` (default) or ``"james"``, for ``kind="lbm"``.
    patient_weight_kg, patient_height_m, patient_sex
        Values to use instead of ``PatientWeight``, ``PatientSize``, ``PatientSex`` (e.g. when absent).

    Returns
    -------
    SuvScale

    Raises
    ------
    MissingDicomTagError
        Listing every tag the computation needs and the headers lack.
    SuvError
        Unsupported units or decay correction, uncorrected images, invalid values.
    """
    headers = _as_headers(source)
    first = headers[0]
    what = SuvKind.parse(kind)
    tags = _Tags(first)
    modality = _value(first, "Modality")
    if modality is not None and str(modality).upper() != "PT":
        raise SuvError(f"SUV needs a PET series (Modality PT), got Modality {modality}")

    if pet_units is not None:
        units = PetUnits.parse(pet_units)
    else:
        tag_units = tags.need("Units")
        units = PetUnits.BQML if tag_units is None else None  # missing Units: check the BQML tags too
        if tag_units is not None:
            try:
                units = PetUnits(str(tag_units).strip().upper())
            except ValueError:
                raise SuvError(f"PET Units {tag_units!s} cannot be converted to SUV (handled: BQML, CNTS, GML); "
                               f"{_HINT}") from None
    if units is PetUnits.SUV:
        units = PetUnits.GML

    # body size: weight (except SUVbw of data already in SUVbw); height and sex for lbm / bsa
    weight = height = sex = None
    if not (what is SuvKind.BW and units is PetUnits.GML):
        weight = patient_weight_kg if patient_weight_kg is not None else tags.need("PatientWeight")
    if what is not SuvKind.BW:
        height = patient_height_m if patient_height_m is not None else tags.need("PatientSize")
    if what is SuvKind.LBM:
        sex = patient_sex if patient_sex is not None else tags.need("PatientSex")

    decay_time = fraction = None
    reference = None
    bw: float | tuple[float, ...] | None = None
    source_text = ""
    if units is PetUnits.BQML:
        decay = tags.need("DecayCorrection")
        corrected = tags.need("CorrectedImage")
        dose = tags.need_radio("RadionuclideTotalDose")
        half_life = tags.need_radio("RadionuclideHalfLife")
        decay_mode = str(decay).strip().upper() if decay is not None else None
        scan = inj = None
        if decay_mode in (None, "START"):
            scan, reference, has_date = _scan_datetime(headers, tags)
            inj, inj_has_date = _injection_datetime(tags, scan.date() if scan else _NO_DATE, has_date)
        tags.fail(f"SUV{what.value} (Units BQML)")
        corrections = {str(c).strip().upper() for c in (corrected if isinstance(corrected, Sequence)
                                                         and not isinstance(corrected, str) else [corrected])}
        if not {"DECY", "ATTN"} <= corrections:
            lacking = sorted({"DECY", "ATTN"} - corrections)
            raise SuvError(f"CorrectedImage lacks {', '.join(lacking)}: the PET is not "
                           f"{'decay' if 'DECY' in lacking else 'attenuation'}-corrected, its SUV is undefined; "
                           "pass suv_factor= if you know better")
        dose_bq = _positive(dose, tag_name("RadionuclideTotalDose"))
        half = _positive(half_life, tag_name("RadionuclideHalfLife"))
        if decay_mode == "ADMIN":
            decay_time, fraction, reference = 0.0, 1.0, "administration (DecayCorrection ADMIN)"
        elif decay_mode == "START":
            assert scan is not None and inj is not None
            delta = scan - inj
            if delta.total_seconds() < 0 and not inj_has_date:
                delta += dt.timedelta(days=1)
                logger.warning("injection clock time is after the scan time: taken as the day before")
            decay_time = delta.total_seconds()
            if decay_time < 0:
                raise SuvError(f"injection is {-decay_time:.0f} s after the scan reference time ({reference})")
            fraction = decay_factor(decay_time, half)
        else:
            raise SuvError(f"DecayCorrection {decay_mode} is not supported (START and ADMIN are); {_HINT}")
        w_g = _positive(weight, tag_name("PatientWeight")) * 1000.0
        bw = w_g / (dose_bq * fraction)
        source_text = (f"Units BQML; PatientWeight, RadionuclideTotalDose decayed with RadionuclideHalfLife from the "
                       f"injection (RadiopharmaceuticalStart[Date]Time) to {reference}")
        logger.debug("SUVbw factor %.9g (decay time %.3f s, fraction %.9g)", bw, decay_time, fraction)
    elif units is PetUnits.CNTS:
        factors = [_private(h, *_PHILIPS_SUV) for h in headers]
        if any(f is None for f in factors):
            tags.missing.append("Philips private SUV Scale Factor (7053,1000)")
        tags.fail(f"SUV{what.value} (Units CNTS)")
        values = [_positive(f, "Philips SUV Scale Factor (7053,1000)") for f in factors]
        bw = values[0] if len(set(values)) == 1 else tuple(values)
        source_text = "Units CNTS, Philips private SUV Scale Factor (7053,1000)"
    else:
        tags.fail(f"SUV{what.value} (Units GML)")
        bw = 1.0
        source_text = "Units GML (already SUVbw)" if pet_units is None else f"pet_units={pet_units!s} (already SUVbw)"
    tags.fail(f"SUV{what.value}")

    if what is SuvKind.BW:
        w_g = float(weight) * 1000.0 if weight is not None else None  # type: ignore[arg-type]
        return SuvScale(bw, "bw", "g/mL", source_text, reference, decay_time, fraction, w_g)
    w_kg = _positive(weight, tag_name("PatientWeight"))
    h_m = _positive(height, tag_name("PatientSize"))
    if h_m > 3.0:
        raise SuvError(f"PatientSize {h_m:g} is not a height in metres; pass patient_height_m=")
    if what is SuvKind.LBM:
        size = lean_body_mass(w_kg, h_m, str(sex), lbm_formula) * 1000.0
        if size <= 0:
            raise SuvError(f"the {lbm_formula} lean body mass is not positive for this weight and height")
        units_text = "g/mL"
    else:
        size = body_surface_area(w_kg, h_m) * 1e4
        units_text = "cm2/mL"
    ratio = size / (w_kg * 1000.0)
    factor = tuple(f * ratio for f in bw) if isinstance(bw, tuple) else bw * ratio
    source_text += (f"; lean body mass ({lbm_formula}) from PatientWeight, PatientSize, PatientSex"
                    if what is SuvKind.LBM else "; body surface area from PatientWeight, PatientSize")
    return SuvScale(factor, what.value, units_text, source_text, reference, decay_time, fraction, size)


def pet_to_suv(
    volume: DicomVolume,
    kind: str = "bw",
    *,
    pet_units: str | None = None,
    suv_factor: float | None = None,
    lbm_formula: str = "janmahasatian",
    patient_weight_kg: float | None = None,
    patient_height_m: float | None = None,
    patient_sex: str | None = None,
) -> Image:
    """The PET image in SUV (float64): image values × :func:`suv_scale` factor.

    ``suv_factor`` given: values × ``suv_factor``, no tag is read (``kind`` is then only a label). Other
    parameters as in :func:`suv_scale`.
    """
    if suv_factor is not None:
        factor = _positive(suv_factor, "suv_factor")
        logger.debug("SUV with the explicit factor %g", factor)
        return SuvScale(factor, str(kind), "", "explicit suv_factor").apply(volume.image)
    scale = suv_scale(volume, kind, pet_units=pet_units, lbm_formula=lbm_formula,
                      patient_weight_kg=patient_weight_kg, patient_height_m=patient_height_m,
                      patient_sex=patient_sex)
    return scale.apply(volume.image)
