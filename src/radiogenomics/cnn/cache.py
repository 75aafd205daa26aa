"""On-disk cache of preprocessed CNN inputs, one ``.npy`` per case, keyed by the settings and the cohort.

Layout::

    CACHE_DIR/<settings key>/<cohort key>/
        index.json        {"settings": {...}, "channels": [...], "size": [x, y, z], "cases": {case_id: entry}}
        <sha1(case_id)[:16]>.npy    (C, z, y, x) float32, un-normalised

The settings key is the first 16 hex digits of the preprocessing settings' hash; the cohort key the first
16 hex digits of a SHA-1 over every case id with the absolute paths of its channel and mask files, so two
manifests with the same case ids but other files (a cohort and its null twin, say) never share volumes.
Each index entry is ``{"file": ..., "source": ...}`` where ``source`` is a SHA-1 over the case's input
files (manifest column, absolute path, size and modification time of every channel and of the mask).
:func:`prepare_volumes` is resumable — a case whose entry and source signature match is not recomputed, a
case whose input files changed on disk is — and records a failed case in its failure table instead of
stopping. :class:`VolumeCache` is what :class:`~radiogenomics.cnn.classifier.CNNClassifier` reads; only
its folder path is stored in the estimator, so cloning an estimator copies no voxels.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from radiogenomics.cnn.errors import VolumeCacheError
from radiogenomics.cnn.preprocess import prepare_case
from radiogenomics.cnn.settings import PreprocessSettings
from radiogenomics.errors import RadiogenomicsError, SettingsError
from radiogenomics.io.manifest import Manifest, read_manifest

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["FAILURE_COLUMNS", "VolumeCache", "prepare_volumes"]

#: columns of the failure table of :func:`prepare_volumes`
FAILURE_COLUMNS = ("case_id", "error", "message")

# errors of one case's inputs (typed package errors, unreadable files, SimpleITK's RuntimeError); anything
# else is a bug and propagates
_CASE_ERRORS = (RadiogenomicsError, OSError, RuntimeError)


def _file(case_id: str) -> str:
    return hashlib.sha1(case_id.encode()).hexdigest()[:16] + ".npy"


class VolumeCache:
    """Read access to one settings folder of the cache (see the module docstring)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        index = self.directory / "index.json"
        if not index.is_file():
            raise VolumeCacheError(f"{self.directory} is not a CNN volume cache (index.json missing)")
        self._index = json.loads(index.read_text())
        self.settings = PreprocessSettings.validate_dict(self._index["settings"])

    @property
    def channels(self) -> tuple[str, ...]:
        return self.settings.channels

    @property
    def case_ids(self) -> list[str]:
        """Cases held, in index order."""
        return list(self._index["cases"])

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._index["cases"]

    def load(self, case_id: str) -> np.ndarray:
        """The ``(C, z, y, x)`` float32 array of ``case_id``."""
        entry = self._index["cases"].get(str(case_id))
        if entry is None:
            raise VolumeCacheError(f"case {case_id!r} is not in the volume cache {self.directory} "
                                   f"({len(self._index['cases'])} cases; was it preprocessed, or did it fail?)")
        return np.load(self.directory / entry["file"])

    def load_many(self, case_ids: Sequence[str]) -> np.ndarray:
        """Stacked arrays ``(n, C, z, y, x)`` float32."""
        return np.stack([self.load(c) for c in case_ids])


def _inputs(manifest, row: int, settings: PreprocessSettings) -> list[tuple[str, str, Path | None]]:
    """``(column, cell text, absolute path or None)`` of every channel and of the mask of row ``row``."""
    columns = list(settings.channels)
    mask_column, _ = manifest.mask_column(row, settings.roi, settings.channels[0])
    if mask_column is not None:
        columns.append(mask_column)
    out = []
    for col in columns:
        text = manifest.cell(row, col) if col in manifest.columns else ""
        path = manifest.path(row, col) if text else None
        out.append((col, text, path.resolve() if path is not None else None))
    return out


def _source_signature(inputs: list[tuple[str, str, Path | None]]) -> str:
    """SHA-1 of (column, cell, absolute path, size, mtime) of every input of one case."""
    parts = []
    for col, text, path in inputs:
        stat = path.stat() if path is not None and path.exists() else None
        parts.append([col, text, str(path) if path is not None else "",
                      stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1])
    return hashlib.sha1(json.dumps(parts).encode()).hexdigest()


def _cohort_key(cases: list[tuple[str, list[tuple[str, str, Path | None]]]]) -> str:
    """First 16 hex digits of a SHA-1 over the case ids, cells and absolute paths of their inputs."""
    payload = [[cid, [[col, text, str(path) if path is not None else ""] for col, text, path in inputs]]
               for cid, inputs in cases]
    return hashlib.sha1(json.dumps(payload).encode()).hexdigest()[:16]


def _write_index(folder: Path, settings: PreprocessSettings, cases: dict[str, dict[str, str]]) -> None:
    payload = {"settings": settings.model_dump(mode="json"), "channels": list(settings.channels),
               "size": list(settings.size), "cases": cases}
    tmp = folder / "index.json.tmp"
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    os.replace(tmp, folder / "index.json")


def prepare_volumes(
    manifest: Manifest | str | Path | pd.DataFrame,
    settings: PreprocessSettings,
    cache_dir: str | Path,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[VolumeCache, pd.DataFrame]:
    """Preprocess every case of ``manifest`` into the cache (resumable).

    Parameters
    ----------
    manifest : a :class:`~radiogenomics.io.manifest.Manifest` (or anything :func:`read_manifest` reads).
    settings : the preprocessing settings.
    cache_dir : cache root; the settings and the cohort get their own sub-folder (module docstring).
    progress : called as ``progress(done, total)`` after each case.

    Returns
    -------
    cache : the :class:`VolumeCache` of these settings and cases.
    failures : one row per failed case, columns :data:`FAILURE_COLUMNS` (error = exception type).

    Raises
    ------
    SettingsError
        A channel is not a manifest column, or the manifest has no mask column for ``settings.roi``
        (problems of the whole manifest; a problem of one case is recorded in ``failures`` instead).
    """
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    missing = [c for c in settings.channels if c not in manifest.columns]
    if missing:
        raise SettingsError(f"channels {missing} are not columns of {manifest.source} "
                            f"(columns: {', '.join(manifest.columns)})")
    if settings.roi not in manifest.mask_columns():
        raise SettingsError(f"{manifest.source} has no mask column for the ROI {settings.roi!r} "
                            f"({settings.roi}_mask or {settings.roi}_mask_<modality>)")
    rows = [r for r in range(len(manifest.table)) if manifest.cell(r, "case_id")]
    inputs = {row: _inputs(manifest, row, settings) for row in rows}
    key = _cohort_key([(manifest.cell(r, "case_id"), inputs[r]) for r in rows])
    folder = Path(cache_dir) / settings.settings_hash()[:16] / key
    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "index.json"
    cases: dict[str, dict[str, str]] = json.loads(index.read_text())["cases"] if index.is_file() else {}
    failures = []
    seen: set[str] = set()
    reused = 0
    for k, row in enumerate(rows):
        cid = manifest.cell(row, "case_id")
        if cid in seen:
            failures.append({"case_id": cid, "error": "DuplicateCase", "message": "case_id appears twice"})
            continue
        seen.add(cid)
        source = _source_signature(inputs[row])
        entry = cases.get(cid)
        if entry and entry["source"] == source and (folder / entry["file"]).is_file():
            reused += 1
        else:
            try:
                x = prepare_case(manifest, row, settings)
            except _CASE_ERRORS as exc:  # one failed case never stops the others; recorded in the failure table
                logger.warning("case %s: %s: %s", cid, type(exc).__name__, exc)
                logger.debug("%s", traceback.format_exc())
                failures.append({"case_id": cid, "error": type(exc).__name__, "message": str(exc)})
                if cases.pop(cid, None) is not None:  # a stale entry of older inputs must not be used
                    _write_index(folder, settings, cases)
            else:
                np.save(folder / _file(cid), x)
                cases[cid] = {"file": _file(cid), "source": source}
                _write_index(folder, settings, cases)
        if progress is not None:
            progress(k + 1, len(rows))
    logger.info("volume cache %s: %d case(s) reused, %d prepared, %d failed", folder, reused,
                len(cases) - reused, len(failures))
    _write_index(folder, settings, cases)
    return VolumeCache(folder), pd.DataFrame(failures, columns=list(FAILURE_COLUMNS))
