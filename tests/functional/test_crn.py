"""Common random numbers: paired differences against differences of independent runs.

Two nearby policies (scenarios/price_step.yaml: Connects at $0.15 and $0.20)
share almost all of their noise, so the paired interval of a difference must
be much narrower than the interval the same replications would give if each
arm had its own random numbers. Independent runs are made for real here (the
second arm on replications no first-arm run uses), not inferred.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.config.loading import load_scenario
from simulator.config.scenario import Scenario
from simulator.engine.market import run_replication

PRICE_STEP = Path(__file__).resolve().parents[2] / "scenarios" / "price_step.yaml"

REPLICATIONS = 8
ROOT_SEED = 11
INDEPENDENT_OFFSET = 1000
"""The second arm's independent runs use replication indices from here on."""

SHORT_RUN = ("run.warmup_days=30", "run.horizon_days=60")
"""The default world's full 3,000-freelancer market, over a shorter run."""

METRICS = ("hires_per_proposal", "proposals_per_job", "connects_spend_share_of_income")


def _overall(scenario: Scenario, arm: str, replication: int) -> pd.Series:
    m = run_replication(scenario, arm, replication, ROOT_SEED).metrics
    overall = m[(m["segment_kind"] == "overall") & m["metric"].isin(METRICS)]
    return overall.set_index("metric")["value"]


@pytest.fixture(scope="module")
def runs() -> dict[str, pd.DataFrame]:
    scenario = load_scenario(PRICE_STEP, SHORT_RUN)
    base, other = scenario.baseline, "dearer"
    reps = range(REPLICATIONS)
    return {
        "base": pd.DataFrame([_overall(scenario, base, r) for r in reps]),
        "paired": pd.DataFrame([_overall(scenario, other, r) for r in reps]),
        "independent": pd.DataFrame(
            [_overall(scenario, other, INDEPENDENT_OFFSET + r) for r in reps]
        ),
    }


@pytest.mark.parametrize("metric", METRICS)
def test_paired_interval_is_at_least_twice_as_narrow(
    runs: dict[str, pd.DataFrame], metric: str
) -> None:
    paired = runs["paired"][metric] - runs["base"][metric]
    independent = runs["independent"][metric] - runs["base"][metric]
    # same n, same t quantile: the intervals' widths are in the ratio of the sds
    width_ratio = independent.std(ddof=1) / paired.std(ddof=1)
    assert width_ratio >= 2.0, f"{metric}: paired interval only {width_ratio:.2f}x narrower"


def test_same_replication_gives_the_same_draws_to_both_arms(
    runs: dict[str, pd.DataFrame],
) -> None:
    # the paired arm is a different policy on the same draws: its levels differ from
    # the baseline's, but move with them across replications
    base = runs["base"]["proposals_per_job"].to_numpy()
    paired = runs["paired"]["proposals_per_job"].to_numpy()
    assert not np.array_equal(base, paired)
    assert np.corrcoef(base, paired)[0, 1] > 0.8
