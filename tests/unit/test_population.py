from __future__ import annotations

import numpy as np
import pytest

from simulator.config.scenario import Scenario
from simulator.engine.market import Market


def test_freelancer_view_reads_one_row(small_scenario: Scenario) -> None:
    market = Market(small_scenario, "paid", replication=0)
    pop = market.pop
    row = int(np.argmax(pop.completed_jobs[: pop.size]))
    view = pop.view(row)
    assert view.row == row
    assert view.region == pop.region_names[int(pop.region[row])]
    assert view.membership in ("basic", "plus")
    assert view.completed_jobs == pop.completed_jobs[row] > 0
    expected_rating = (pop.five_star_reviews[row] + 1.0) / (pop.completed_jobs[row] + 2.0)
    assert view.rating == pytest.approx(expected_rating)
    assert view.in_market
    with pytest.raises(IndexError, match="does not exist"):
        pop.view(pop.size)


def test_established_history_has_the_stated_mean(small_scenario: Scenario) -> None:
    pop = Market(small_scenario, "paid", replication=0).pop
    established = ~pop.new_cohort[: pop.size]
    history = pop.completed_jobs[: pop.size][established]
    mean = small_scenario.world.population.history_jobs_mean
    assert history.min() >= 1
    # geometric with mean m has sd sqrt(m * (m - 1)); allow 4 standard errors
    tolerance = 4.0 * np.sqrt(mean * (mean - 1.0) / history.size)
    assert abs(history.mean() - mean) < tolerance
