"""Provenance record of a cohort run (``OUTDIR/provenance.json``, DESIGN §2).

The record (:func:`radiogenomics.provenance.provenance_record`, stage ``cohort``) holds what is needed to
tell whether two tables were made alike: the package and library versions; the settings with their hash
and the hash each part's result depends on; the manifest's checksum; every input's SHA-256 by case and
column; when the run started and how long it took; how the work was executed; and how many results came
from the cache. The computation draws no random numbers, so the seed is recorded as ``null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from radiogenomics.cohort.settings import CohortSettings
from radiogenomics.provenance import CORE_LIBRARIES, provenance_record

__all__ = ["build_provenance"]


def build_provenance(
    *,
    settings: CohortSettings,
    manifest: Mapping[str, Any],
    inputs: Mapping[str, Mapping[str, str]],
    started: datetime,
    seconds: float,
    executor: Mapping[str, Any],
    counts: Mapping[str, Any],
    outputs: Mapping[str, str],
) -> dict[str, Any]:
    """The provenance record as plain JSON data.

    Parameters
    ----------
    settings
        The run's settings.
    manifest
        ``{"source": name, "sha256": checksum, "n_rows": n}``.
    inputs
        ``{case_id: {column: sha256}}``.
    started
        Start time of the run (UTC).
    seconds
        Wall time of the run.
    executor
        :meth:`Executor.describe` of the executor used.
    counts
        Numbers of cases, results by status, cache hits and computed results.
    outputs
        ``{file name: sha256}`` of the tables written.
    """
    return provenance_record(
        "cohort", settings=settings, seed=None, started=started, seconds=seconds, libraries=CORE_LIBRARIES,
        inputs={case: dict(sorted(cols.items())) for case, cols in sorted(inputs.items())},
        part_settings_hashes={f"{roi}_{mod}": settings.part_hash(roi, mod) for roi, mod in settings.parts()},
        manifest=dict(manifest), executor=dict(executor), counts=dict(counts), outputs=dict(outputs),
    )
