"""Executors: where the replications of a study run.

A study hands an executor a picklable function and one argument tuple per
replication; the executor yields the results as they finish, in any order.
Order does not matter because a replication is a pure function of its
arguments and the study sorts results by arm and replication before
computing anything, so every executor gives bit-identical results.

Three executors are provided:

* :class:`InProcessExecutor`: one after another, in this process;
* :class:`LocalPoolExecutor`: a pool of local processes started with
  ``spawn`` (safe from Jupyter kernels and from threads);
* :class:`DaskExecutor`: a Dask cluster, either an existing one reached at
  its scheduler's address or a ``LocalCluster`` started for the study.

Dask is an optional dependency (``pip install 'connectsim[dask]'``): it is
imported only when a :class:`DaskExecutor` is made, so ``import simulator``
never needs it.
"""

from __future__ import annotations

import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from simulator.errors import ExecutorError

if TYPE_CHECKING:
    from distributed import Client, LocalCluster
    from distributed import Future as DaskFuture

R = TypeVar("R")

EXECUTOR_NAMES = ("in-process", "processes", "dask-local")
"""The executors :func:`resolve_executor` accepts by name (besides a scheduler address)."""


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Executor(ABC):
    """Runs a function on many argument tuples and yields the results as they finish.

    An executor may be used as a context manager to keep its resources (a
    Dask client and cluster) open across several studies; outside one, each
    call of :meth:`map_unordered` acquires and releases them itself. The
    context is reentrant: only the outermost ``with`` opens and closes, so
    :func:`~simulator.study.run_study` may enter an executor its caller
    already holds open without closing it.
    """

    _depth = 0
    """How many ``with`` blocks hold the executor open."""

    @abstractmethod
    def describe(self) -> str:
        """A short name, recorded as the ``executor`` of a study's manifest.

        Returns
        -------
        str
            For example ``"in-process"``, ``"process-pool(2)"``,
            ``"dask(tcp://127.0.0.1:8786)"`` or ``"dask-local(2)"``.
        """

    @abstractmethod
    def map_unordered(
        self, function: Callable[..., R], arguments: Sequence[tuple[Any, ...]]
    ) -> Generator[R, None, None]:
        """Call ``function(*args)`` for each tuple of ``arguments``; yield results as they finish.

        Parameters
        ----------
        function
            A module-level function: executors other than
            :class:`InProcessExecutor` pickle it by reference and import it
            in other processes (or on other machines).
        arguments
            One tuple of positional arguments per call; each must be picklable.

        Yields
        ------
        R
            Each call's result, in the order the calls finish. The first
            call that raises stops the iteration with its exception.

        Notes
        -----
        Implementations are generators, so that a caller can ``close()`` one
        it stops reading (``contextlib.closing``): calls not yet started are
        then cancelled and whatever the call started is shut down at once,
        not when the generator is garbage-collected.
        """

    # optional hooks, not abstract: most executors hold nothing open between calls
    def open(self) -> None:  # noqa: B027
        """Acquire what the executor keeps open while entered (nothing by default)."""

    def close(self) -> None:  # noqa: B027
        """Release what :meth:`open` acquired (nothing by default)."""

    def __enter__(self) -> Self:
        if self._depth == 0:
            self.open()
        self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class InProcessExecutor(Executor):
    """Runs every call in this process, one after another, in the given order."""

    def describe(self) -> str:
        """``"in-process"``."""
        return "in-process"

    def map_unordered(
        self, function: Callable[..., R], arguments: Sequence[tuple[Any, ...]]
    ) -> Generator[R, None, None]:
        """Call ``function(*args)`` for each tuple in turn and yield each result."""
        for args in arguments:
            yield function(*args)


class LocalPoolExecutor(Executor):
    """Runs the calls on a pool of local processes started with ``spawn``.

    Parameters
    ----------
    workers
        The number of processes (at most one per call is started).
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"a process pool needs at least 1 worker (got {workers})")
        self.workers = workers

    def describe(self) -> str:
        """``"process-pool(N)"``."""
        return f"process-pool({self.workers})"

    def map_unordered(
        self, function: Callable[..., R], arguments: Sequence[tuple[Any, ...]]
    ) -> Generator[R, None, None]:
        """Submit every call to a fresh pool and yield the results as they finish."""
        if not arguments:
            return
        # spawn, not fork: a forked child of a Jupyter kernel (or of any process
        # with threads) can deadlock on locks held by threads that were not copied
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(arguments)), mp_context=context
        )
        try:
            pending: set[Future[R]] = {pool.submit(function, *args) for args in arguments}
            while pending:
                # finished futures are dropped once yielded, so results do not
                # pile up in memory while the rest run
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            # on an error or an abandoned iteration, do not start what is still queued
            pool.shutdown(wait=True, cancel_futures=True)


def _require_distributed() -> None:
    """Import dask's distributed scheduler, or say how to install it."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ExecutorError(
            f"running on Dask needs dask[distributed] ({exc}); "
            "install it with: pip install 'connectsim[dask]'"
        ) from None


class DaskExecutor(Executor):
    """Runs the calls on a Dask cluster: an existing one, or a local one started for them.

    Parameters
    ----------
    address
        The scheduler of an existing cluster, e.g. ``"tcp://10.0.0.5:8786"``.
        Its workers must have the same version of connectsim installed.
        ``None`` starts a ``LocalCluster`` of ``local_workers`` processes.
    local_workers
        Worker processes of the local cluster (one thread each); default all
        cores. Only without ``address``.
    connect_timeout
        Seconds to wait for the scheduler at ``address``.

    Raises
    ------
    ExecutorError
        When dask[distributed] is not installed (raised here, before a study
        writes anything), or, when the executor is used, when the scheduler
        cannot be reached.
    """

    def __init__(
        self,
        address: str | None = None,
        local_workers: int | None = None,
        connect_timeout: float = 30.0,
    ) -> None:
        if address is not None and local_workers is not None:
            raise ValueError("give a scheduler address or a number of local workers, not both")
        if local_workers is not None and local_workers < 1:
            raise ValueError(f"a local Dask cluster needs at least 1 worker (got {local_workers})")
        _require_distributed()
        self.address = address
        self.local_workers = (local_workers or default_workers()) if address is None else None
        self.connect_timeout = connect_timeout
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None

    def describe(self) -> str:
        """``"dask(ADDRESS)"`` for an existing cluster, ``"dask-local(N)"`` for a local one."""
        if self.address is not None:
            return f"dask({self.address})"
        return f"dask-local({self.local_workers})"

    def open(self) -> None:
        """Connect to the scheduler, or start the local cluster and connect to it.

        Raises
        ------
        ExecutorError
            When the scheduler cannot be reached within ``connect_timeout``.
        """
        self._connect()

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started one."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        try:
            if client is not None:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()

    def _connect(self) -> Client:
        if self._client is not None:
            return self._client
        from distributed import Client, LocalCluster

        if self.address is None:
            # one thread per process: a replication holds the GIL throughout
            # (SimPy, Python code, and compiled kernels not built nogil), so
            # threads would queue behind each other; no dashboard, so no port
            # to collide on
            self._cluster = LocalCluster(
                n_workers=self.local_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            try:
                # not the default client: a notebook's own Dask work stays its own
                self._client = Client(self._cluster, set_as_default=False)
            except BaseException:
                self.close()
                raise
            return self._client
        try:
            client = Client(self.address, timeout=self.connect_timeout, set_as_default=False)
        except (OSError, ValueError) as exc:  # unreachable, or not an address
            failure = str(exc)
        else:
            self._client = client
            return client
        # raised outside the except block and without a cause: the original
        # traceback holds the half-made Client, whose finalizer at interpreter
        # exit would print a traceback of its own after the one-line error
        raise ExecutorError(f"cannot use the Dask scheduler at {self.address}: {failure}")

    def map_unordered(
        self, function: Callable[..., R], arguments: Sequence[tuple[Any, ...]]
    ) -> Generator[R, None, None]:
        """Submit every call to the cluster and yield the results as they finish."""
        if not arguments:
            return
        from distributed import as_completed

        opened_here = self._client is None
        client = self._connect()
        pending: set[DaskFuture[R]] = set()
        try:
            # pure=False: each call gets a unique key, so two identical calls
            # (or a rerun on a long-lived cluster) are never merged or served
            # from an earlier result
            pending = {client.submit(function, *args, pure=False) for args in arguments}
            # the client's loop, given explicitly: as_completed would otherwise
            # look for a default client, and this one is deliberately not the default
            for future in as_completed(pending, loop=client.loop):
                result = future.result()
                pending.discard(future)
                # let the worker drop its copy now that the result is here
                future.release()
                yield result
        finally:
            if pending:
                # a shared cluster would otherwise go on computing results no one reads
                client.cancel(list(pending))
            if opened_here:
                self.close()


def resolve_executor(executor: Executor | str | None, workers: int | None = None) -> Executor:
    """Turn what a caller asked for into an :class:`Executor`.

    Parameters
    ----------
    executor
        An :class:`Executor` (used as is); ``"in-process"``; ``"processes"``
        (a :class:`LocalPoolExecutor` of ``workers`` processes);
        ``"dask-local"`` (a :class:`DaskExecutor` starting a local cluster of
        ``workers`` processes); a scheduler address such as
        ``"tcp://HOST:8786"`` (a :class:`DaskExecutor` on that cluster); or
        ``None``: in this process when ``workers`` is ``None`` or 1, else a
        pool of ``workers`` processes.
    workers
        Processes for ``"processes"`` and ``"dask-local"`` (default: all
        cores) and for ``None``. It must not ask for more than one worker
        with an executor that does not use it.

    Returns
    -------
    Executor

    Raises
    ------
    ValueError
        For an unknown name, or ``workers`` above 1 with an executor that
        does not use it.
    ExecutorError
        For a Dask executor when dask[distributed] is not installed.
    """
    if executor is None:
        if workers is not None and workers > 1:
            return LocalPoolExecutor(workers)
        return InProcessExecutor()
    if executor == "processes":
        return LocalPoolExecutor(workers or default_workers())
    if executor == "dask-local":
        return DaskExecutor(local_workers=workers or default_workers())
    if isinstance(executor, str) and executor != "in-process" and "://" not in executor:
        raise ValueError(
            f"unknown executor {executor!r}: expected one of "
            f"{', '.join(repr(n) for n in EXECUTOR_NAMES)} or a scheduler address 'tcp://HOST:PORT'"
        )
    if workers is not None and workers > 1:
        # the caller would believe it asked for N processes and silently get something else
        name = executor.describe() if isinstance(executor, Executor) else executor
        raise ValueError(
            f"workers={workers} applies to no executor, 'processes' or 'dask-local', not to {name}"
        )
    if isinstance(executor, Executor):
        return executor
    if executor == "in-process":
        return InProcessExecutor()
    return DaskExecutor(address=executor)
