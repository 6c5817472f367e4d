"""Ctrl-C and SIGTERM stop ``connectsim run`` cleanly, on every executor.

A real ``connectsim run`` is interrupted once a few replications have
finished: SIGINT is sent to its whole process group, as a terminal's Ctrl-C
is, and SIGTERM to its pid only, as ``kill`` sends it. It must exit with 130
or 143 and one line saying how many replications it kept, leave no process
it started running, and the same command must then finish the study with
results equal to an uninterrupted run's.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from simulator.config.scenario import Scenario
from simulator.experiments.study import Study, load_study, run_study

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals"),
]

CONNECTSIM = Path(sys.executable).parent / "connectsim"

REPLICATIONS = 4
"""Per arm: enough for the run to be caught midway, few enough to resume in seconds."""

INTERRUPT_AFTER = 2
"""Finished replications (files on disk) before the signal is sent."""

START_TIMEOUT_S = 120.0
"""Generous: the first replications wait for the engine to import on a busy machine."""

GONE_WITHIN_S = 5.0
"""How soon after the run has exited every process it started must be gone."""

EXECUTORS = {
    "in-process": ["--workers", "1"],
    "processes": ["--workers", "2"],
    "dask-local": ["--dask-local", "--workers", "2"],
}


def _descendants(pid: int) -> dict[int, str]:
    """Every live process below ``pid`` (zombies have exited), with its command line."""
    try:
        import psutil
    except ImportError:  # /proc, on Linux
        return _descendants_from_proc(pid)
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return {}
    found = {}
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.status() != psutil.STATUS_ZOMBIE:
                found[child.pid] = " ".join(child.cmdline())
    return found


def _descendants_from_proc(root: int) -> dict[int, str]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError):
            if entry.isdigit():
                text = Path(f"/proc/{entry}/stat").read_text()
                state, parent = text[text.rindex(")") + 2 :].split()[:2]
                if state != "Z":
                    children.setdefault(int(parent), []).append(int(entry))
    found: dict[int, str] = {}
    todo = [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            with contextlib.suppress(OSError):
                found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            todo.append(pid)
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie has exited: only its entry is left to reap)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return text[text.rindex(")") + 2 :].split()[0] != "Z"


def _finished(out: Path) -> int:
    """Replications whose last file (distributions) is written."""
    return len(list(out.glob("replications/*/*.distributions.parquet")))


def _command(scenario: Path, overrides: list[str], out: Path, executor: list[str]) -> list[str]:
    sets = [arg for text in overrides for arg in ("--set", text)]
    return [
        str(CONNECTSIM),
        "run",
        str(scenario),
        *sets,
        "--replications",
        str(REPLICATIONS),
        *executor,
        "--no-report",
        "--out",
        str(out),
    ]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, small_scenario: Scenario) -> Study:
    """The study the interrupted ones must end up equal to, run once in this process."""
    out = tmp_path_factory.mktemp("uninterrupted")
    run_study(small_scenario, replications=REPLICATIONS, out=out)
    return load_study(out)


@pytest.mark.parametrize("executor", list(EXECUTORS))
@pytest.mark.parametrize(
    "signal_number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"]
)
def test_a_signal_stops_the_run_and_the_same_command_resumes(
    tmp_path: Path,
    paid_vs_free_path: Path,
    small_overrides: list[str],
    uninterrupted: Study,
    executor: str,
    signal_number: int,
) -> None:
    if executor == "dask-local":
        pytest.importorskip("distributed")
    out = tmp_path / "study"
    command = _command(paid_vs_free_path, small_overrides, out, EXECUTORS[executor])
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    # its own session, so that SIGINT can go to its group as from a terminal,
    # and teardown can reach anything left of it
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    started: dict[int, str] = {}
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while _finished(out) < INTERRUPT_AFTER:
            assert proc.poll() is None, f"the run ended before the signal:\n{proc.stderr}"
            assert time.monotonic() < deadline, "no replication finished in time"
            started.update(_descendants(proc.pid))
            time.sleep(0.05)
        started.update(_descendants(proc.pid))
        if signal_number == signal.SIGINT:
            os.killpg(proc.pid, signal_number)
        else:
            os.kill(proc.pid, signal_number)
        _, stderr = proc.communicate(timeout=60)
        exited_at = time.monotonic()
        left = dict(started)
        while left and time.monotonic() - exited_at < GONE_WITHIN_S:
            left = {pid: c for pid, c in left.items() if _alive(pid)}
            time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    assert proc.returncode == 128 + signal_number, stderr
    name = signal.Signals(signal_number).name
    lines = stderr.strip().splitlines()
    # one line, and nothing else (no traceback, no leaked-semaphore warning)
    assert len(lines) == 1, stderr
    match = re.fullmatch(
        rf"interrupted by {name}: (\d+) finished replications? kept in (.+); "
        r"the same command resumes from there",
        lines[0],
    )
    assert match is not None, lines[0]
    assert Path(match[2]) == out
    kept = int(match[1])
    total = REPLICATIONS * len(uninterrupted.scenario.arms)
    # what the line counts is what is on disk, and the study was caught midway
    assert kept == _finished(out)
    assert INTERRUPT_AFTER <= kept < total
    assert not list(out.rglob(".*.tmp")), "a half-written file was left"
    if executor != "in-process":
        # the workers were watched, so the check below is not vacuous
        assert any("multiprocessing" in c for c in started.values()), started
    listing = "\n".join(f"  {pid}: {c[:150]}" for pid, c in left.items())
    assert not left, f"still alive after the run exited:\n{listing}"

    resumed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"reused {kept} finished replication" in resumed.stdout
    study = load_study(out)
    pd.testing.assert_frame_equal(study.metrics, uninterrupted.metrics)
    pd.testing.assert_frame_equal(study.daily, uninterrupted.daily)
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "summary" / "differences.csv"),
        pd.read_csv(uninterrupted.path / "summary" / "differences.csv"),  # type: ignore[operator]
    )
