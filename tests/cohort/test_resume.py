"""Caching and resuming: a run killed with SIGKILL resumes without recomputing what finished, the final table
is byte-identical to an uninterrupted run, and changing a setting recomputes only the results it affects."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from radiogenomics.cohort import run_cohort
from radiogenomics.cohort.cache import ResultCache

from .conftest import SMALL, STS_IDS, small_settings

OUTPUTS = ("features.parquet", "features.csv", "status.csv", "failures.csv")
IDS = STS_IDS[:6]


def _entries(outdir: Path) -> set[tuple[str, str, str]]:
    found = set()
    for f in (outdir / "cache").rglob("*.json"):
        data = json.loads(f.read_text())
        found.add((data["case_id"], data["roi"], data["modality"]))
    return found


def _settings():
    return small_settings(extraction={"tumour": "default", "bat": "bat"})


@pytest.mark.slow
def test_kill_and_resume(sts_manifest, tmp_path: Path) -> None:
    manifest = sts_manifest(IDS)
    reference = run_cohort(manifest, tmp_path / "reference", _settings(), workers=2)
    assert len(reference.computed) == 4 * len(IDS) and not reference.cache_hits

    out = tmp_path / "killed"
    cmd = [sys.executable, "-c", "from radiogenomics.cli import main; main()", "cohort", "extract", str(manifest),
           "-o", str(out), "--workers", "1", "--preset-tumour", "default", "--preset-bat", "bat"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_entries(out)) < 8 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # the whole process group, as a crash or kill -9 would
    finally:
        proc.wait()
    if proc.returncode != -signal.SIGKILL:
        pytest.fail(f"the run ended before it was killed (exit {proc.returncode}); the test needs a slower workload")
    finished = _entries(out)
    assert 8 <= len(finished) < 4 * len(IDS)
    assert not (out / "features.parquet").exists()  # killed midway: no table yet

    resumed = run_cohort(manifest, out, _settings(), workers=2)
    assert set(resumed.cache_hits) == finished  # everything that finished is reused ...
    assert not set(resumed.computed) & finished  # ... and nothing of it is recomputed
    assert len(resumed.cache_hits) + len(resumed.computed) == 4 * len(IDS)
    assert json.loads((out / "provenance.json").read_text())["counts"]["cache_hits"] == len(finished)
    for name in OUTPUTS:  # the final tables are identical to an uninterrupted run, byte for byte
        assert (out / name).read_bytes() == (reference.outdir / name).read_bytes(), name


def test_rerun_and_changed_settings(sts_manifest, tmp_path: Path) -> None:
    manifest = sts_manifest(STS_IDS[:3])
    first = run_cohort(manifest, tmp_path / "out", small_settings(), workers=1)
    parts = set(first.computed)
    assert len(parts) == 12

    again = run_cohort(manifest, tmp_path / "out", small_settings(), workers=1)
    assert set(again.cache_hits) == parts and not again.computed
    for name in OUTPUTS:
        assert (first.outdir / name).read_bytes() == (again.outdir / name).read_bytes()

    bat_changed = small_settings(extraction={"tumour": SMALL, "bat": "default"})
    third = run_cohort(manifest, tmp_path / "out", bat_changed, workers=1)
    assert set(third.computed) == {p for p in parts if p[1] == "bat"}
    assert set(third.cache_hits) == {p for p in parts if p[1] == "tumour"}
    assert third.features.filter(like="tumour_").equals(first.features.filter(like="tumour_"))

    pet_changed = small_settings(interpolation="nearest")
    fourth = run_cohort(manifest, tmp_path / "out", pet_changed, workers=1)
    assert set(fourth.computed) == {p for p in parts if p[2] == "pet"}


def test_corrupt_cache_entry_is_recomputed(sts_manifest, tmp_path: Path) -> None:
    manifest = sts_manifest(STS_IDS[:1])
    first = run_cohort(manifest, tmp_path / "out", small_settings(), workers=1)
    cache = ResultCache(tmp_path / "out" / "cache")
    paths = sorted((tmp_path / "out" / "cache").rglob("*.json"))
    paths[0].write_text('{"truncated": ')
    (paths[0].parent / f".{paths[0].name}.123.tmp").write_text("half-written")  # left by a killed run
    second = run_cohort(manifest, tmp_path / "out", small_settings(), workers=1)
    assert len(second.computed) == 1 and len(second.cache_hits) == 3
    assert not list((tmp_path / "out" / "cache").rglob("*.tmp"))
    assert cache.get(paths[0].stem) is not None
    assert (first.outdir / "features.parquet").read_bytes() == (second.outdir / "features.parquet").read_bytes()


def test_changed_input_file_recomputes_its_results(sts: Path, tmp_path: Path) -> None:
    import pandas as pd

    from .conftest import write_sts_manifest

    manifest = write_sts_manifest(sts, tmp_path / "m", STS_IDS[:2])
    table = pd.read_csv(manifest)
    copy = tmp_path / "pet_mask.nii.gz"
    copy.write_bytes(Path(table.loc[0, "tumour_mask_pet"]).read_bytes())
    table.loc[0, "tumour_mask_pet"] = str(copy)
    table.to_csv(manifest, index=False)
    run_cohort(manifest, tmp_path / "out", small_settings(), workers=1)
    copy.write_bytes(Path(table.loc[1, "tumour_mask_pet"]).read_bytes())  # another patient's PET contour
    second = run_cohort(manifest, tmp_path / "out", small_settings(), workers=1)
    assert set(second.computed) == {(table.loc[0, "case_id"], "tumour", "pet")}


def test_parquet_bytes_do_not_depend_on_the_nan_bit_pattern() -> None:
    """A NaN computed as 0/0 has its sign bit set; a cached result reads back as a plain NaN. The tables must
    be byte-identical either way (the study runner compares their checksums to skip unchanged stages)."""
    import numpy as np
    import pandas as pd

    from radiogenomics.cohort.runner import _parquet

    with np.errstate(invalid="ignore"):
        negative_nan = np.float64(0.0) / np.float64(0.0)
    assert np.signbit(negative_nan)
    a = pd.DataFrame({"case_id": ["a", "b"], "x": [1.0, negative_nan]})
    b = pd.DataFrame({"case_id": ["a", "b"], "x": [1.0, np.nan]})
    assert _parquet(a) == _parquet(b)
