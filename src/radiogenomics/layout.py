"""Names of the artefacts stages write and read: the contract between a stage and the ones after it.

A cohort extraction folder (``radiogenomics cohort extract -o OUT``, or ``OUT/cohort`` of a study) holds
:data:`FEATURES` (and its CSV twin), :data:`STATUS`, :data:`FAILURES`, :data:`PROVENANCE` and the masks the
features were computed from (:func:`mask_path`); the report and users read them from there instead of
recomputing anything.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from radiogenomics.provenance import safe_name

__all__ = ["FAILURES", "FEATURES", "FEATURES_CSV", "MASKS", "PROVENANCE", "STATUS", "failed_cases", "mask_path"]

FEATURES = "features.parquet"
FEATURES_CSV = "features.csv"
STATUS = "status.csv"
FAILURES = "failures.csv"
PROVENANCE = "provenance.json"
MASKS = "masks"


def failed_cases(folder: str | Path) -> dict[str, str]:
    """``{case_id: reason}`` of the cases with a failed result in the :data:`STATUS` table of a cohort or study
    folder (empty when there is none): an analysis leaves them out, even when some of their features exist."""
    path = Path(folder) / STATUS
    if not path.is_file():
        return {}
    status = pd.read_csv(path, dtype={"case_id": str})
    failed = status[status["status"] == "failed"]
    out: dict[str, list[str]] = {}
    for row in failed.itertuples(index=False):
        out.setdefault(str(row.case_id), []).append(f"{row.roi}/{row.modality}")
    return {cid: f"extraction failed ({', '.join(parts)})" for cid, parts in out.items()}


def mask_path(outdir: str | Path, case_id: str, roi: str, modality: str) -> Path:
    """The mask of one ``(roi, modality)`` result of a case in a cohort folder:
    ``OUTDIR/masks/<case>/<roi>_<modality>.nii.gz`` (the case folder named by
    :func:`radiogenomics.provenance.safe_name` of the case id), on the grid the features were computed on."""
    return Path(outdir) / MASKS / safe_name(case_id) / f"{roi}_{modality}.nii.gz"
