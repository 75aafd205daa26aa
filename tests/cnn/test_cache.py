"""The volume cache: failed cases are recorded and skipped, re-runs reuse volumes, changed inputs are redone, and
two cohorts with the same case ids never share volumes."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from radiogenomics.cnn import FAILURE_COLUMNS, VolumeCache, VolumeCacheError, crop_resize, prepare_volumes
from radiogenomics.cnn import cache as cnn_cache
from radiogenomics.cnn import preprocess as pre
from radiogenomics.image import Mask
from radiogenomics.io import read_image, read_mask, write_image
from tests.cnn.conftest import tiny_preprocess, write_cohort

SETTINGS = tiny_preprocess(size=(12, 12, 8))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory):
    """Five tiny synthetic cases (effect 1, seed 3); case 2's PET file is missing and case 4's mask is empty."""
    folder = tmp_path_factory.mktemp("cnn_cache_cohort")
    c = write_cohort(folder, 5, 1.0, 3)
    df = pd.read_csv(c.manifest)
    df.loc[1, "pet"] = "cases/nowhere/pet.nii"
    m = read_mask(folder / df.loc[3, "tumour_mask"])
    write_image(Mask(np.zeros_like(m.array), m.spacing, m.origin, m.direction), folder / "empty_mask.nii",
                compress=False)
    df.loc[3, "tumour_mask"] = "empty_mask.nii"
    df.to_csv(c.manifest, index=False)
    return c.manifest, df


class _Counter:
    """Wraps ``prepare_case`` to count how many cases are actually preprocessed."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self._real = pre.prepare_case

    def __call__(self, manifest, row, settings):
        self.calls.append(row)
        return self._real(manifest, row, settings)


def test_failed_cases_are_recorded_and_the_others_kept(cohort, tmp_path) -> None:
    manifest, df = cohort
    cache, failures = prepare_volumes(manifest, SETTINGS, tmp_path)
    assert list(failures.columns) == list(FAILURE_COLUMNS)
    assert dict(zip(failures.case_id, failures.error, strict=True)) == {
        df.case_id[1]: "ImageReadError", df.case_id[3]: "EmptyMaskError"}
    assert cache.case_ids == [df.case_id[i] for i in (0, 2, 4)]
    assert cache.channels == ("pet", "ct") and cache.settings == SETTINGS
    # a cached volume is the crop of the case's own files (no other processing)
    folder = manifest.parent
    want = crop_resize([read_image(folder / df.pet[2]), read_image(folder / df.ct[2])],
                       read_mask(folder / df.tumour_mask[2]), SETTINGS.size, SETTINGS.margin_mm)
    np.testing.assert_array_equal(cache.load(df.case_id[2]), want)
    assert cache.load_many([df.case_id[0], df.case_id[4]]).shape == (2, 2, 8, 12, 12)
    with pytest.raises(VolumeCacheError, match="did it fail"):
        cache.load(df.case_id[3])


def test_rerun_reuses_volumes_and_redoes_changed_inputs(cohort, tmp_path, monkeypatch) -> None:
    manifest, df = cohort
    first, _ = prepare_volumes(manifest, SETTINGS, tmp_path)
    counter = _Counter()
    monkeypatch.setattr(cnn_cache, "prepare_case", counter)  # looked up where prepare_volumes calls it
    again, failures = prepare_volumes(manifest, SETTINGS, tmp_path)
    assert again.directory == first.directory and again.case_ids == first.case_ids
    assert sorted(counter.calls) == [1, 3]  # only the failed cases are tried again
    assert len(failures) == 2
    # touching one case's CT (new modification time) redoes that case only
    ct = manifest.parent / df.ct[2]
    st = ct.stat()
    os.utime(ct, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    counter.calls.clear()
    prepare_volumes(manifest, SETTINGS, tmp_path)
    assert sorted(counter.calls) == [1, 2, 3]
    # other settings: a folder of their own
    other, _ = prepare_volumes(manifest, SETTINGS.replace(margin_mm=5.0), tmp_path)
    assert other.directory.parent != first.directory.parent
    index = json.loads((other.directory / "index.json").read_text())
    assert index["settings"]["margin_mm"] == 5.0 and index["size"] == [12, 12, 8]


def test_same_case_ids_in_another_cohort_do_not_collide(cohort, tmp_path) -> None:
    """A second manifest with the same case ids but other files (here: the files of cases 0 and 2 swapped) gets its
    own folder, and the first cohort's volumes stay as they were."""
    manifest, df = cohort
    a, _ = prepare_volumes(manifest, SETTINGS, tmp_path)
    first, other = a.load(df.case_id[0]), a.load(df.case_id[2])
    swapped = df.copy()
    files = [c for c in df.columns if c != "case_id"]
    swapped.loc[[0, 2], files] = df.loc[[2, 0], files].to_numpy()
    path = manifest.parent / "swapped.csv"
    swapped.to_csv(path, index=False)
    b, _ = prepare_volumes(path, SETTINGS, tmp_path)
    assert b.directory != a.directory and b.directory.parent == a.directory.parent
    np.testing.assert_array_equal(b.load(df.case_id[0]), other)
    np.testing.assert_array_equal(VolumeCache(a.directory).load(df.case_id[0]), first)


def test_not_a_cache(tmp_path) -> None:
    with pytest.raises(VolumeCacheError, match="not a CNN volume cache"):
        VolumeCache(tmp_path)


def test_n4_channels_are_corrected_before_the_crop(cohort, tmp_path) -> None:
    """``n4: [pet]``: the cached PET channel is the crop of ``n4_correct`` of the PET file, the CT channel is not
    corrected."""
    from radiogenomics.cnn import n4_correct

    manifest, df = cohort
    settings = SETTINGS.replace(n4=("pet",), n4_shrink=1, n4_iterations=(10, 10))
    cache, _ = prepare_volumes(manifest, settings, tmp_path)
    folder = manifest.parent
    pet, ct = read_image(folder / df.pet[0]), read_image(folder / df.ct[0])
    mask = read_mask(folder / df.tumour_mask[0])
    want = crop_resize([n4_correct(pet, shrink=1, iterations=(10, 10)), ct], mask, SETTINGS.size, SETTINGS.margin_mm)
    got = cache.load(df.case_id[0])
    np.testing.assert_array_equal(got, want)
    plain = crop_resize([pet, ct], mask, SETTINGS.size, SETTINGS.margin_mm)
    np.testing.assert_array_equal(got[1], plain[1])
    assert not np.array_equal(got[0], plain[0])
