"""Checks of what a caller asks an executor for, before anything starts.

Worker counts below 1 (or a bool) are refused by name in the Python API
instead of silently running in-process or on all cores; scheduler addresses
are checked for their syntax; the CLI caps local workers at the cores this
process may use and reads its scheduler timeout from the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from typer.testing import CliRunner

import simulator.experiments.executors
from simulator import cli
from simulator.config.scenario import Scenario
from simulator.errors import ExecutorError
from simulator.experiments.executors import (
    CONNECT_TIMEOUT_VARIABLE,
    DEFAULT_CONNECT_TIMEOUT_S,
    DaskExecutor,
    LocalPoolExecutor,
    check_scheduler_address,
    connect_timeout_from_environment,
    resolve_executor,
)
from simulator.experiments.study import run_study

BAD_WORKERS = [0, -1, True, False, 1.5, "2"]


# ------------------------------------------------------------------ workers
@pytest.mark.parametrize("workers", BAD_WORKERS, ids=repr)
@pytest.mark.parametrize("executor", [None, "processes", "dask-local", "in-process"])
def test_resolve_executor_refuses_workers_below_one_or_not_whole(
    executor: str | None, workers: object
) -> None:
    with pytest.raises(ValueError, match=r"^workers must be a whole number of at least 1"):
        resolve_executor(executor, workers)  # type: ignore[arg-type]


@pytest.mark.parametrize("workers", [0, -1, True])
def test_run_study_refuses_bad_workers_before_writing(
    workers: int, small_scenario: Scenario, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    with pytest.raises(ValueError, match=rf"workers must be .* \(got {workers!r}\)"):
        run_study(small_scenario, 1, workers=workers, out=out)
    assert not out.exists()


def test_executors_refuse_bad_worker_counts_by_name() -> None:
    with pytest.raises(ValueError, match=r"^workers must be"):
        LocalPoolExecutor(0)
    with pytest.raises(ValueError, match=r"^workers must be"):
        LocalPoolExecutor(True)
    with pytest.raises(ValueError, match=r"^local_workers must be"):
        DaskExecutor(local_workers=0)


def test_one_worker_and_none_still_work() -> None:
    assert resolve_executor(None, 1).describe() == "in-process"
    assert resolve_executor(None, None).describe() == "in-process"
    assert resolve_executor("processes", 1).describe() == "process-pool(1)"


# ---------------------------------------------------------------- addresses
@pytest.mark.parametrize(
    "address",
    [
        "tcp://127.0.0.1:8786",
        "tls://scheduler.example.org:1",
        "tcp://node-7:65535",
        "tcp://[::1]:8786",
    ],
)
def test_well_formed_addresses_pass(address: str) -> None:
    assert check_scheduler_address(address) == address


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("garbage", "expected tcp://HOST:PORT"),
        ("", "expected tcp://HOST:PORT"),
        ("127.0.0.1:8786", "expected tcp://HOST:PORT"),
        ("http://127.0.0.1:1", "the scheme 'http://'"),
        ("TCP://127.0.0.1:1", "the scheme 'TCP://'"),
        ("ws://127.0.0.1:1", "the scheme 'ws://'"),
        ("tcp://127.0.0.1", "no PORT"),
        ("tcp://127.0.0.1:", "no valid HOST"),
        ("tcp://:8786", "no valid HOST"),
        ("tcp://127.0.0.1:0", "port 0 is not in 1-65535"),
        ("tcp://127.0.0.1:65536", "port 65536 is not in 1-65535"),
        ("tcp://127.0.0.1:8786/path", "no valid HOST"),
        ("tcp://user@host:8786", "no valid HOST"),
        ("tcp://a host:1", "no valid HOST"),
        ("tcp://[1:2:3]:1", "[1:2:3] is not an IPv6 address"),
    ],
)
def test_malformed_addresses_are_refused(address: str, problem: str) -> None:
    with pytest.raises(ValueError, match=r"is not a Dask scheduler address") as info:
        check_scheduler_address(address)
    assert problem in str(info.value)


def test_a_dask_executor_checks_its_address_before_connecting() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match=r"no PORT"):
        DaskExecutor("tcp://127.0.0.1")
    with pytest.raises(ValueError, match=r"^connect_timeout must be"):
        DaskExecutor("tcp://127.0.0.1:8786", connect_timeout=0)


def test_the_cli_refuses_a_malformed_scheduler_before_loading(tmp_path: Path) -> None:
    out = tmp_path / "results"
    # the scenario does not even exist: the option is refused first
    args = ["run", str(tmp_path / "none.yaml"), "--scheduler", "tcp://127.0.0.1", "--out", str(out)]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: --scheduler: 'tcp://127.0.0.1' is not a Dask scheduler")
    assert not out.exists()


# ------------------------------------------------------------------ timeout
@pytest.mark.parametrize(("text", "seconds"), [(None, DEFAULT_CONNECT_TIMEOUT_S), ("", 30.0)])
def test_connect_timeout_defaults_to_thirty_seconds(
    text: str | None, seconds: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    if text is None:
        monkeypatch.delenv(CONNECT_TIMEOUT_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(CONNECT_TIMEOUT_VARIABLE, text)
    assert connect_timeout_from_environment() == seconds


def test_connect_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONNECT_TIMEOUT_VARIABLE, " 2.5 ")
    assert connect_timeout_from_environment() == 2.5
    pytest.importorskip("distributed")
    executor = cli.executor_for("tcp://127.0.0.1:8786", False, 1)
    assert isinstance(executor, DaskExecutor)
    assert executor.connect_timeout == 2.5


@pytest.mark.parametrize("text", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_connect_timeout_is_an_executor_error(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONNECT_TIMEOUT_VARIABLE, text)
    with pytest.raises(ExecutorError, match=CONNECT_TIMEOUT_VARIABLE):
        connect_timeout_from_environment()


# ----------------------------------------------------------- the CLI's cap
@pytest.mark.parametrize(
    ("asked", "pool"), [(12, "process-pool(3)"), (3, "process-pool(3)"), (2, "process-pool(2)")]
)
def test_the_cli_caps_local_workers_at_the_cores(
    asked: int, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # read at call time from simulator.experiments.executors, so this machine's cores do not matter
    monkeypatch.setattr(simulator.experiments.executors, "default_workers", lambda: 3)
    assert cli.executor_for(None, False, asked).describe() == pool
    pytest.importorskip("distributed")
    # made, not opened: no cluster starts
    assert cli.executor_for(None, True, asked).describe() == pool.replace(
        "process-pool", "dask-local"
    )


def test_on_one_core_the_cli_runs_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulator.experiments.executors, "default_workers", lambda: 1)
    assert cli.executor_for(None, False, 12).describe() == "in-process"


def test_the_workers_help_says_more_than_the_cores_gets_the_cores() -> None:
    # the option's own text: the rendered help wraps it wherever the terminal ends
    _, option = get_args(cli.WorkersOption)
    assert "more than the cores this process may use gets the cores" in option.help
