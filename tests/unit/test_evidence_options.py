"""Unit tests of the options the evidence checks use: a cap on a random share of posts
(clients.applicant_cap_share) and a screening cost in client surplus
(clients.screening.cost_per_read)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.config.loading import load_scenario
from simulator.config.scenario import Scenario
from simulator.engine.bidding import cap_applies, capped_posts
from simulator.engine.market import run_replication
from simulator.experiments.validation import PAID_VS_FREE, cap_experiment

SMALL_OVERRIDES = (
    "world.population.freelancers=300",
    "world.jobs.jobs_per_day=25",
    "run.warmup_days=15",
    "run.horizon_days=45",
)
"""As conftest's small scenario."""


def _overall(scenario: Scenario, arm: str = "paid") -> dict[str, float]:
    m = run_replication(scenario, arm, 0).metrics
    return dict(m[m["segment_kind"] == "overall"].set_index("metric")["value"])


def test_cap_share_draws_posts_by_key() -> None:
    keys = np.arange(1, 20_001, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    half = capped_posts(keys, 0.5)
    # the compiled rule and the array form agree, post by post
    assert [bool(cap_applies(k, 0.5)) for k in keys[:500]] == list(half[:500])
    assert half.mean() == pytest.approx(0.5, abs=0.015)
    assert capped_posts(keys, 1.0).all()
    assert not capped_posts(keys, 0.0).any()
    # a larger share caps a superset of posts
    assert np.all(capped_posts(keys, 0.7)[half])


def test_cap_binds_on_capped_posts_only() -> None:
    scenario = load_scenario(
        PAID_VS_FREE,
        [
            *SMALL_OVERRIDES,
            "world.clients.applicant_cap=1",
            "world.clients.applicant_cap_share=0.5",
        ],
    )
    (fill_uncapped, fill_capped), (per_job_uncapped, per_job_capped) = cap_experiment(scenario, 0)
    assert per_job_capped <= 1.0
    assert per_job_uncapped > 2.0
    # one proposal to choose from: capped posts hire less often
    assert fill_capped < fill_uncapped


def test_cap_on_every_post_is_the_plain_cap() -> None:
    capped = load_scenario(PAID_VS_FREE, [*SMALL_OVERRIDES, "world.clients.applicant_cap=3"])
    explicit = load_scenario(
        PAID_VS_FREE,
        [*SMALL_OVERRIDES, "world.clients.applicant_cap=3", "world.clients.applicant_cap_share=1"],
    )
    np.testing.assert_equal(_overall(capped), _overall(explicit))


def test_screening_cost_is_charged_per_reviewed_proposal() -> None:
    first_k = "world.clients.screening={rule: first_k}"
    free = _overall(load_scenario(PAID_VS_FREE, [*SMALL_OVERRIDES, first_k]))
    cost = 0.01
    charged = _overall(
        load_scenario(
            PAID_VS_FREE,
            [*SMALL_OVERRIDES, f"world.clients.screening={{rule: first_k, cost_per_read: {cost}}}"],
        )
    )
    # under the first-K rule it changes no decision, only the client surplus: by the
    # cost of what was reviewed
    reviewed_per_post = free["proposals_reviewed_per_hire"] * free["fill_rate_genuine"]
    assert charged["client_surplus_per_post"] == pytest.approx(
        free["client_surplus_per_post"] - cost * reviewed_per_post, rel=1e-9
    )
    for metric in ("fill_rate", "proposals_per_job", "busy_share_of_reviewed"):
        assert charged[metric] == free[metric]
