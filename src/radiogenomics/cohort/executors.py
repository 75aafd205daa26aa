"""Where the jobs of a cohort run execute: in this process, a local process pool, or a Dask cluster.

Every executor has one method, :meth:`Executor.run`, which takes a function and a list of jobs and
yields ``(job, result)`` pairs *as they finish* (in any order; the runner orders the output itself). A
job whose function raised, or whose worker died, yields ``(job, exception)`` instead: one lost job never
stops the others.

- :class:`SerialExecutor`: one after the other in this process (``workers = 1``).
- :class:`ProcessExecutor`: a local pool of ``workers`` processes (started with ``spawn``, so workers are
  clean of the parent's threads). Jobs are submitted in the given order. A worker that dies (a crash in
  native code, the OOM killer) breaks the pool: the unfinished jobs are submitted again to a new pool,
  and a job caught in a second break is retried alone, so only the job that kills its worker is lost.
- :class:`DaskExecutor`: a Dask distributed cluster, given by its scheduler address
  (``tcp://host:8786``) or started here as a ``LocalCluster`` of ``n_workers`` single-threaded worker
  processes. ``dask.distributed`` is imported only when this executor is created. Workers must be able to
  read the input files (same paths); results come back to this process, which alone writes the outputs.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from radiogenomics.errors import RadiogenomicsError

__all__ = ["DaskExecutor", "Executor", "ProcessExecutor", "SerialExecutor", "WorkerLostError", "make_executor"]

logger = logging.getLogger(__name__)

J = TypeVar("J")


class WorkerLostError(RadiogenomicsError, RuntimeError):
    """The worker process running a job died (crash, out of memory, killed)."""


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Executor(ABC):
    """Runs jobs and yields their results as they finish."""

    #: Short description for logs and provenance.
    name: str = "executor"
    #: Processes working at once.
    workers: int = 1

    @abstractmethod
    def run(self, fn: Callable[[J], Any], jobs: Sequence[J]) -> Iterator[tuple[J, Any]]:
        """Yield ``(job, fn(job))``, or ``(job, exception)`` when it failed, in completion order."""

    def start(self) -> None:  # noqa: B027 - optional hook
        """Get the workers ready (optional; :meth:`run` starts them otherwise)."""

    def describe(self) -> dict[str, Any]:
        """Plain data for the provenance record."""
        return {"executor": self.name, "workers": self.workers}

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release the workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Jobs one after the other in this process."""

    name = "serial"
    workers = 1

    def run(self, fn: Callable[[J], Any], jobs: Sequence[J]) -> Iterator[tuple[J, Any]]:
        for job in jobs:
            try:
                yield job, fn(job)
            except Exception as exc:  # handed to the runner as the job's result
                yield job, exc


def _init_worker() -> None:
    """Pool initializer: one thread per native library in each worker (jobs run single-threaded anyway,
    see :func:`radiogenomics.cohort.jobs.single_threaded`; this also keeps idle thread pools small)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _warm_worker() -> None:
    """Import the per-case pipeline and the feature extractor in a fresh worker."""
    # lazy on purpose: importing the extraction code in the fresh worker is what this warm-up does
    import radiogenomics.cohort.jobs
    import radiogenomics.features.extractor  # noqa: F401


class ProcessExecutor(Executor):
    """A local pool of worker processes.

    Parameters
    ----------
    workers
        Number of processes (at least 1).
    """

    name = "processes"

    def __init__(self, workers: int):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = int(workers)
        self._started: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the worker processes now and let them import the extraction code, so that this overlaps
        with the caller's own preparation (checksums, cache look-ups)."""
        if self._started is None:
            self._started = self._pool(self.workers)
            for _ in range(self.workers):
                self._started.submit(_warm_worker)

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
        )

    def run(self, fn: Callable[[J], Any], jobs: Sequence[J]) -> Iterator[tuple[J, Any]]:
        pending: list[J] = list(jobs)
        breaks: dict[int, int] = {}
        isolated: list[J] = []
        while pending:
            if self._started is not None:
                pool, self._started = self._started, None
            else:
                pool = self._pool(min(self.workers, len(pending)))
            unfinished: list[J] = []
            try:
                futures: dict[Future, J] = {pool.submit(fn, job): job for job in pending}
                waiting = set(futures)
                broken = False
                while waiting:
                    done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                    for fut in done:
                        job = futures[fut]
                        exc = fut.exception()
                        if isinstance(exc, BrokenProcessPool):
                            broken = True
                            unfinished.append(job)
                        elif exc is not None:
                            yield job, exc
                        else:
                            yield job, fut.result()
                if broken:
                    logger.warning("a worker process died; %d unfinished job(s) are run again", len(unfinished))
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
            pending = []
            for job in unfinished:
                n = breaks[id(job)] = breaks.get(id(job), 0) + 1
                (isolated if n >= 2 else pending).append(job)
        for job in isolated:  # jobs caught in two breaks: alone, so a crash is surely theirs
            pool = self._pool(1)
            try:
                yield job, pool.submit(fn, job).result()
            except BrokenProcessPool:
                yield job, WorkerLostError("the worker process died while running this job (crash or out of memory)")
            except Exception as exc:  # handed to the runner as the job's result
                yield job, exc
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers, "start_method": "spawn"}

    def close(self) -> None:
        if self._started is not None:
            self._started.shutdown(wait=True, cancel_futures=True)
            self._started = None


class DaskExecutor(Executor):
    """Jobs on a Dask distributed cluster.

    Parameters
    ----------
    address
        Scheduler address (``tcp://host:port``) of a running cluster.
    n_workers
        Without ``address``: start a ``LocalCluster`` of this many single-threaded worker processes
        (closed again by :meth:`close`).
    """

    name = "dask"

    def __init__(self, address: str | None = None, n_workers: int | None = None):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise ImportError("the Dask executor needs dask[distributed]: pip install 'dask[distributed]'") from exc
        if (address is None) == (n_workers is None):
            raise ValueError("give either a scheduler address or a number of local workers")
        self._cluster = None
        if address is None:
            assert n_workers is not None
            if n_workers < 1:
                raise ValueError(f"n_workers must be >= 1, got {n_workers}")
            self._cluster = LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
            )
            self._client = Client(self._cluster)
            self.address = str(self._cluster.scheduler_address)
        else:
            self._client = Client(address)
            self.address = address
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))
        logger.info("Dask cluster %s with %d worker(s)", "local" if self._cluster else "remote", self.workers)

    def run(self, fn: Callable[[J], Any], jobs: Sequence[J]) -> Iterator[tuple[J, Any]]:
        from dask.distributed import as_completed

        futures = {}
        for i, job in enumerate(jobs):
            # priority keeps the submission order (expensive jobs first); pure=False: never deduplicated
            fut = self._client.submit(fn, job, pure=False, priority=len(jobs) - i)
            futures[fut] = job
        for fut in as_completed(list(futures)):
            job = futures[fut]
            try:
                yield job, fut.result()
            except Exception as exc:  # KilledWorker, or the job's own error
                yield job, exc
            finally:
                fut.release()

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers, "local": self._cluster is not None,
                "threads_per_worker": 1}

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int | None = None, dask_scheduler: str | None = None,
                  dask_local: int | None = None) -> Executor:
    """The executor for the CLI options.

    Parameters
    ----------
    workers
        Local processes; ``None`` = all CPUs; 1 = in this process.
    dask_scheduler
        Address of a Dask scheduler (takes precedence over ``workers``).
    dask_local
        Start a local Dask cluster with this many workers.
    """
    if dask_scheduler is not None and dask_local is not None:
        raise ValueError("give either dask_scheduler or dask_local, not both")
    if dask_scheduler is not None:
        return DaskExecutor(address=dask_scheduler)
    if dask_local is not None:
        return DaskExecutor(n_workers=dask_local)
    n = cpu_count() if workers is None or workers == 0 else int(workers)
    if n < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return SerialExecutor() if n == 1 else ProcessExecutor(n)
