"""What running on Dask needs beyond the executor itself: connecting to a scheduler,
a client that records what it was handed, quiet logs, and stopping a local
cluster's workers at once.

:class:`simulator.experiments.executors.DaskExecutor` uses these; ``distributed``
is imported only inside them, so that importing this module needs no Dask.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from simulator.errors import ExecutorError

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

CLOSE_TIMEOUT_S = 2.0
"""Seconds given to a Dask client that failed to connect to close itself."""


def require_distributed() -> None:
    """Import dask's distributed scheduler, or say how to install it."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ExecutorError(
            f"running on Dask needs dask[distributed] ({exc}); "
            "install it with: pip install 'connectsim[dask]'"
        ) from None


@functools.cache
def recording_client() -> type[Client]:
    """A ``distributed.Client`` that hands itself over before it connects.

    ``Client(address)`` connects in its constructor, so when connecting
    raises or hangs, the caller never gets the half-made client; yet that
    client holds an event-loop thread and, if nothing closes it while its
    loop runs, its finalizer tries again at interpreter exit, waits twice the
    timeout for a loop that no longer runs and prints a traceback. Handed
    over first, it can be closed at once.
    """
    from distributed import Client

    class RecordingClient(Client):
        def __init__(self, *args: Any, record: Callable[[Client], None], **kwargs: Any) -> None:
            record(self)
            # untyped in distributed; untyped_calls_exclude does not reach super()
            super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]

    return RecordingClient


def discard_client(client: Client) -> None:
    """Close a client that failed to connect, so that nothing of it outlives the error."""
    # whatever fails here, the error to report is the connect's
    with contextlib.suppress(Exception):
        client.close(timeout=CLOSE_TIMEOUT_S)
    # even if closing failed: a client marked closed has a finalizer that does nothing
    client.status = "closed"


def one_line(exc: BaseException, limit: int = 200) -> str:
    """``exc``'s message on one line of at most ``limit`` characters, named by its type."""
    text = " ".join(str(exc).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    # an OSError's message says what happened ("Timed out trying to connect ...");
    # other types carry meaning of their own ("ValueError: ..." from garbage)
    if isinstance(exc, OSError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


NOISY_LOGGERS = ("distributed", "tornado")
"""Dask's loggers and those of tornado, whose event loop Dask runs on."""


@contextlib.contextmanager
def dask_logs_silenced() -> Iterator[None]:
    """Silence the loggers of :data:`NOISY_LOGGERS` (and their children) inside the block.

    A connect that fails makes Dask log on its own, e.g. "Failed to
    deserialize" and a traceback for an answer that is not Dask's, printed
    beside the one-line error that says the same. Levels are global, so for
    those seconds the other Dask clients of this process are silenced too.
    """
    prefixes = tuple(f"{name}." for name in NOISY_LOGGERS)
    # Logger objects only: the dict also holds placeholders for names never used
    loggers = [logging.getLogger(name) for name in NOISY_LOGGERS] + [
        logger
        for name, logger in list(logging.Logger.manager.loggerDict.items())
        if name.startswith(prefixes) and isinstance(logger, logging.Logger)
    ]
    # a child's own level (distributed.client has one) would override its parent's
    saved = [(logger, logger.level) for logger in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


WORKER_LOG_LEVEL_VARIABLE = "DASK_LOGGING__DISTRIBUTED"
"""Dask's configuration of its own log level, read by each worker process as it starts."""


@contextlib.contextmanager
def worker_logs_quiet() -> Iterator[None]:
    """Start a local cluster's processes with Dask's logging at ``error``.

    The workers share the terminal's process group, so Ctrl-C reaches them too:
    each would log the cancelled task as a warning beside the one line that says
    the run was interrupted. Their errors are still printed. The variable is set
    only while the processes start, which read it then, unless the user set it.
    """
    if WORKER_LOG_LEVEL_VARIABLE in os.environ:
        yield
        return
    os.environ[WORKER_LOG_LEVEL_VARIABLE] = "error"
    try:
        yield
    finally:
        os.environ.pop(WORKER_LOG_LEVEL_VARIABLE, None)


def connect_to_scheduler(address: str, timeout: float) -> Client:
    """Connect a client to the scheduler at ``address`` within ``timeout`` seconds, or raise.

    Parameters
    ----------
    address
        A scheduler's address, already checked by :func:`check_scheduler_address`.
    timeout
        Seconds for the whole handshake, enforced here: Dask's own timeout
        covers each step but not all of them (it waited forever for a server
        that accepts connections and never answers).

    Returns
    -------
    distributed.Client
        A connected client, not the default one.

    Raises
    ------
    ExecutorError
        In one line, for any exception while connecting (a refused or timed
        out connection, an answer that is not Dask's) and when the
        handshake does not finish within ``timeout``.
    """
    made: list[Client] = []
    outcome: list[Client | BaseException] = []
    lock = threading.Lock()
    abandoned = False

    def attempt() -> None:
        try:
            client = recording_client()(
                address, timeout=timeout, set_as_default=False, record=made.append
            )
        except BaseException as exc:  # handed to the waiting thread, which decides
            outcome.append(exc)
        else:
            outcome.append(client)
        with lock:
            late = abandoned
        if late:  # given up on meanwhile: what was made is no one's to close but this thread's
            for client in made:
                discard_client(client)

    # a daemon thread, waited for with a deadline: the connect cannot then
    # hold up this thread beyond the timeout, nor the interpreter's exit
    thread = threading.Thread(target=attempt, name="connectsim-dask-connect", daemon=True)
    with dask_logs_silenced():
        thread.start()
        try:
            thread.join(timeout)
        finally:  # also on Ctrl-C while waiting
            with lock:
                abandoned = thread.is_alive()
            if abandoned:
                for client in made:
                    discard_client(client)
                # closing stopped the client's loop, which ends the attempt:
                # let it end while Dask's logs are still silenced
                thread.join(CLOSE_TIMEOUT_S)
        result = None if abandoned else outcome[0]
        if isinstance(result, Exception):
            for client in made:
                discard_client(client)
    if result is None:
        # refused connections are retried until then, so this covers "nothing listens" too
        failure = f"no Dask scheduler answered within {timeout:g} s"
    elif not isinstance(result, BaseException):
        return result
    elif not isinstance(result, Exception):  # KeyboardInterrupt, SystemExit: not ours to hide
        raise result
    else:
        failure = one_line(result)
    # without a cause: the traceback of the original exception holds the
    # half-made client and the connect's frames, and the message says it all
    # (--debug shows where this was raised)
    raise ExecutorError(f"cannot use the Dask scheduler at {address}: {failure}")


def kill_local_workers(cluster: LocalCluster) -> None:
    """Kill the worker processes of a local cluster at once, whatever they are computing."""
    for nanny in list(getattr(cluster, "workers", {}).values()):
        # the nanny runs in this process; its worker is the spawned process
        process = getattr(getattr(nanny, "process", None), "process", None)
        pid = getattr(process, "pid", None)
        if isinstance(pid, int):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
