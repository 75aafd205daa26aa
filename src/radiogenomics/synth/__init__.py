"""Synthetic data with known properties (the demo and the test bed).

- :func:`make_cohort` — a PET/CT cohort with clinical variables after seed 001's Table 1, TP53/MMR labels and
  planted imaging effects of known strength, written as NIfTI (optionally DICOM), a manifest and ``truth.json``;
- :func:`generate_patient` — one patient of such a cohort, in memory;
- :func:`make_phantom` — a tiny single CT phantom with a lesion mask (tests and examples).
"""

from radiogenomics.synth.cohort import SyntheticCohort, SyntheticPatient, generate_patient, make_cohort
from radiogenomics.synth.phantom import make_phantom

__all__ = ["SyntheticCohort", "SyntheticPatient", "generate_patient", "make_cohort", "make_phantom"]
