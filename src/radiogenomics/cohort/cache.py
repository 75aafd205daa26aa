"""On-disk cache of per-part results, keyed by content and settings (DESIGN §3).

The key of one ``(case, roi, modality)`` result is the SHA-256 of the canonical JSON of

- the case id, ROI and modality;
- the SHA-256 of every input it reads (:func:`radiogenomics.provenance.checksum`: a file's bytes, or a DICOM
  folder's sorted file list with each file's bytes);
- the hash of the settings it depends on (:meth:`CohortSettings.part_hash`);
- the package version.

So a re-run after a crash or a kill finds every finished result, editing an input file or a setting
recomputes only the results that read it, and nothing depends on paths, times or object identity.

An entry is a small JSON file ``cache/<key[:2]>/<key>.json`` holding the status, the feature names and
values (``repr`` floats, which read back bit for bit), the voxel count and, for a PET result, how the PET became
SUV. It is written atomically
(:func:`radiogenomics.provenance.atomic_write`), so a killed run never leaves a half-written entry; an
unreadable entry is treated as missing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

from radiogenomics import __version__
from radiogenomics.cohort.jobs import PartResult
from radiogenomics.provenance import atomic_write
from radiogenomics.settings import sha256_json

__all__ = ["FORMAT", "ResultCache", "part_key"]

logger = logging.getLogger(__name__)

#: Version of the entry layout; part of every key.
FORMAT = 1


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
                seconds=float(data.get("seconds", 0.0)), suv=data.get("suv"),
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
            "suv": result.suv,
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
