"""A --scheduler that cannot be used fails fast, in one line, and the process exits.

Each case runs the real ``connectsim run`` as a subprocess, its wait for a
scheduler shortened to :data:`TIMEOUT_S` through ``CONNECTSIM_CONNECT_TIMEOUT``,
against servers started here on 127.0.0.1 (nothing else is contacted): one
that accepts connections and never answers, ones that answer garbage, and a
port where nothing listens; and malformed addresses, refused before anything
is started. Every case must end with exit code 2, exactly one line
``error: ...`` on stderr and no traceback, within the timeout plus
:data:`MARGIN_S` (the time to start Python and import the engine, and to
exit). Before these were handled, the silent server hung the run for good
and every other case took over a minute, ending in a finalizer's traceback.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simulator.errors import ExecutorError
from simulator.experiments.executors import DaskExecutor

pytest.importorskip("distributed")

TIMEOUT_S = 3.0
"""The wait for a scheduler, instead of the 30 s a user gets."""

MARGIN_S = 30.0
"""Generous: on a 2-core machine running other tests, starting the CLI alone takes seconds."""

Answer = Callable[[socket.socket], None]
"""What a test server does with a connection it accepts."""


def _never_answer(_conn: socket.socket) -> None:
    """Hold the connection open and say nothing."""


def _send(payload: bytes) -> Answer:
    def answer(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):  # the client may hang up first
            conn.sendall(payload)

    return answer


@contextlib.contextmanager
def _server(answer: Answer) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that treats each connection with ``answer``; yields its address."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the listener was closed: the test is over
                return
            held.append(conn)  # kept open: a closed connection would be an answer too
            answer(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        # shutdown wakes the accept() blocked in the thread, which close() alone may not
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=5)
        for conn in held:
            conn.close()


def _free_port() -> int:
    """A port of 127.0.0.1 on which nothing listens (taken, then released)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port: int = probe.getsockname()[1]
    return port


def _connectsim() -> Path:
    beside = Path(sys.executable).parent / "connectsim"
    if beside.is_file():
        return beside
    found = shutil.which("connectsim")
    if found is None:
        pytest.fail("the connectsim script is not installed (pip install -e .)")
    return Path(found)


def _run_with_scheduler(address: str, paid_vs_free_path: Path, out: Path) -> tuple[str, float]:
    """Run ``connectsim run --scheduler ADDRESS`` and assert that it fails cleanly.

    Returns its one line of error and the seconds it took.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "COLUMNS"}}
    env["NO_COLOR"] = "1"
    env["CONNECTSIM_CONNECT_TIMEOUT"] = str(TIMEOUT_S)
    args = [str(_connectsim()), "run", str(paid_vs_free_path), "--scheduler", address]
    started = time.monotonic()
    proc = subprocess.run(
        [*args, "--no-report", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        # well past the limit asserted below, so that a hang fails as a hang
        timeout=TIMEOUT_S + 4 * MARGIN_S,
        check=False,
    )
    took = time.monotonic() - started
    output = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 2, output
    assert "Traceback" not in proc.stdout + proc.stderr, output
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    assert took < TIMEOUT_S + MARGIN_S, f"took {took:.1f} s\n{output}"
    assert not out.exists()
    return lines[0], took


# the CLI cases start a new Python each (seconds), hence slow
@pytest.mark.slow
def test_a_server_that_never_answers_is_given_up_after_the_timeout(
    paid_vs_free_path: Path, tmp_path: Path
) -> None:
    with _server(_never_answer) as address:
        line, took = _run_with_scheduler(address, paid_vs_free_path, tmp_path / "x")
    expected = f"cannot use the Dask scheduler at {address}: no Dask scheduler answered within 3 s"
    assert line == f"error: {expected}"
    # waited for the timeout, not given up at once for some other reason
    assert took >= TIMEOUT_S


GARBAGE = {
    # Dask reads a length from the first bytes and tries to allocate it (exbibytes)
    "random bytes": random.Random(20240611).randbytes(4096),
    # a web server, the likeliest wrong port
    "an HTTP response": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    # a plausible frame count and lengths, then junk that is not msgpack, and silence
    "framed junk": struct.pack("<QQQ", 16, 1, 8) + b"\xc1" * 8,
    # a small length, then silence: Dask waits for the rest
    "a length and silence": struct.pack("<Q", 64),
}


@pytest.mark.slow
@pytest.mark.parametrize("payload", GARBAGE.values(), ids=GARBAGE.keys())
def test_a_server_that_answers_garbage_is_reported_in_one_line(
    payload: bytes, paid_vs_free_path: Path, tmp_path: Path
) -> None:
    with _server(_send(payload)) as address:
        line, _ = _run_with_scheduler(address, paid_vs_free_path, tmp_path / "x")
    assert line.startswith(f"error: cannot use the Dask scheduler at {address}: ")


@pytest.mark.slow
def test_a_port_where_nothing_listens_is_reported_in_one_line(
    paid_vs_free_path: Path, tmp_path: Path
) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    line, _ = _run_with_scheduler(address, paid_vs_free_path, tmp_path / "x")
    assert line.startswith(f"error: cannot use the Dask scheduler at {address}: ")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("garbage", "expected tcp://HOST:PORT"),
        ("", "expected tcp://HOST:PORT"),
        ("tcp://127.0.0.1", "no PORT"),
        ("http://127.0.0.1:1", "the scheme 'http://' is not tcp:// or tls://"),
        ("tcp://127.0.0.1:0", "port 0 is not in 1-65535"),
        ("tcp://127.0.0.1:65536", "port 65536 is not in 1-65535"),
    ],
)
def test_a_malformed_address_is_refused_before_anything_starts(
    address: str, problem: str, paid_vs_free_path: Path, tmp_path: Path
) -> None:
    line, _ = _run_with_scheduler(address, paid_vs_free_path, tmp_path / "x")
    assert line.startswith(f"error: --scheduler: {address!r} is not a Dask scheduler address")
    assert problem in line


# ------------------------------------------------- the same, in this process
def _dask_threads() -> list[str]:
    """Threads left by a Dask client (its event loop) or by a connect attempt."""
    return [
        t.name for t in threading.enumerate() if t.name in {"IO loop", "connectsim-dask-connect"}
    ]


@pytest.mark.parametrize("answer", [_never_answer, _send(GARBAGE["framed junk"])])
def test_a_failed_connect_leaves_no_thread_behind(
    answer: Answer, capfd: pytest.CaptureFixture[str]
) -> None:
    before = _dask_threads()
    with _server(answer) as address:
        executor = DaskExecutor(address, connect_timeout=1.0)
        started = time.monotonic()
        with pytest.raises(ExecutorError, match=r"^cannot use the Dask scheduler at tcp://"):
            executor.open()
        took = time.monotonic() - started
    assert took < 1.0 + 5.0
    deadline = time.monotonic() + 5.0
    while _dask_threads() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _dask_threads() == before
    # Dask's own logging of the failure is silenced: the error says it all
    assert capfd.readouterr().err == ""
