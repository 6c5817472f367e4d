"""Worker processes die with the ``connectsim`` process that started them.

A real ``connectsim run`` with two local workers (a process pool, or a local
Dask cluster) is killed with SIGKILL, which leaves it no chance to stop its
workers; every process it had started (the workers and multiprocessing's
resource tracker) must then be gone within :data:`GONE_WITHIN_S`. Processes
are found through ``/proc`` (parent pids), so these tests run on Linux only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux's /proc"),
]

LONG_RUN = (
    "world.population.freelancers=200",
    "world.jobs.jobs_per_day=20",
    "run.warmup_days=5",
    "run.horizon_days=200",
)
"""Overrides of paid_vs_free.yaml: small, yet its 40 replications outlast the test."""

START_TIMEOUT_S = 180.0
"""Generous: on a 2-core machine the workers import the engine while other tests run."""

SETTLE_S = 2.0
"""How long the workers run before the kill, so that they are busy, not starting."""

GONE_WITHIN_S = 10.0
"""How soon after the kill every process the run started must be gone."""

Process = tuple[int, int]
"""A process: its pid and its start time (ticks since boot), so that a reused pid is not it."""


def _stat(pid: int) -> tuple[int, str, int] | None:
    """The parent pid, state and start time of ``pid``, or None if there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name, in parentheses, may hold spaces: split after its last ")"
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], int(fields[19])


def _descendants(root: int) -> dict[Process, str]:
    """Every live process below ``root``, with its command line."""
    children: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None and stat[1] != "Z":
                children.setdefault(stat[0], []).append(int(entry))
                starts[int(entry)] = stat[2]
    found: dict[Process, str] = {}
    todo = [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:  # gone meanwhile
                continue
            found[(pid, starts[pid])] = command.decode(errors="replace").strip()
            todo.append(pid)
    return found


def _alive(process: Process) -> bool:
    """Whether ``process`` still runs; a zombie has exited (only its entry is left to reap)."""
    stat = _stat(process[0])
    return stat is not None and stat[2] == process[1] and stat[1] != "Z"


def _connectsim() -> Path:
    beside = Path(sys.executable).parent / "connectsim"
    if beside.is_file():
        return beside
    found = shutil.which("connectsim")
    if found is None:
        pytest.fail("the connectsim script is not installed (pip install -e .)")
    return Path(found)


@contextlib.contextmanager
def _running(
    paid_vs_free_path: Path, tmp_path: Path, executor: list[str]
) -> Iterator[subprocess.Popen[bytes]]:
    """A ``connectsim run`` of the long scenario; whatever is left of it is killed at the end."""
    args = [str(_connectsim()), "run", str(paid_vs_free_path)]
    for text in LONG_RUN:
        args += ["--set", text]
    args += [*executor, "--no-report", "--out", str(tmp_path / "x")]
    env = {**os.environ, "NO_COLOR": "1"}
    with (tmp_path / "run.log").open("wb") as log:
        # its own session, so that teardown can reach anything left of it
        proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _wait_for_workers(proc: subprocess.Popen[bytes], marker: str, log: Path) -> None:
    """Wait until two processes whose command line holds ``marker`` run below ``proc``."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        workers = [c for c in _descendants(proc.pid).values() if marker in c]
        if len(workers) >= 2:
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"two workers did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    time.sleep(SETTLE_S)


def _kill_and_watch(proc: subprocess.Popen[bytes], log: Path) -> None:
    """SIGKILL ``proc``; assert that every process it had started is gone soon after."""
    started = _descendants(proc.pid)
    assert proc.poll() is None, (
        "the run finished before it could be killed: make LONG_RUN longer\n"
        + log.read_text(errors="replace")[-3000:]
    )
    proc.kill()
    proc.wait(timeout=30)
    killed_at = time.monotonic()
    left = dict(started)
    while left and time.monotonic() - killed_at < GONE_WITHIN_S:
        time.sleep(0.1)
        left = {p: c for p, c in left.items() if _alive(p)}
    took = time.monotonic() - killed_at
    for process in left:  # do not leave them behind for the next test
        with contextlib.suppress(ProcessLookupError):
            os.kill(process[0], signal.SIGKILL)
    listing = "\n".join(f"  {pid}: {command[:150]}" for (pid, _), command in left.items())
    assert not left, f"alive {took:.1f} s after the kill of their parent:\n{listing}"
    # the resource tracker and the two workers at least were watched
    assert len(started) >= 3, started


def test_pool_workers_exit_when_their_parent_is_killed(
    paid_vs_free_path: Path, tmp_path: Path
) -> None:
    with _running(paid_vs_free_path, tmp_path, ["--workers", "2"]) as proc:
        _wait_for_workers(proc, "multiprocessing.spawn", tmp_path / "run.log")
        _kill_and_watch(proc, tmp_path / "run.log")


def test_local_dask_workers_exit_when_their_parent_is_killed(
    paid_vs_free_path: Path, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    with _running(paid_vs_free_path, tmp_path, ["--dask-local", "--workers", "2"]) as proc:
        # the nannies run in the parent; each starts its worker as a spawned process
        _wait_for_workers(proc, "multiprocessing.spawn", tmp_path / "run.log")
        _kill_and_watch(proc, tmp_path / "run.log")
