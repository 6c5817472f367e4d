"""Every executor writes the same study, byte for byte in content.

The same small study runs in this process, on a pool of two processes and on
a real Dask cluster (a ``dask scheduler`` and two ``dask worker`` processes
started by the fixture); every Parquet file of the three results directories
must hold the same table, and each manifest must name its executor. Fast
checks cover naming executors, a missing dask, an unreachable scheduler and
the CLI's refusal of contradictory options.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator import cli
from simulator.config.scenario import Scenario
from simulator.errors import ExecutorError
from simulator.experiments.executors import (
    DaskExecutor,
    InProcessExecutor,
    LocalPoolExecutor,
    resolve_executor,
)
from simulator.experiments.interrupts import Interrupted, signals_interrupt
from simulator.experiments.study import run_study

SEED = 11
REPLICATIONS = 2
WORKERS_TIMEOUT_S = 120.0
"""Generous: on a 2-core machine, each worker imports the engine while the other tests run."""


def _dask_script() -> Path:
    script = Path(sys.executable).parent / "dask"
    if not script.is_file():
        pytest.fail(f"the dask command is not installed beside {sys.executable}")
    return script


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Terminate each process, then kill what is left of its process group."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        # a worker's nanny runs the worker in a child process: if the nanny
        # died without stopping it, the child is still in the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def _logs(paths: list[Path]) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in paths if p.is_file()
    )


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler on a free local port and two one-thread workers; yields its address."""
    from distributed import Client

    dask = str(_dask_script())
    home = tmp_path / "dask-cluster"
    home.mkdir()
    scheduler_file = home / "scheduler.json"
    logs: list[Path] = []
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> None:
        log = home / f"{name}.log"
        logs.append(log)
        with log.open("wb") as sink:
            procs.append(
                subprocess.Popen(
                    [dask, *args],
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    cwd=home,
                    # its own group, so teardown can reach the nanny's child too
                    start_new_session=True,
                )
            )

    try:
        start(
            "scheduler",
            *("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"),
            *("--scheduler-file", str(scheduler_file)),
        )
        deadline = time.monotonic() + WORKERS_TIMEOUT_S
        address = None
        while address is None:
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dask scheduler did not start:\n{_logs(logs)}")
            try:
                address = json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):  # not written yet, or half-written
                time.sleep(0.2)
        for i in range(2):
            start(
                f"worker-{i}",
                *("worker", "--scheduler-file", str(scheduler_file)),
                *("--nworkers", "1", "--nthreads", "1", "--no-dashboard"),
                *("--local-directory", str(home)),  # its scratch space, removed with tmp_path
            )
        with Client(address, set_as_default=False, timeout=WORKERS_TIMEOUT_S) as client:
            try:
                client.wait_for_workers(2, timeout=WORKERS_TIMEOUT_S)
            except TimeoutError:
                pytest.fail(f"two dask workers did not join:\n{_logs(logs)}")
        yield address
    finally:
        # the workers first, then the scheduler: a scheduler that closes while
        # its workers are closing leaves each worker process hanging for 8 s
        _stop(procs[1:])
        _stop(procs[:1])


def _parquet_files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*.parquet"))}


def _manifest(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    return data


def _assert_same_tables(reference: Path, other: Path) -> None:
    expected, found = _parquet_files(reference), _parquet_files(other)
    assert sorted(found) == sorted(expected), f"{other.name} holds other files"
    for name, path in expected.items():
        assert pq.read_table(found[name]).equals(pq.read_table(path)), (
            f"{name} differs between {reference.name} and {other.name}"
        )


@pytest.mark.slow
def test_in_process_pool_and_dask_cluster_write_identical_files(
    small_scenario: Scenario, dask_cluster: str, tmp_path: Path
) -> None:
    runs = {
        # the default (no executor, one worker) is in-process
        "in-process": run_study(
            small_scenario, REPLICATIONS, seed=SEED, out=tmp_path / "in-process"
        ),
        "pool": run_study(
            small_scenario,
            REPLICATIONS,
            seed=SEED,
            out=tmp_path / "pool",
            executor=LocalPoolExecutor(2),
        ),
        # a scheduler address, as --scheduler passes it
        "dask": run_study(
            small_scenario, REPLICATIONS, seed=SEED, out=tmp_path / "dask", executor=dask_cluster
        ),
    }
    reference = tmp_path / "in-process"
    files = _parquet_files(reference)
    # every arm and replication is there, so that equality means something
    for arm in small_scenario.arms:
        for r in range(REPLICATIONS):
            assert any(name.startswith(f"replications/{arm}/{r:05d}.") for name in files), (
                arm,
                r,
            )
    for name in ("pool", "dask"):
        _assert_same_tables(reference, tmp_path / name)
        assert runs[name].metrics.equals(runs["in-process"].metrics)

    manifests = {name: _manifest(tmp_path / name) for name in runs}
    assert manifests["in-process"]["executor"] == "in-process"
    assert manifests["pool"]["executor"] == "process-pool(2)"
    assert manifests["dask"]["executor"] == f"dask({dask_cluster})"
    for name, record in manifests.items():
        assert record["finished"], name
        assert record["scenario_hash"] == manifests["in-process"]["scenario_hash"]
        assert record["replication_seeds"] == manifests["in-process"]["replication_seeds"]


@pytest.mark.slow
def test_local_dask_cluster_gives_the_same_study(small_scenario: Scenario) -> None:
    alone = run_study(small_scenario, 1, seed=SEED)
    local = run_study(small_scenario, 1, seed=SEED, executor="dask-local", workers=2)
    for part in ("metrics", "daily", "histogram", "distributions"):
        assert getattr(local, part).equals(getattr(alone, part)), part


# ------------------------------------------------------------- a kept pool
def _alive(pids: set[int]) -> set[int]:
    """Which of ``pids`` are child processes of this one still running."""
    return {p.pid for p in multiprocessing.active_children() if p.pid in pids}


def test_an_entered_pool_keeps_its_workers_between_calls() -> None:
    """Entered, the executor's workers serve every call (a study's rounds, a
    calibration's batches) and stop when it is left; not entered, each call starts
    and stops its own."""
    executor = LocalPoolExecutor(2)
    with executor:
        first = set(executor.map_unordered(os.getpid, [()] * 6))
        workers = {p.pid for p in multiprocessing.active_children()}
        assert first <= workers
        second = set(executor.map_unordered(os.getpid, [()] * 6))
        third = set(executor.map_unordered(os.getpid, [()]))
        # the same processes, still running between calls; none started anew
        assert second | third <= workers
        assert _alive(workers) == workers
    assert _alive(workers) == set()
    alone = set(LocalPoolExecutor(2).map_unordered(os.getpid, [()] * 2))
    assert not alone & workers
    assert _alive(alone) == set()


def test_a_signal_reaches_a_pool_between_waits_not_inside_them() -> None:
    """Raised inside concurrent.futures' waiting, an interrupt could leave a future's
    lock held by the main thread, and the pool's shutdown then hung for ever: the
    interrupt must come out of the executor's own loop, with no frame of the
    standard library's waiting under it, and the pool must still stop."""
    executor = LocalPoolExecutor(2)
    signal_soon = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    try:
        with signals_interrupt(), executor:
            list(executor.map_unordered(int, [()] * 4))  # the workers are up
            workers = {p.pid for p in multiprocessing.active_children()}
            signal_soon.start()
            with pytest.raises(Interrupted) as raised:
                for _ in executor.map_unordered(time.sleep, [(5.0,)] * 4):
                    pass
    finally:
        # never a SIGTERM to this process once its handler is gone
        signal_soon.cancel()
    assert workers
    frames = [str(entry.path) for entry in raised.traceback]
    assert not [path for path in frames if "concurrent" in path or "threading" in path]
    assert any(path.endswith("executors.py") for path in frames)
    assert _alive(workers) == set()


def test_a_kept_pool_that_failed_is_replaced_at_the_next_call() -> None:
    executor = LocalPoolExecutor(2)
    with executor:
        with pytest.raises(ZeroDivisionError):
            list(executor.map_unordered(divmod, [(1, 0)]))
        assert list(executor.map_unordered(divmod, [(7, 2)])) == [(3, 1)]
        workers = {p.pid for p in multiprocessing.active_children()}
    assert workers
    assert _alive(workers) == set()


@pytest.mark.slow
def test_leaving_a_kept_pool_on_an_error_kills_its_busy_workers_at_once() -> None:
    executor = LocalPoolExecutor(2)
    started = 0.0
    with pytest.raises(RuntimeError, match="stop"), executor:
        results = executor.map_unordered(time.sleep, [(0.0,), (90.0,), (90.0,)])
        assert next(results) is None  # the short call: the workers have started
        workers = {p.pid for p in multiprocessing.active_children()}
        started = time.monotonic()
        raise RuntimeError("stop")
    # left while two calls of 90 s run: they are killed, not waited for
    assert time.monotonic() - started < 30
    assert workers
    assert _alive(workers) == set()


# ------------------------------------------------------------- fast checks
def test_executors_by_name() -> None:
    assert resolve_executor(None).describe() == "in-process"
    assert resolve_executor(None, 1).describe() == "in-process"
    assert resolve_executor(None, 3).describe() == "process-pool(3)"
    assert resolve_executor("in-process").describe() == "in-process"
    assert resolve_executor("processes", 2).describe() == "process-pool(2)"
    assert resolve_executor("dask-local", 2).describe() == "dask-local(2)"
    address = "tcp://127.0.0.1:8786"
    assert resolve_executor(address).describe() == f"dask({address})"
    mine = InProcessExecutor()
    assert resolve_executor(mine) is mine


@pytest.mark.parametrize(
    ("executor", "workers", "message"),
    [
        ("dask", None, "unknown executor 'dask'"),
        ("tcp://127.0.0.1:8786", 2, "workers=2"),
        ("in-process", 4, "workers=4"),
    ],
)
def test_executors_refuse_what_they_cannot_do(
    executor: str, workers: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_executor(executor, workers)


def test_in_process_executor_yields_in_order() -> None:
    assert list(InProcessExecutor().map_unordered(pow, [(2, 3), (3, 2)])) == [8, 9]


def test_missing_dask_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, small_scenario: Scenario, tmp_path: Path
) -> None:
    # a None entry in sys.modules makes `import distributed` raise ImportError
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ExecutorError, match=r"pip install 'connectsim\[dask\]'"):
        DaskExecutor()
    out = tmp_path / "results"
    with pytest.raises(ExecutorError):
        run_study(small_scenario, 1, out=out, executor="dask-local")
    assert not out.exists()


def _printed_by(code: str) -> str:
    """What ``code`` prints, run in a fresh interpreter (which must succeed)."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout


def test_import_simulator_does_not_import_dask() -> None:
    code = (
        "import sys, simulator, simulator.experiments.study, simulator.cli; "
        "simulator.DaskExecutor; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    assert _printed_by(code).strip() == "[]"


def test_the_experiments_api_leaves_scipy_stats_to_the_summaries() -> None:
    """A script importing the experiments API is the main module of its pool's
    spawned workers, which import it again as they start: it must not make each of
    them import SciPy's statistics, which only the summaries use."""
    code = (
        "import sys; import simulator.experiments.sweep, simulator.experiments.study, "
        "simulator.experiments.runner, simulator.experiments.sensitivity; "
        "print('scipy.stats' in sys.modules)"
    )
    assert _printed_by(code).strip() == "False"


def test_a_pool_worker_freezes_its_objects_only_as_it_exits() -> None:
    """The worker's initializer makes its exit skip the interpreter's last collections
    (gc.freeze at exit), without freezing anything while it works."""
    code = (
        "import atexit, gc, os\n"
        "atexit.register(lambda: print('at exit', gc.get_freeze_count() > 0))\n"
        "from simulator.experiments.executors import _start_worker\n"
        "_start_worker(os.getppid())\n"
        "kept = [[i] for i in range(1000)]\n"
        "print('working', gc.get_freeze_count())\n"
    )
    assert _printed_by(code).split("\n")[:2] == ["working 0", "at exit True"]


def test_unreachable_scheduler_writes_nothing(small_scenario: Scenario, tmp_path: Path) -> None:
    out = tmp_path / "results"
    # port 1 on the loopback interface: refused at once, retried until the timeout
    nowhere = DaskExecutor("tcp://127.0.0.1:1", connect_timeout=1)
    with pytest.raises(ExecutorError, match=r"tcp://127\.0\.0\.1:1"):
        run_study(small_scenario, 1, out=out, executor=nowhere)
    assert not out.exists()


@pytest.mark.parametrize("other", [["--dask-local"], ["--workers", "2"]])
def test_scheduler_excludes_local_options(
    other: list[str], paid_vs_free_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    args = ["run", str(paid_vs_free_path), "--scheduler", "tcp://127.0.0.1:1", *other]
    result = CliRunner().invoke(cli.app, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: --scheduler and ")
    assert other[0] in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not out.exists()
