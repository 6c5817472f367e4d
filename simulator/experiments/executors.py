"""Executors: where the replications of a study run.

A study hands an executor a picklable function and one argument tuple per
replication; the executor yields the results as they finish, in any order.
Order does not matter because a replication is a pure function of its
arguments and the study sorts results by arm and replication before
computing anything, so every executor gives bit-identical results.

Three executors are provided:

* :class:`InProcessExecutor`: one after another, in this process;
* :class:`LocalPoolExecutor`: a pool of local processes started with
  ``spawn`` (safe from Jupyter kernels and from threads), kept while the
  executor is entered, so that an experiment's rounds and batches reuse its
  workers;
* :class:`DaskExecutor`: a Dask cluster, either an existing one reached at
  its scheduler's address or a ``LocalCluster`` started for the study.

Dask is an optional dependency (``pip install 'connectsim[dask]'``): it is
imported only when a :class:`DaskExecutor` is made, so ``import simulator``
never needs it.

Worker processes do not outlive the process that started them, even when it
is killed with ``kill -9`` and has no chance to stop them: the workers of a
:class:`LocalPoolExecutor` watch their parent (:func:`_exit_with_parent`), and
those of a local Dask cluster are stopped by Dask itself, each holding a pipe
to the parent whose closing makes it exit.

When the iteration stops early (an error, an abandoned generator, Ctrl-C or
SIGTERM turned into :class:`~simulator.experiments.interrupts.Interrupted`),
the workers still computing are killed at once rather than waited for, and
the pool or local cluster is shut down before the exception goes on. Pool
workers ignore SIGINT: a terminal's Ctrl-C reaches the whole process group,
and the process that started them is the one that stops them.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import ipaddress
import math
import multiprocessing
import os
import queue
import re
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from simulator.errors import ExecutorError
from simulator.experiments.dask_support import (
    CLOSE_TIMEOUT_S,
    connect_to_scheduler,
    dask_logs_silenced,
    kill_local_workers,
    require_distributed,
    worker_logs_quiet,
)
from simulator.experiments.interrupts import interrupts_held

if TYPE_CHECKING:
    from distributed import Client, LocalCluster
    from distributed import Future as DaskFuture

R = TypeVar("R")

EXECUTOR_NAMES = ("in-process", "processes", "dask-local")
"""The executors :func:`resolve_executor` accepts by name (besides a scheduler address)."""

DEFAULT_CONNECT_TIMEOUT_S = 30.0
"""Seconds to wait for a Dask scheduler before giving up on it."""

CONNECT_TIMEOUT_VARIABLE = "CONNECTSIM_CONNECT_TIMEOUT"
"""The environment variable that sets the CLI's wait for a scheduler, in seconds
(default :data:`DEFAULT_CONNECT_TIMEOUT_S`); the tests shorten it."""

PARENT_POLL_S = 0.5
"""How often a pool worker checks that the process that started it is alive."""

INTERRUPT_POLL_S = 0.1
"""The longest a signal waits while a pool's results are awaited (see ``map_unordered``)."""


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_workers(workers: object, name: str = "workers") -> int:
    """Return ``workers`` if it is a whole number of at least 1, else raise.

    Parameters
    ----------
    workers
        The number of worker processes asked for.
    name
        The argument's name, for the message.

    Returns
    -------
    int
        ``workers``, unchanged.

    Raises
    ------
    ValueError
        For 0, a negative number, a bool (``True`` is an ``int`` to Python but
        never meant as "one worker") or anything not an ``int``.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"{name} must be a whole number of at least 1 (got {workers!r})")
    return workers


_HOST_PORT = re.compile(
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9._-]*)(?::(?P<port>\d+))?"
)


def check_scheduler_address(address: str) -> str:
    """Return ``address`` if it reads ``tcp://HOST:PORT`` or ``tls://HOST:PORT``, else raise.

    Only the syntax is checked, so that a typo is reported at once rather
    than after waiting for a scheduler that cannot exist.

    Parameters
    ----------
    address
        A Dask scheduler's address, e.g. ``"tcp://10.0.0.5:8786"``; HOST is
        a name, an IPv4 address or an IPv6 address in brackets, PORT 1-65535.

    Returns
    -------
    str
        ``address``, unchanged.

    Raises
    ------
    ValueError
        Naming what is wrong: the scheme, the host or the port.
    """
    expected = "expected tcp://HOST:PORT or tls://HOST:PORT"
    scheme, separator, rest = address.partition("://")
    if not separator:
        raise ValueError(f"{address!r} is not a Dask scheduler address: {expected}")
    if scheme not in ("tcp", "tls"):
        raise ValueError(
            f"{address!r} is not a Dask scheduler address: the scheme {scheme + '://'!r} "
            f"is not tcp:// or tls:// ({expected})"
        )
    match = _HOST_PORT.fullmatch(rest)
    if match is None:
        raise ValueError(f"{address!r} is not a Dask scheduler address: no valid HOST ({expected})")
    host, port = match["host"], match["port"]
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValueError(
                f"{address!r} is not a Dask scheduler address: {host} is not an IPv6 address"
            ) from None
    if port is None:
        raise ValueError(f"{address!r} is not a Dask scheduler address: no PORT ({expected})")
    if not 1 <= int(port) <= 65535:
        raise ValueError(
            f"{address!r} is not a Dask scheduler address: port {int(port)} is not in 1-65535"
        )
    return address


def connect_timeout_from_environment() -> float:
    """The seconds the CLI waits for a Dask scheduler: ``$CONNECTSIM_CONNECT_TIMEOUT``, else 30.

    Returns
    -------
    float
        The value of :data:`CONNECT_TIMEOUT_VARIABLE` when it is set and not
        blank, else :data:`DEFAULT_CONNECT_TIMEOUT_S`.

    Raises
    ------
    ExecutorError
        When the variable is set to anything but a positive, finite number.
    """
    text = os.environ.get(CONNECT_TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_CONNECT_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ExecutorError(
            f"{CONNECT_TIMEOUT_VARIABLE} must be a positive number of seconds (got {text!r})"
        )
    return seconds


def _exit_with_parent(parent: int, interval: float = PARENT_POLL_S) -> None:
    """Make this pool worker exit within ``interval`` seconds of its parent's death.

    The initializer of :class:`LocalPoolExecutor`'s workers. A parent killed
    with ``kill -9`` cannot shut its pool down, and an orphaned worker would
    wait for work forever, holding its memory (some 300 MB of engine); once
    the workers are gone, multiprocessing's resource tracker sees its pipe
    close and exits too.

    Parameters
    ----------
    parent
        The pid of the process that started the pool.
    interval
        Seconds between two checks.

    Notes
    -----
    An orphan is adopted by another process (init, or a subreaper), so its
    parent pid changes: a daemon thread polls :func:`os.getppid`, which is
    cheap and works on every POSIX system. Linux's ``PR_SET_PDEATHSIG`` would
    be immediate but is unfit here: it fires when the *thread* that spawned
    the worker ends, and ProcessPoolExecutor spawns workers from whichever
    thread first submits work (or from its manager thread), so a pool filled
    from a short-lived thread would have its workers killed under it (tried:
    the pool breaks). On Windows a parent's death does not change the parent
    pid, so there the watch does nothing.
    """

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                # at once, without cleanup: no one is left to want the results,
                # and a normal exit could wait on queues fed by the dead parent
                os._exit(1)
            time.sleep(interval)

    threading.Thread(target=watch, name="connectsim-parent-watch", daemon=True).start()


def _start_worker(parent: int) -> None:
    """The initializer of :class:`LocalPoolExecutor`'s workers.

    A worker ignores SIGINT: Ctrl-C in a terminal reaches every process of
    the foreground group, and the process that started the pool is the one
    that decides what to stop (it stops the workers itself). The worker also
    exits with its parent (:func:`_exit_with_parent`), and exits quickly when
    the pool is shut down: its objects are moved out of the collector's reach
    as it exits (:func:`gc.freeze`), since the interpreter's last collections
    over the engine's objects took a third of a second a worker, which the
    pool's shutdown waited for; nothing a worker holds needs finalizing.

    Parameters
    ----------
    parent
        The pid of the process that started the pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent)
    # atexit handlers run before the interpreter's final collections
    atexit.register(gc.freeze)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the worker processes of ``pool`` at once, whatever they are computing.

    What :meth:`ProcessPoolExecutor.kill_workers` does from Python 3.14 on.
    The pool's management thread then sees its workers gone and releases
    the queues, so that :meth:`~ProcessPoolExecutor.shutdown` returns at once
    and no semaphore is left for multiprocessing's resource tracker to warn
    about.
    """
    # a private attribute, read only: older Pythons offer no public way to
    # reach a pool's processes
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        with contextlib.suppress(ProcessLookupError, ValueError):  # gone, or closed
            process.kill()
    for process in processes.values():
        with contextlib.suppress(ValueError):
            process.join(CLOSE_TIMEOUT_S)


class Executor(ABC):
    """Runs a function on many argument tuples and yields the results as they finish.

    An executor may be used as a context manager to keep its resources (a
    Dask client and cluster) open across several studies; outside one, each
    call of :meth:`map_unordered` acquires and releases them itself. The
    context is reentrant: only the outermost ``with`` opens and closes, so
    :func:`~simulator.experiments.study.run_study` may enter an executor its caller
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

    def concurrent_here(self) -> int:
        """How many calls run at once on this machine, each in a process of its own.

        What a study multiplies one replication's memory by before it starts:
        1 in this process or on a remote cluster (whose workers each check
        their own replication), the number of workers of a local pool or cluster.
        """
        return 1

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

    Entered (``with executor:``), the executor keeps one pool of ``workers``
    processes until it is left, and every :meth:`map_unordered` call in
    between (a study's rounds, a calibration's batches, the points of a
    sweep) reuses its workers: each process starts, imports the engine and
    loads its compiled code once, not once per call. Outside a ``with``, each
    call starts a pool of at most one process per call and stops it before
    returning, as before.

    Parameters
    ----------
    workers
        The number of processes (outside a ``with``, at most one per call is started).
    """

    def __init__(self, workers: int) -> None:
        self.workers = check_workers(workers)
        self._pool: ProcessPoolExecutor | None = None
        """The pool kept while the executor is entered (made at its first call)."""

    def describe(self) -> str:
        """``"process-pool(N)"``."""
        return f"process-pool({self.workers})"

    def concurrent_here(self) -> int:
        """The pool's workers."""
        return self.workers

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        # spawn, not fork: a forked child of a Jupyter kernel (or of any process
        # with threads) can deadlock on locks held by threads that were not copied
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            # so that the workers leave Ctrl-C to this process, and exit if
            # this process is killed and cannot stop them
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    def close(self) -> None:
        """Stop the kept pool's workers (idle by now) and wait for them to exit."""
        pool, self._pool = self._pool, None
        if pool is not None:
            # a second Ctrl-C must not leave the pool half stopped
            with interrupts_held():
                pool.shutdown(wait=True, cancel_futures=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._depth == 1 and exc is not None and self._pool is not None:
            # an error or an interrupt: whatever the workers still compute is
            # wanted by no one
            with interrupts_held():
                _stop_workers(self._pool)
        super().__exit__(exc_type, exc, traceback)

    def map_unordered(
        self, function: Callable[..., R], arguments: Sequence[tuple[Any, ...]]
    ) -> Generator[R, None, None]:
        """Submit every call to the kept pool (entered) or to a fresh one (not entered),
        and yield the results as they finish."""
        if not arguments:
            return
        kept = self._depth > 0
        if kept:
            if self._pool is None:
                self._pool = self._new_pool(self.workers)
            pool = self._pool
        else:
            pool = self._new_pool(min(self.workers, len(arguments)))
        # each call's future is put here as it finishes (by the pool's thread): one
        # callback a call, where a loop of wait() calls installs a waiter on every
        # pending call once per result; a future is forgotten once yielded, so
        # results do not pile up in memory
        done: queue.SimpleQueue[Future[R]] = queue.SimpleQueue()
        yielded = 0
        finished = False
        try:
            for args in arguments:
                pool.submit(function, *args).add_done_callback(done.put)
            while yielded < len(arguments):
                # interrupts held while waiting, and raised between waits: raised
                # inside concurrent.futures' own waiting, a signal can leave a
                # future's lock held by this thread, and the pool's thread, setting
                # that future's result, then blocks for ever, and the pool's
                # shutdown with it (a SIGTERM'd run hung so)
                with interrupts_held():
                    try:
                        future = done.get(timeout=INTERRUPT_POLL_S)
                    except queue.Empty:
                        continue
                yielded += 1
                yield future.result()
            finished = True
        finally:
            if not (kept and finished):
                # a second Ctrl-C must not leave the pool half stopped
                with interrupts_held():
                    if yielded < len(arguments):
                        # an error, an interrupt or an abandoned iteration: the
                        # calls still running are wanted by no one, and waiting
                        # for them could take minutes
                        _stop_workers(pool)
                    # do not start what is still queued; wait for the pool's own
                    # thread and processes to end, so that nothing of it outlives
                    # this call (a kept pool that failed is replaced at the next call)
                    pool.shutdown(wait=True, cancel_futures=True)
                if kept:
                    self._pool = None


class DaskExecutor(Executor):
    """Runs the calls on a Dask cluster: an existing one, or a local one started for them.

    Parameters
    ----------
    address
        The scheduler of an existing cluster, ``tcp://HOST:PORT`` or
        ``tls://HOST:PORT``, e.g. ``"tcp://10.0.0.5:8786"``. Its workers must
        have the same version of connectsim installed. ``None`` starts a
        ``LocalCluster`` of ``local_workers`` processes.
    local_workers
        Worker processes of the local cluster (one thread each); default all
        cores. Only without ``address``.
    connect_timeout
        Seconds to wait for the scheduler at ``address``, all told: a
        scheduler that does not finish its handshake within them is given up.

    Raises
    ------
    ValueError
        For both ``address`` and ``local_workers``, an ``address`` that is not
        ``tcp://HOST:PORT`` or ``tls://HOST:PORT``, ``local_workers`` below 1,
        or a ``connect_timeout`` that is not a positive number.
    ExecutorError
        When dask[distributed] is not installed (raised here, before a study
        writes anything), or, when the executor is used, when the scheduler
        cannot be reached or does not answer as one.
    """

    def __init__(
        self,
        address: str | None = None,
        local_workers: int | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
    ) -> None:
        if address is not None and local_workers is not None:
            raise ValueError("give a scheduler address or a number of local workers, not both")
        # checked before dask is imported: a typo is reported at once, not after a wait
        if address is not None:
            check_scheduler_address(address)
        if local_workers is not None:
            check_workers(local_workers, "local_workers")
        if not (isinstance(connect_timeout, int | float) and 0 < connect_timeout < math.inf):
            raise ValueError(
                f"connect_timeout must be a positive number of seconds (got {connect_timeout!r})"
            )
        require_distributed()
        self.address = address
        self.local_workers = (local_workers or default_workers()) if address is None else None
        self.connect_timeout = float(connect_timeout)
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None

    def describe(self) -> str:
        """``"dask(ADDRESS)"`` for an existing cluster, ``"dask-local(N)"`` for a local one."""
        if self.address is not None:
            return f"dask({self.address})"
        return f"dask-local({self.local_workers})"

    def concurrent_here(self) -> int:
        """A local cluster's workers; 1 for a remote scheduler's (each checks its own)."""
        return self.local_workers or 1

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
        self._shut(at_once=False)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._depth == 1 and exc is not None:
            # an error or an interrupt: the running calls are wanted by no one
            self._depth = 0
            self._shut(at_once=True)
            return
        super().__exit__(exc_type, exc, traceback)

    def _shut(self, at_once: bool) -> None:
        """Close the client and a local cluster; ``at_once`` kills its workers first.

        A local cluster closed gracefully waits seconds for its busy workers,
        which meanwhile log a warning for each call cut short; killed first,
        they say nothing, and the rest of the closing is silenced.
        """
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        # a second Ctrl-C must not leave the cluster's workers running
        with interrupts_held(), dask_logs_silenced() if at_once else contextlib.nullcontext():
            if at_once and cluster is not None:
                kill_local_workers(cluster)
            try:
                if client is not None:
                    client.close()
            finally:
                if cluster is not None:
                    cluster.close()

    def _connect(self) -> Client:
        if self._client is not None:
            return self._client
        if self.address is not None:
            self._client = connect_to_scheduler(self.address, self.connect_timeout)
            return self._client
        from distributed import Client, LocalCluster

        # one thread per process: a replication holds the GIL throughout
        # (SimPy, Python code, and compiled kernels not built nogil), so
        # threads would queue behind each other; no dashboard, so no port
        # to collide on. Its worker processes need no watch of ours: Dask
        # gives each a pipe to this process and exits it when the pipe closes
        with worker_logs_quiet():
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
                with interrupts_held():
                    client.cancel(list(pending))
            if opened_here:
                self._shut(at_once=bool(pending))


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
        cores) and for ``None``: a whole number of at least 1, used as
        given (the CLI caps it at the cores, this does not). It must not ask
        for more than one worker with an executor that does not use it.

    Returns
    -------
    Executor

    Raises
    ------
    ValueError
        For an unknown name, a malformed scheduler address, ``workers``
        below 1 or not an ``int`` (``0`` is not "all cores": leave it
        ``None`` for that), or ``workers`` above 1 with an executor that
        does not use it.
    ExecutorError
        For a Dask executor when dask[distributed] is not installed.
    """
    # 0 or -1 would otherwise run in this process, or on all cores, unasked
    if workers is not None:
        check_workers(workers)
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
