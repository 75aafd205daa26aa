"""Names of the artefacts stages write and read: the contract between a stage and the ones after it.

A cohort extraction folder (``radiogenomics cohort extract -o OUT``, or ``OUT/cohort`` of a study) holds
:data:`FEATURES` (and its CSV twin), :data:`STATUS`, :data:`FAILURES`, :data:`PROVENANCE` and the masks the
features were computed from (:func:`mask_path`); the report and users read them from there instead of
recomputing anything.
"""

from __future__ import annotations

from pathlib import Path

from radiogenomics.provenance import safe_name

__all__ = ["FAILURES", "FEATURES", "FEATURES_CSV", "MASKS", "PROVENANCE", "STATUS", "mask_path"]

FEATURES = "features.parquet"
FEATURES_CSV = "features.csv"
STATUS = "status.csv"
FAILURES = "failures.csv"
PROVENANCE = "provenance.json"
MASKS = "masks"


def mask_path(outdir: str | Path, case_id: str, roi: str, modality: str) -> Path:
    """The mask of one ``(roi, modality)`` result of a case in a cohort folder:
    ``OUTDIR/masks/<case>/<roi>_<modality>.nii.gz`` (the case folder named by
    :func:`radiogenomics.provenance.safe_name` of the case id), on the grid the features were computed on."""
    return Path(outdir) / MASKS / safe_name(case_id) / f"{roi}_{modality}.nii.gz"
