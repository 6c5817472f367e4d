"""Sweeps run: common random numbers across points, the frontier, resuming after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simulator.config.scenario import Scenario
from simulator.errors import ResultsError
from simulator.experiments.study import run_study
from simulator.experiments.sweep import (
    OBJECTIVES,
    Sweep,
    load_sweep,
    pareto_front,
    plan_sweep,
    sweep,
)

CONNECTSIM = Path(sys.executable).parent / "connectsim"
PRICE = "arms.paid.price_usd_per_connect"
GRANT = "arms.free.monthly_grant.basic"


@pytest.fixture(scope="module")
def two_points(tmp_path_factory: pytest.TempPathFactory, small_scenario: Scenario) -> Sweep:
    """The small scenario at the paid arm's own price and at twice it, 2 replications."""
    out = tmp_path_factory.mktemp("sweep") / "out"
    return sweep(small_scenario, [f"{PRICE}=0.15,0.30"], replications=2, seed=11, out=out)


def test_the_point_at_the_base_value_is_the_base_study(
    two_points: Sweep, small_scenario: Scenario
) -> None:
    base = run_study(small_scenario, replications=2, seed=11)
    at_base = two_points.study("p000")
    # the same root seed at every point: the point equal to the base is the base study
    pd.testing.assert_frame_equal(at_base.metrics, base.metrics, check_dtype=False)
    pd.testing.assert_frame_equal(
        at_base.levels(), base.levels(), check_dtype=False, check_exact=False, rtol=1e-12
    )
    # and the free arm, which the price does not touch, is identical at both points
    m = two_points.metrics
    free = [
        m[(m["point"] == p) & (m["arm"] == "free")]["value"].to_numpy() for p in ("p000", "p001")
    ]
    np.testing.assert_array_equal(free[0], free[1])


def test_frames_carry_the_parameters(two_points: Sweep) -> None:
    points = two_points.points()
    assert points.columns.tolist() == ["point", PRICE]
    assert points[PRICE].tolist() == [0.15, 0.30]
    for frame in (two_points.frame(), two_points.levels(), two_points.differences()):
        assert frame.columns[:2].tolist() == ["point", PRICE]
        assert set(frame["point"]) == {"p000", "p001"}
        assert (frame[PRICE] == frame["point"].map({"p000": 0.15, "p001": 0.30})).all()
    assert set(two_points.differences()["arm"]) == {"free"}
    for name in ("points", "levels", "differences", "frontier"):
        assert (two_points.path / "summary" / f"{name}.csv").is_file()  # type: ignore[operator]


def test_the_frontier_is_the_pareto_set_of_distinct_policies(two_points: Sweep) -> None:
    policies = two_points.policies()
    # the free arm is one policy, at both points; the paid arm two
    assert sorted(zip(policies["arm"], policies["points"], strict=True)) == [
        ("free", "p000 p001"),
        ("paid", "p000"),
        ("paid", "p001"),
    ]
    assert policies.loc[policies["arm"] == "free", PRICE].isna().all()
    means = policies[[f"{o.name}_mean" for o in OBJECTIVES]].to_numpy(dtype=float)
    expected = pareto_front(means, [o.higher_is_better for o in OBJECTIVES])
    assert policies["on_frontier"].tolist() == expected.tolist()
    frontier = two_points.frontier()
    assert len(frontier) == int(expected.sum()) >= 1
    lv = two_points.levels()
    for row in frontier.itertuples():
        hit = lv[
            (lv["point"] == row.point)
            & (lv["arm"] == row.arm)
            & (lv["metric"] == "total_spend_share_of_income")
            & (lv["segment"] == "africa")  # the poorest region of the default world
        ]
        assert row.poorest_region == "africa"
        assert row.cost_burden_poorest_mean == pytest.approx(float(hit["mean"].iloc[0]))


def test_load_sweep_gives_the_same_frames(two_points: Sweep) -> None:
    assert two_points.path is not None
    loaded = load_sweep(two_points.path)
    assert loaded.plan.sweep_hash() == two_points.plan.sweep_hash()
    pd.testing.assert_frame_equal(loaded.metrics, two_points.metrics)
    pd.testing.assert_frame_equal(loaded.frontier(), two_points.frontier())
    csv = pd.read_csv(two_points.path / "summary" / "levels.csv")
    assert len(csv) == len(two_points.levels())


def test_a_sweep_in_memory_has_the_frames_of_one_written_and_read_back(
    two_points: Sweep, small_scenario: Scenario
) -> None:
    """Kept in memory, a sweep's metrics come from the runs' frames; written, from its
    files' tables converted at once: the same frame, dtypes included."""
    in_memory = sweep(small_scenario, [f"{PRICE}=0.15,0.30"], replications=2, seed=11)
    pd.testing.assert_frame_equal(in_memory.metrics, two_points.metrics, check_exact=True)
    pd.testing.assert_frame_equal(in_memory.levels(), two_points.levels(), check_exact=True)


def test_rerunning_reuses_every_task_and_refuses_another_sweep(
    two_points: Sweep, small_scenario: Scenario
) -> None:
    out = two_points.path
    assert out is not None
    seen: list[tuple[str, str, int]] = []
    again = sweep(
        small_scenario,
        [f"{PRICE}=0.15,0.30"],
        replications=2,
        seed=11,
        out=out,
        progress=lambda p, a, r: seen.append((p, a, r)),
    )
    assert again.reused == len(seen) == 8
    pd.testing.assert_frame_equal(again.metrics, two_points.metrics)
    with pytest.raises(ResultsError, match="another sweep"):
        sweep(small_scenario, [f"{PRICE}=0.15,0.45"], replications=1, seed=11, out=out)
    with pytest.raises(ResultsError, match="holds a sweep"):
        run_study(small_scenario, replications=1, seed=11, out=out)
    # nothing was touched
    assert load_sweep(out).plan.sweep_hash() == two_points.plan.sweep_hash()


def test_a_study_directory_is_refused_unless_overwrite(
    tmp_path: Path, small_scenario: Scenario
) -> None:
    run_study(small_scenario, replications=1, out=tmp_path)
    with pytest.raises(ResultsError, match="a study of scenario"):
        sweep(small_scenario, [f"{PRICE}=0.1,0.2"], replications=1, out=tmp_path)
    replaced = sweep(
        small_scenario, [f"{PRICE}=0.1,0.2"], replications=1, out=tmp_path, overwrite=True
    )
    assert not (tmp_path / "replications").exists()
    assert load_sweep(tmp_path).plan.sweep_hash() == replaced.plan.sweep_hash()


# ------------------------------------------------------------------ SIGKILL


def _metrics_files(out: Path) -> dict[Path, int]:
    """Metrics files of finished tasks of every point and their modification times (ns).

    A task is finished when its last part (distributions) is written: a task
    killed between its parts is not finished and is rightly run again.
    """
    found = {}
    for last in out.glob("points/*/replications/*/*.distributions.parquet"):
        metrics = last.with_name(last.name.replace(".distributions.", ".metrics."))
        found[metrics] = metrics.stat().st_mtime_ns
    return found


@pytest.mark.slow
def test_sigkill_then_rerun_recomputes_nothing_finished(
    tmp_path: Path, paid_vs_free_path: Path, small_overrides: list[str]
) -> None:
    vary = [f"{PRICE}=0.10,0.30", f"{GRANT}=0,20"]
    replications, tasks = 2, 4 * 2 * 2
    out = tmp_path / "killed"
    command = [str(CONNECTSIM), "sweep", str(paid_vs_free_path)]
    command += [arg for text in vary for arg in ("--vary", text)]
    command += [arg for text in small_overrides for arg in ("--set", text)]
    command += ["-n", str(replications), "--workers", "1", "--no-report", "--out", str(out)]
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while len(_metrics_files(out)) < 3:
        assert proc.poll() is None, "the sweep finished before it could be killed"
        assert time.monotonic() < deadline, "no task finished in time"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _metrics_files(out)
    assert 3 <= len(before) < tasks
    assert not (out / "summary").exists()

    rerun = subprocess.run(command, capture_output=True, text=True, check=True)
    assert f"reused {len(before)} finished runs" in rerun.stdout
    after = _metrics_files(out)
    assert len(after) == tasks
    assert {p: after[p] for p in before} == before  # nothing finished was written again
    assert not list(out.rglob(".*.tmp"))

    plan = plan_sweep(paid_vs_free_path, vary, overrides=small_overrides)
    uninterrupted = sweep(plan, replications=replications)
    resumed = load_sweep(out)
    pd.testing.assert_frame_equal(resumed.metrics, uninterrupted.metrics, check_dtype=False)
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "summary" / "differences.csv"),
        uninterrupted.differences(),
        check_dtype=False,
    )
    pd.testing.assert_frame_equal(resumed.frontier(), uninterrupted.frontier(), check_dtype=False)


def test_an_arm_no_parameter_touches_runs_once_for_every_point(
    small_scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The price varies the paid arm only: the free arm's replications are shared by
    both points (run once each), and equal those of the study of either point."""
    import simulator.experiments.sweep as sweep_module

    ran: list[tuple[str, int]] = []
    run_replication = sweep_module.run_replication

    def counting(*args: Any) -> Any:
        ran.append((str(args[1]), int(args[2])))
        return run_replication(*args)

    monkeypatch.setattr(sweep_module, "run_replication", counting)
    seen: list[tuple[str, str, int]] = []
    result = sweep(
        small_scenario,
        [f"{PRICE}=0.15,0.30"],
        replications=2,
        seed=11,
        progress=lambda p, a, r: seen.append((p, a, r)),
    )
    assert sorted(ran) == [("free", 0), ("free", 1)] + [("paid", 0)] * 2 + [("paid", 1)] * 2
    assert len(seen) == 8, "every point still reports every arm and replication"
    at_high = run_study(plan_sweep(small_scenario, [f"{PRICE}=0.30"]).points[0].scenario, 2, 11)
    pd.testing.assert_frame_equal(result.study("p001").metrics, at_high.metrics, check_dtype=False)


def test_a_run_shared_by_points_is_stored_as_each_points_own(two_points: Sweep) -> None:
    """The free arm runs once for both points, and each point's files of it (encoded
    by the worker for each point) name that point's study and verify against its
    manifest."""
    from simulator.experiments.store import ResultsStore, parquet_identity
    from simulator.experiments.study import load_study

    assert two_points.path is not None
    owners = set()
    for point in ("p000", "p001"):
        root = two_points.path / "points" / point
        scenario_hash = json.loads((root / "manifest.json").read_text())["scenario_hash"]
        store = ResultsStore(root)
        store.read_manifest()
        for r in range(2):
            assert store.verify_replication("free", r) is None
            for part in ("metrics", "daily", "histogram", "distributions"):
                identity = parquet_identity(
                    root / "replications" / "free" / f"{r:05d}.{part}.parquet"
                )
                assert identity is not None
                assert identity["scenario_hash"] == scenario_hash
                assert (identity["arm"], identity["replication"], identity["part"]) == (
                    "free",
                    r,
                    part,
                )
                owners.add(identity["scenario_hash"])
        load_study(root)
    assert len(owners) == 2
