"""A replication is a pure function of (scenario, arm, root seed, replication)."""

from __future__ import annotations

import pandas as pd
import pytest

from simulator.config.scenario import Scenario
from simulator.engine.market import run_replication
from simulator.engine.recorder import ReplicationResult
from simulator.experiments.study import run_study

FRAMES = ("metrics", "daily", "proposals_per_job")


def frames(result: ReplicationResult) -> dict[str, pd.DataFrame]:
    return {name: getattr(result, name) for name in FRAMES}


def values_only(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame without the identifying columns, to compare what was simulated."""
    return frame.drop(columns=["arm", "replication", "root_seed"]).reset_index(drop=True)


@pytest.mark.parametrize("arm", ["paid", "free"])
def test_same_seed_gives_identical_frames(small_scenario: Scenario, arm: str) -> None:
    first = frames(run_replication(small_scenario, arm, 1, root_seed=7))
    second = frames(run_replication(small_scenario, arm, 1, root_seed=7))
    for name in FRAMES:
        assert first[name].equals(second[name]), f"{name} differs between identical runs"
    # and the run did something, so that equality means something
    daily = first["daily"]
    assert daily["proposals"].sum() > 0
    assert daily["hires"].sum() > 0


def test_default_root_seed_is_the_scenario_seed(small_scenario: Scenario) -> None:
    implicit = run_replication(small_scenario, "paid", 0)
    explicit = run_replication(small_scenario, "paid", 0, root_seed=small_scenario.run.seed)
    assert implicit.root_seed == small_scenario.run.seed
    assert implicit.metrics.equals(explicit.metrics)
    assert implicit.daily.equals(explicit.daily)


def test_other_replication_or_root_seed_differs(small_scenario: Scenario) -> None:
    base = run_replication(small_scenario, "paid", 0, root_seed=11)
    other_rep = run_replication(small_scenario, "paid", 1, root_seed=11)
    other_seed = run_replication(small_scenario, "paid", 0, root_seed=12)
    for other in (other_rep, other_seed):
        for name in FRAMES:
            a, b = values_only(getattr(base, name)), values_only(getattr(other, name))
            assert not a.equals(b), f"{name} did not change with the seed"
        # not just a relabelling: the simulated activity itself differs
        assert not base.daily["posts"].equals(other.daily["posts"])
    assert other_rep.replication == 1
    assert other_seed.root_seed == 12


def test_arms_share_the_job_stream(small_scenario: Scenario) -> None:
    """Common random numbers: both arms of a replication see the same posts."""
    paid = run_replication(small_scenario, "paid", 3)
    free = run_replication(small_scenario, "free", 3)
    assert paid.daily["posts"].equals(free.daily["posts"])
    # ... while the policies make freelancers behave differently
    assert not paid.daily["proposals"].equals(free.daily["proposals"])


@pytest.mark.slow
def test_study_is_identical_for_any_number_of_workers(small_scenario: Scenario) -> None:
    serial = run_study(small_scenario, replications=2, seed=5, workers=1)
    parallel = run_study(small_scenario, replications=2, seed=5, workers=2)
    assert serial.metrics.equals(parallel.metrics)
    assert serial.daily.equals(parallel.daily)
    assert serial.histogram.equals(parallel.histogram)
    assert list(serial.metrics["arm"].drop_duplicates()) == ["paid", "free"]
    assert sorted(serial.metrics["replication"].unique()) == [0, 1]
    # the study's replications are exactly the standalone ones
    alone = run_replication(small_scenario, "free", 1, root_seed=5).metrics
    in_study = serial.metrics[
        (serial.metrics["arm"] == "free") & (serial.metrics["replication"] == 1)
    ].reset_index(drop=True)
    assert in_study.equals(alone)
