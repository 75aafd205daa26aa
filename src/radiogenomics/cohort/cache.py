"""On-disk cache of per-part results, keyed by content and settings (DESIGN §3).

The key of one ``(case, roi, modality)`` result is the SHA-256 of the canonical JSON of

- the case id, ROI and modality;
- the SHA-256 of every input it reads (:func:`checksum`: a file's bytes, or a DICOM folder's sorted file
  list with each file's bytes);
- the hash of the settings it depends on (:meth:`CohortSettings.part_hash`);
- the package version.

So a re-run after a crash or a kill finds every finished result, editing an input file or a setting
recomputes only the results that read it, and nothing depends on paths, times or object identity.

An entry is a small JSON file ``cache/<key[:2]>/<key>.json`` holding the status, the feature names and
values (``repr`` floats, which read back bit for bit) and the voxel count. It is written to a temporary
file in the same folder and renamed (:func:`atomic_write`), so a killed run never leaves a half-written
entry; an unreadable entry is treated as missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from radiogenomics import __version__
from radiogenomics.cohort.jobs import PartResult
from radiogenomics.settings import sha256_json

__all__ = ["FORMAT", "ResultCache", "atomic_write", "checksum", "part_key"]

logger = logging.getLogger(__name__)

#: Version of the entry layout; part of every key.
FORMAT = 1

_CHUNK = 1 << 20


def _file_sha256(path: Path, digest: Any | None = None) -> Any:
    h = digest if digest is not None else hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h


def checksum(path: str | Path) -> str:
    """SHA-256 of a file's bytes; for a folder, of its sorted relative file names and their bytes.

    Raises
    ------
    OSError
        The path cannot be read.
    """
    path = Path(path)
    if not path.is_dir():
        return _file_sha256(path).hexdigest()
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        rel = f.relative_to(path).as_posix().encode()
        h.update(len(rel).to_bytes(8, "little"))
        h.update(rel)
        h.update(bytes.fromhex(_file_sha256(f).hexdigest()))
    return h.hexdigest()


def part_key(case_id: str, roi: str, modality: str, inputs: Mapping[str, str], settings_hash: str,
             version: str = __version__) -> str:
    """Cache key of one result (see module docstring); ``inputs`` maps a role to the input's checksum."""
    payload = {
        "format": FORMAT,
        "case_id": case_id,
        "roi": roi,
        "modality": modality,
        "inputs": dict(sorted(inputs.items())),
        "settings": settings_hash,
        "version": version,
    }
    return sha256_json(payload)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once at import: os.umask can only be read by setting it


def atomic_write(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename.

    The file gets the usual permissions of a new file (``0o666`` minus the process umask).
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


class ResultCache:
    """Per-part results stored under ``root`` (usually ``OUTDIR/cache``).

    Parameters
    ----------
    root
        Folder of the entries (created on the first write).
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """File of the entry ``key``."""
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> PartResult | None:
        """The stored result of ``key``, or ``None`` (missing or unreadable entry)."""
        path = self.path(key)
        try:
            data = json.loads(path.read_text())
            if data.get("key") != key or data.get("format") != FORMAT:
                raise ValueError("key or format differs")
            names = tuple(data["names"])
            values = tuple(float(v) for v in data["values"])
            if len(names) != len(values):
                raise ValueError("names and values differ in length")
            return PartResult(
                case_id=data["case_id"], roi=data["roi"], modality=data["modality"], key=key,
                status=data["status"], names=names, values=values, n_voxels=data.get("n_voxels"),
                seconds=float(data.get("seconds", 0.0)),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring unreadable cache entry %s (%s)", path.name, exc)
            return None

    def put(self, result: PartResult) -> Path:
        """Store ``result`` under its key (atomically)."""
        data = {
            "format": FORMAT,
            "key": result.key,
            "case_id": result.case_id,
            "roi": result.roi,
            "modality": result.modality,
            "status": result.status,
            "n_voxels": result.n_voxels,
            "seconds": round(result.seconds, 6),
            "version": __version__,
            "names": list(result.names),
            "values": list(result.values),
        }
        text = json.dumps(data, allow_nan=True, separators=(",", ":"))
        return atomic_write(self.path(result.key), text.encode())

    def clean_temporary(self) -> int:
        """Remove temporary files left by a killed run; return how many."""
        if not self.root.is_dir():
            return 0
        n = 0
        for tmp in self.root.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)
            n += 1
        return n

    def __len__(self) -> int:
        return sum(1 for _ in self.root.rglob("*.json")) if self.root.is_dir() else 0
