"""SIGINT and SIGTERM become one exception, delayed where a write must not stop halfway."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import closing

import pytest

from simulator.experiments.executors import LocalPoolExecutor
from simulator.experiments.interrupts import (
    Interrupted,
    interrupt_in,
    interrupts_held,
    signals_interrupt,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")


@pytest.fixture
def interrupting() -> Iterator[None]:
    """The CLI's handlers, as ``main`` installs them, with SIGINT and SIGTERM handled."""
    saved = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with signals_interrupt():
            yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def _deliver(number: int) -> None:
    """Send ``number`` to this process and give Python the chance to run its handler."""
    os.kill(os.getpid(), number)
    # the handler runs between two bytecodes of the main thread
    for _ in range(100):
        time.sleep(0.001)


@pytest.mark.parametrize(
    ("number", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_both_signals_raise_interrupted(interrupting: None, number: int, code: int) -> None:
    with pytest.raises(Interrupted) as caught:
        _deliver(number)
    assert caught.value.signal_number == number
    assert caught.value.exit_code == code
    assert str(caught.value) == signal.Signals(number).name


def test_a_hold_delays_the_signal_to_its_end(interrupting: None) -> None:
    steps: list[str] = []
    with pytest.raises(Interrupted) as caught, interrupts_held():
        _deliver(signal.SIGTERM)
        steps.append("after the signal")
        with interrupts_held():  # nested: only the outermost raises
            steps.append("inner")
        steps.append("end of the write")
    assert steps == ["after the signal", "inner", "end of the write"]
    assert caught.value.signal_number == signal.SIGTERM
    # raised once: the next hold is quiet
    with interrupts_held():
        pass


def test_the_handlers_are_restored_and_an_ignored_signal_stays_ignored() -> None:
    saved = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM)}
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with signals_interrupt():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
            _deliver(signal.SIGINT)  # ignored: nothing raised
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def test_outside_the_main_thread_nothing_is_installed() -> None:
    seen: list[object] = []

    def body() -> None:
        with signals_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [before]


def test_an_interrupt_is_found_inside_what_compiled_code_made_of_it() -> None:
    interrupt = Interrupted(signal.SIGINT)
    try:
        try:
            raise interrupt
        except Interrupted:
            # what numba raises when a handler raised during its call
            raise SystemError("returned a result with an exception set") from None
    except SystemError as exc:
        assert exc.__context__ is interrupt
        assert interrupt_in(exc) is interrupt
    assert interrupt_in(ValueError("unrelated")) is None
    # SimPy re-raises a process's exception as type(exc)(*exc.args)
    copy = type(interrupt)(*interrupt.args)
    assert copy.signal_number == signal.SIGINT


@pytest.mark.slow
def test_an_abandoned_pool_kills_its_busy_workers_at_once() -> None:
    executor = LocalPoolExecutor(2)
    results = executor.map_unordered(time.sleep, [(0.0,), (90.0,), (90.0,)])
    with closing(results):
        assert next(results) is None  # the short call: the workers have started
        workers = multiprocessing.active_children()
        started = time.monotonic()
    # closed while two calls of 90 s run: they are killed, not waited for
    assert time.monotonic() - started < 30
    assert workers
    assert not [w for w in workers if w.is_alive()]


def test_the_line_says_what_is_kept_and_how_to_resume() -> None:
    from pathlib import Path

    from simulator.cli.console import interrupted_line

    assert interrupted_line("SIGTERM", 7, "run", Path("out")) == (
        "interrupted by SIGTERM: 7 finished runs kept in out; the same command resumes from there"
    )
    assert interrupted_line("SIGINT", 1, "replication", Path("out")).startswith(
        "interrupted by SIGINT: 1 finished replication kept in out;"
    )
    # not counted yet (stopped while the stored results were being checked)
    assert interrupted_line("SIGINT", None, "replication", Path("out")) == (
        "interrupted by SIGINT: out is kept as it was; the same command resumes from there"
    )
    assert interrupted_line("SIGINT", None, "replication", None) == "interrupted by SIGINT"


def test_a_local_dask_clusters_workers_log_only_errors() -> None:
    """Ctrl-C reaches a local cluster's workers too; at Dask's default level each would
    print a warning for its cancelled task beside the one interrupt line."""
    pytest.importorskip("distributed")
    from simulator.experiments.dask_support import WORKER_LOG_LEVEL_VARIABLE
    from simulator.experiments.executors import DaskExecutor

    before = os.environ.get(WORKER_LOG_LEVEL_VARIABLE)
    with DaskExecutor(local_workers=1) as executor:
        client = executor._connect()
        levels = client.run(lambda: logging.getLogger("distributed").getEffectiveLevel())
    assert list(levels.values()) == [logging.ERROR]
    # only the workers' start saw the variable
    assert os.environ.get(WORKER_LOG_LEVEL_VARIABLE) == before
