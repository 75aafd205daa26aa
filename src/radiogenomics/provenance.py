"""Provenance: checksums, atomic writes, library versions and the one record every stage writes.

Every artefact of the package can be traced to the code, settings and inputs that made it (DESIGN §2).
This module holds the pieces each stage uses for that, so the rules live in one place:

- :func:`checksum` — SHA-256 of a file's bytes, or of a folder (its sorted relative file names and their
  bytes, e.g. a DICOM series);
- :func:`atomic_write` / :func:`write_json` — write through a temporary file in the same folder and an
  atomic rename, so a killed run never leaves a half-written file;
- :func:`safe_name` — a file name from a case id;
- :func:`library_versions` — versions of Python and of the libraries results depend on;
- :func:`provenance_record` — the record itself: package and version, stage, creation time, wall time,
  seed, libraries, platform, settings with their hash, input checksums, plus stage-specific fields.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from radiogenomics import __version__
from radiogenomics.settings import sha256_json

__all__ = [
    "ANALYSIS_LIBRARIES",
    "CORE_LIBRARIES",
    "atomic_write",
    "checksum",
    "dumps",
    "library_versions",
    "provenance_record",
    "safe_name",
    "write_json",
]

#: Libraries whose versions can change feature values.
CORE_LIBRARIES = ("numpy", "scipy", "pandas", "pyarrow", "SimpleITK", "numba", "PyWavelets")
#: Libraries of the analysis stages (statistics, models, figures, report).
ANALYSIS_LIBRARIES = ("scikit-learn", "torch", "matplotlib", "jinja2")

_CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def checksum(path: str | Path) -> str:
    """SHA-256 of a file's bytes; for a folder, of its sorted relative file names and their bytes.

    For a folder the digest is :math:`\\mathrm{SHA256}(\\Vert_f\\ |n_f|_{8} \\Vert n_f \\Vert \\mathrm{SHA256}(f))`
    over its files :math:`f` sorted by relative POSIX name :math:`n_f` (:math:`|n_f|_8`: the name's byte length
    as 8 little-endian bytes), so renaming, adding or editing any file changes it.

    Raises
    ------
    OSError
        The path cannot be read.
    """
    path = Path(path)
    if not path.is_dir():
        return _file_sha256(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = f.relative_to(path).as_posix().encode()
        h.update(len(rel).to_bytes(8, "little"))
        h.update(rel)
        h.update(bytes.fromhex(_file_sha256(f)))
    return h.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once at import: os.umask can only be read by setting it


def atomic_write(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename.

    The folder is created; the file gets the usual permissions of a new file (``0o666`` minus the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def safe_name(text: str) -> str:
    """``text`` as a file name: every character other than letters, digits, ``.``, ``_`` and ``-`` becomes
    ``_`` (``"case/01 a"`` → ``"case_01_a"``; an empty text → ``"case"``)."""
    return _UNSAFE.sub("_", text) or "case"


def dumps(record: Any) -> bytes:
    """Stable JSON text of a record: sorted keys, two-space indent, trailing newline; values JSON cannot hold
    (paths, numpy scalars, datetimes) as their text."""
    return (json.dumps(record, indent=2, sort_keys=True, allow_nan=True, default=_json_default) + "\n").encode()


def _json_default(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item):
        return item()
    return str(value)


def write_json(path: str | Path, record: Any) -> Path:
    """:func:`dumps` of ``record`` written atomically to ``path``."""
    return atomic_write(path, dumps(record))


def library_versions(names: Sequence[str] = CORE_LIBRARIES + ANALYSIS_LIBRARIES) -> dict[str, str]:
    """``{"python": version, name: version or "not installed"}`` for the libraries ``names``."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def provenance_record(
    stage: str,
    *,
    settings: BaseModel | Mapping[str, Any] | None = None,
    inputs: Mapping[str, Any] | None = None,
    seed: int | None = None,
    started: datetime | None = None,
    seconds: float | None = None,
    libraries: Sequence[str] = CORE_LIBRARIES + ANALYSIS_LIBRARIES,
    **fields: Any,
) -> dict[str, Any]:
    """The provenance record of one run of a stage, as plain JSON data.

    Parameters
    ----------
    stage
        Which stage or command wrote the artefact (``cohort``, ``stats``, ``models`` …).
    settings
        The run's settings (a settings object, or a mapping); stored with their SHA-256
        (:func:`~radiogenomics.settings.sha256_json` of the JSON form).
    inputs
        Input checksums, e.g. ``{"table": sha256}`` or ``{case_id: {column: sha256}}``.
    seed
        Seed of the random steps (``None`` when nothing random happens).
    started, seconds
        Start time (default: now) and wall time of the run.
    libraries
        Libraries whose versions are recorded.
    fields
        Stage-specific entries (counts, executor, outputs …), added as they are.
    """
    data: Mapping[str, Any] | None
    data = settings.model_dump(mode="json") if isinstance(settings, BaseModel) else settings
    record: dict[str, Any] = {
        "package": "radiogenomics",
        "version": __version__,
        "stage": stage,
        "created": (started or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
        "seconds": None if seconds is None else round(float(seconds), 3),
        "seed": seed,
        "libraries": library_versions(libraries),
        "platform": platform.platform(),
    }
    if data is not None:
        plain = json.loads(json.dumps(dict(data), default=_json_default))
        record["settings_hash"] = sha256_json(plain)
        record["settings"] = plain
    if inputs is not None:
        record["inputs"] = dict(inputs)
    record.update(fields)
    return record
