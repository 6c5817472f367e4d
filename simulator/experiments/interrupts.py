"""Ctrl-C and SIGTERM stop an experiment cleanly: workers stopped, finished work kept.

The command line turns both signals into one exception, :class:`Interrupted`,
raised in the main thread wherever it is (:func:`signals_interrupt`). The
executors stop their workers on the way out, as on any other error; the
runner keeps every task that finished. What must not stop halfway (writing
one task's files, stopping the workers) is done inside
:func:`interrupts_held`, which delays a signal to the end of the block, so a
second Ctrl-C does not cut the stopping short.

Compiled code called from the main thread may turn the exception into
another one (numba raises ``SystemError`` when a signal's handler raised
during its call); :func:`interrupt_in` finds the interrupt inside such an
exception.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals :func:`signals_interrupt` turns into :class:`Interrupted`."""


class Interrupted(BaseException):
    """The process was asked to stop (SIGINT or SIGTERM) while it ran.

    A ``BaseException``, like ``KeyboardInterrupt``: no ``except Exception``
    swallows it. The runner says whether the experiment's progress counted
    everything stored (:attr:`reported`); the command line, which counts that
    progress, fills in what was kept before it prints the interrupt.

    Parameters
    ----------
    signal_number
        The signal received.
    """

    def __init__(self, signal_number: int) -> None:
        # the number as the only argument: SimPy re-raises a failed process's
        # exception as type(exc)(*exc.args)
        super().__init__(signal_number)
        self.signal_number = signal_number
        self.reported = False
        """Whether the experiment had verified and reported its stored results (the
        runner sets it: until then, a count of its progress misses the reused ones)."""
        self.kept: int | None = None
        """Results stored in :attr:`directory` (None: not known)."""
        self.unit = "replication"
        """What one result is called in messages."""
        self.directory: Path | None = None
        """The results directory they are kept in (None: none)."""

    def __str__(self) -> str:
        return self.signal_name

    @property
    def signal_name(self) -> str:
        """``"SIGINT"`` or ``"SIGTERM"``."""
        return signal.Signals(self.signal_number).name

    @property
    def exit_code(self) -> int:
        """128 plus the signal number, as a shell reports a process the signal ended."""
        return 128 + self.signal_number


def interrupt_in(exc: BaseException) -> Interrupted | None:
    """The :class:`Interrupted` that ``exc`` is, or that caused it (directly or not), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, Interrupted):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class _State:
    """Whether our handlers are installed, how deep the holds go, and what they delay."""

    installed = False
    held = 0
    pending: int | None = None


def _handle(signal_number: int, frame: FrameType | None) -> None:
    if _State.held:
        _State.pending = signal_number
        return
    raise Interrupted(signal_number)


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` in the main thread.

    The previous handlers are restored on the way out. A signal the process
    was started ignoring stays ignored. Outside the main thread, where Python
    cannot set handlers, the block changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {number: signal.getsignal(number) for number in HANDLED_SIGNALS}
    _State.held, _State.pending = 0, None
    _State.installed = True
    try:
        for number, handler in previous.items():
            # a signal ignored by whoever started the process (a shell's
            # background job ignores SIGINT, so that Ctrl-C stops only the
            # foreground) stays ignored, as Python itself leaves it
            if handler is not signal.SIG_IGN:
                signal.signal(number, _handle)
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _State.installed = False


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Delay an :class:`Interrupted` raised by a signal to the end of the block.

    For what must not stop halfway: writing the several files of one task,
    stopping workers. Without :func:`signals_interrupt` in force it does
    nothing (a ``KeyboardInterrupt`` from Python's own handler is not
    delayed). A signal received while an exception leaves the block is not
    raised: that exception goes on, and stops the command anyway.
    """
    number: int | None = None
    _State.held += 1
    try:
        yield
    finally:
        _State.held -= 1
        if _State.held == 0:
            number, _State.pending = _State.pending, None
    # reached only on a normal exit: an exception on its way out goes first
    if number is not None and _State.installed:
        raise Interrupted(number)
