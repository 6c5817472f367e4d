"""A study directory loses nothing: resuming after SIGKILL, refusing another study."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from simulator.config.loading import load_scenario
from simulator.config.scenario import Scenario
from simulator.errors import ResultsError
from simulator.experiments.study import load_study, run_study

CONNECTSIM = Path(sys.executable).parent / "connectsim"


def _finished_files(out: Path) -> dict[Path, int]:
    """Files of finished replications and their modification times (ns).

    A replication is finished once its last part (distributions) is written: a
    kill between its parts leaves one that is rightly computed again.
    """
    return {
        p: p.stat().st_mtime_ns
        for p in out.glob("replications/*/*.parquet")
        if (p.parent / f"{p.name.split('.')[0]}.distributions.parquet").exists()
    }


def _replications(files: dict[Path, int]) -> int:
    """How many (arm, replication) pairs the files belong to."""
    return len({(p.parent.name, p.name.split(".")[0]) for p in files})


def _run_command(scenario: Path, overrides: list[str], out: Path, replications: int) -> list[str]:
    sets = [arg for o in overrides for arg in ("--set", o)]
    return [
        str(CONNECTSIM),
        "run",
        str(scenario),
        *sets,
        "--replications",
        str(replications),
        "--workers",
        "1",
        "--no-report",
        "--out",
        str(out),
    ]


@pytest.mark.slow
def test_sigkill_then_rerun_recomputes_nothing_finished(
    tmp_path: Path, paid_vs_free_path: Path, small_overrides: list[str]
) -> None:
    replications = 12

    def command(out: Path) -> list[str]:
        return _run_command(paid_vs_free_path, small_overrides, out, replications)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        command(killed),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while _replications(_finished_files(killed)) < 4:
        assert proc.poll() is None, "the run finished before it could be killed"
        assert time.monotonic() < deadline, "no replication finished in time"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _finished_files(killed)
    assert 4 <= _replications(before) < 2 * replications

    rerun = subprocess.run(command(killed), capture_output=True, text=True, check=True)
    assert f"reused {_replications(before)} finished replications" in rerun.stdout
    after = _finished_files(killed)
    assert _replications(after) == 2 * replications
    # nothing finished was written again
    assert {p: after[p] for p in before} == before
    assert not list(killed.rglob(".*.tmp"))

    clean = tmp_path / "clean"
    subprocess.run(command(clean), capture_output=True, check=True)
    resumed, uninterrupted = load_study(killed), load_study(clean)
    pd.testing.assert_frame_equal(resumed.metrics, uninterrupted.metrics)
    pd.testing.assert_frame_equal(resumed.daily, uninterrupted.daily)
    pd.testing.assert_frame_equal(
        pd.read_csv(killed / "summary" / "differences.csv"),
        pd.read_csv(clean / "summary" / "differences.csv"),
    )


def test_more_replications_reuse_the_first_ones(tmp_path: Path, small_scenario: Scenario) -> None:
    scenario = small_scenario
    first = run_study(scenario, replications=2, out=tmp_path)
    assert first.reused == 0
    seen: list[tuple[str, int]] = []
    second = run_study(
        scenario, replications=3, out=tmp_path, progress=lambda a, r: seen.append((a, r))
    )
    assert second.reused == 2 * len(scenario.arms)
    assert len(seen) == 3 * len(scenario.arms)
    in_memory = run_study(scenario, replications=3)
    pd.testing.assert_frame_equal(
        second.metrics.reset_index(drop=True),
        in_memory.metrics.reset_index(drop=True),
        check_dtype=False,
    )


def test_another_scenario_is_refused_unless_overwrite(
    tmp_path: Path, small_scenario: Scenario, paid_vs_free_path: Path, small_overrides: list[str]
) -> None:
    scenario = small_scenario
    run_study(scenario, replications=1, out=tmp_path)
    other = load_scenario(
        paid_vs_free_path, [*small_overrides, "arms.paid.price_usd_per_connect=0.3"]
    )
    with pytest.raises(ResultsError, match="--overwrite"):
        run_study(other, replications=1, out=tmp_path)
    # refused without writing anything: the old study is intact
    assert load_study(tmp_path).scenario == scenario
    replaced = run_study(other, replications=1, out=tmp_path, overwrite=True)
    assert replaced.reused == 0
    assert load_study(tmp_path).scenario == other
    with pytest.raises(ResultsError, match="seed 99"):
        run_study(other, replications=1, seed=99, out=tmp_path)


def test_a_directory_that_is_not_a_study_is_refused(
    tmp_path: Path, small_scenario: Scenario
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ResultsError, match="not a results directory"):
        run_study(small_scenario, replications=1, out=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
