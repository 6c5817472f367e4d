"""The dry run's estimate: runs go out in rounds of the workers, and each arm is
timed over a shortened run scaled to the whole."""

from __future__ import annotations

import pytest

from simulator.config.scenario import Scenario
from simulator.experiments.dry_run import TIMED_DAYS, DryRun, RunTiming, time_one_run


def _estimate(workers: int | None) -> DryRun:
    timing = RunTiming(2.0, {"paid": 1.0}, 30.0, 60.0)
    return DryRun(runs=5, most_runs=9, timing=timing, memory_bytes_per_run=1, workers=workers)


def test_wall_time_counts_rounds_of_workers() -> None:
    assert _estimate(2).wall_seconds(5) == 3 * 2.0  # rounds of 2, 2 and 1
    assert _estimate(5).wall_seconds(5) == 2.0
    assert _estimate(1).wall_seconds(9) == 9 * 2.0
    assert _estimate(None).wall_seconds(5) is None
    assert _estimate(None).cpu_seconds(9) == 18.0


def test_timing_scales_the_timed_days_to_the_whole_run(small_scenario: Scenario) -> None:
    longer = small_scenario.model_copy(
        update={"run": small_scenario.run.model_copy(update={"horizon_days": 105.0})}
    )
    timing = time_one_run(longer)
    assert set(timing.seconds_by_arm) == set(longer.arms)
    assert (timing.timed_days, timing.total_days) == (TIMED_DAYS, 120.0)
    mean = sum(timing.seconds_by_arm.values()) / len(longer.arms)
    assert timing.seconds_per_run == pytest.approx(mean * 120.0 / TIMED_DAYS)
