"""Provenance (``radiogenomics.provenance``): checksums, atomic writes, file names, the record."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from radiogenomics import __version__
from radiogenomics.provenance import (
    atomic_write,
    checksum,
    dumps,
    library_versions,
    provenance_record,
    safe_name,
    write_json,
)
from radiogenomics.settings import ExtractionSettings, sha256_json


def test_checksum_of_files_and_folders(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"abc")
    assert checksum(f) == hashlib.sha256(b"abc").hexdigest()
    folder = tmp_path / "series"
    folder.mkdir()
    (folder / "1.dcm").write_bytes(b"x")
    (folder / "2.dcm").write_bytes(b"y")
    first = checksum(folder)
    (folder / "2.dcm").write_bytes(b"z")
    assert checksum(folder) != first
    (folder / "2.dcm").write_bytes(b"y")
    assert checksum(folder) == first
    (folder / "2.dcm").rename(folder / "3.dcm")  # a renamed file changes the sum
    assert checksum(folder) != first
    with pytest.raises(OSError):
        checksum(tmp_path / "missing")


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = atomic_write(tmp_path / "sub" / "x.json", b"{}")
    assert path.read_bytes() == b"{}"
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.json"]
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_safe_name() -> None:
    assert safe_name("case/01 a") == "case_01_a" and safe_name("STS_002") == "STS_002" and safe_name("") == "case"


def test_record_holds_versions_settings_hash_and_inputs(tmp_path: Path) -> None:
    settings = ExtractionSettings(bin_width=10)
    rec = provenance_record("stats", settings=settings, inputs={"table": "x"}, seed=3, seconds=1.23456, n=5)
    assert rec["package"] == "radiogenomics" and rec["version"] == __version__ and rec["stage"] == "stats"
    assert rec["settings_hash"] == settings.settings_hash() == sha256_json(settings.model_dump(mode="json"))
    assert rec["seed"] == 3 and rec["seconds"] == 1.235 and rec["inputs"] == {"table": "x"} and rec["n"] == 5
    assert {"python", "numpy", "scikit-learn"} <= set(rec["libraries"])
    path = write_json(tmp_path / "p.json", rec)
    assert json.loads(path.read_text()) == json.loads(dumps(rec))
    assert dumps({"b": 1, "a": Path("x")}) == b'{\n  "a": "x",\n  "b": 1\n}\n'
    assert library_versions(["no-such-package"])["no-such-package"] == "not installed"
