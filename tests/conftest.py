"""Shared fixtures: where the shared test data lives.

Tests that need ``../shared/data`` use the ``test_data`` fixture. The folder is found through the
``RADIOGENOMICS_TEST_DATA`` environment variable (default: ``shared/data`` beside the repository). When it
is missing the test is skipped with a reason, except under ``CI=true`` where a missing folder is a failure.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from filelock import FileLock

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[1]

# Under ``pytest -n 2`` every worker computes on one thread: two workers with the numerical libraries' default of
# one thread per core (BLAS, numba, torch's intra-op pool) oversubscribe a small machine and every test slows down.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(_var, "1")


def _data_root() -> Path:
    env = os.environ.get("RADIOGENOMICS_TEST_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def require_data(*parts: str) -> Path:
    """Path to ``<data root>/<parts>``; skip (or fail under CI) when it does not exist."""
    path = _data_root().joinpath(*parts)
    if not path.exists():
        msg = f"shared test data not found: {path} (set RADIOGENOMICS_TEST_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def test_data() -> Path:
    """Root folder of the shared test data."""
    return require_data()


@pytest.fixture(scope="session")
def pyradiomics_data() -> Path:
    """The PyRadiomics test cases and their oracle references."""
    return require_data("pyradiomics")


PYRADIOMICS_CASES = ("brain1", "brain2", "breast1", "lung1", "lung2")


def build_once(tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str,
               build: Callable[[Path], T]) -> T:
    """``build(folder)`` once per test run: under xdist the first worker to ask builds it in the run's shared
    temporary folder (under a file lock) and the others get the same result (pickled). What is built in the folder
    must then be read only, or copied by the user of the result."""
    if worker_id == "master":
        return build(tmp_path_factory.mktemp(name))
    folder = tmp_path_factory.getbasetemp().parent / name
    with FileLock(str(folder) + ".lock"):
        done = folder / ".result.pkl"
        if not done.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            done.write_bytes(pickle.dumps(build(folder)))
        return pickle.loads(done.read_bytes())


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple:
    """A whole tiny study (tests/study/tiny.py): settings, output folder, result. Run once per test run and copied
    for every worker (tests re-run it with other settings)."""
    from tests.study.tiny import copy_tiny, run_tiny

    shared = build_once(tmp_path_factory, worker_id, "tiny_study_shared", run_tiny)
    return copy_tiny(shared, tmp_path_factory.mktemp("tiny_study"))


@pytest.fixture(scope="session")
def one_torch_thread():
    """One intra-op torch thread for the session (restored afterwards); the torch test folders use it.

    The suite runs as ``pytest -n 2`` on small machines: two workers with torch's default of one thread per core
    oversubscribe the cores, and a training step of the CNN smoke network then takes about 15 times longer (2.0 s
    instead of 0.12 s per batch of eight 24³ cases, measured on 2 shared cores).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
