"""Cohort extraction: manifest → jobs → cached per-part results → one feature table (DESIGN §1 row 8).

- :func:`run_cohort` — the whole run (:mod:`radiogenomics.cohort.runner`);
- :class:`CohortSettings` — ROIs, modalities, preprocessing, BAT rule and presets
  (:mod:`radiogenomics.cohort.settings`);
- :func:`validate_manifest` (:mod:`radiogenomics.cohort.manifest`), and for convenience the manifest
  reader of :mod:`radiogenomics.io.manifest` (:func:`read_manifest`, :class:`Manifest`, :class:`ManifestError`);
- executors: :class:`SerialExecutor`, :class:`ProcessExecutor`, :class:`DaskExecutor`,
  :func:`make_executor` (:mod:`radiogenomics.cohort.executors`);
- the per-case pipeline (:mod:`radiogenomics.cohort.jobs`), the result cache
  (:mod:`radiogenomics.cohort.cache`) and the provenance record (:mod:`radiogenomics.cohort.provenance`).
"""

from __future__ import annotations

from radiogenomics.lazy import lazy_exports

# exports load lazily: ``radiogenomics.cohort.executors`` can start worker processes before this process
# imports pandas and the rest of the runner
__getattr__, __all__ = lazy_exports(__name__, {
    "runner": ("CohortResult", "ExtractionFailedError", "run", "run_cohort"),
    "settings": ("CohortSettings",),
    "executors": ("DaskExecutor", "Executor", "ProcessExecutor", "SerialExecutor", "WorkerLostError", "make_executor"),
    "manifest": ("validate_manifest",),
    "radiogenomics.io.manifest": ("Manifest", "ManifestError", "ManifestProblem", "read_manifest"),
})
