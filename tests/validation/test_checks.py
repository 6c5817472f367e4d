"""The engine against closed-form matching results and field evidence.

`make test` runs the quick sizes of :mod:`simulator.experiments.validation`; `make
validate` (CONNECTSIM_VALIDATION=full) runs the full sizes that
docs/validation.md reports. Every tolerance is the check's own: a number of
Monte Carlo standard errors for closed forms, the side of a 95% interval
for evidence (or, for "no discernible effect", whether it includes 0).
"""

from __future__ import annotations

import os

import pytest

from simulator.experiments import validation
from simulator.experiments.validation import CheckResult, Sizes

SIZES: Sizes = (
    validation.FULL if os.environ.get("CONNECTSIM_VALIDATION") == "full" else validation.QUICK
)


def _explain(results: list[CheckResult]) -> str:
    return "\n".join(
        f"{r.name}: {r.value:.4f} ({r.ci_low:.4f} to {r.ci_high:.4f}); {r.expected}"
        for r in results
        if not r.passed
    )


@pytest.mark.parametrize(
    "group",
    [
        "urn-ball",
        "multiple-applications",
        "interior-peak",
        "littles-law",
        "bunching",
    ],
)
def test_check_group_passes(group: str) -> None:
    results = validation.run_checks(SIZES, [group])
    assert results
    assert all(r.passed for r in results), _explain(results)


def test_applicant_cap_checks_pass() -> None:
    results = validation.applicant_cap_checks(SIZES)
    assert len(results) == 2
    assert all(r.passed for r in results), _explain(results)


def test_congestion_checks_pass() -> None:
    results = validation.congestion_checks(SIZES)
    assert len(results) == 2
    assert all(r.passed for r in results), _explain(results)


SHORT = Sizes(
    replications=3,
    rounds=3,
    workers_per_round=200,
    market_overrides=("run.warmup_days=60", "run.horizon_days=30"),
    market_replications=3,
    littles_law_warmup_days=60.0,
)
"""The default world over a short run, for showing that the evidence checks can fail."""


def test_a_cap_that_binds_fails_the_fill_rate_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # a cap at 3 applicants (below the 20 a client reviews) takes choice away from the
    # capped posts: the check sees their fill rate fall
    monkeypatch.setattr(validation, "CAP", 3)
    fill = next(r for r in validation.applicant_cap_checks(SHORT) if "fill rate" in r.name)
    assert not fill.passed
    assert fill.ci_high < 0.0


def test_the_default_world_fails_the_busy_share_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # in the default world (heterogeneous, application-limited) cheaper Connects bring
    # proposals from budget-bound freelancers who are rarely busy: the share falls
    monkeypatch.setattr(validation, "CONGESTION_SETTING", ())
    busy = next(r for r in validation.congestion_checks(SHORT) if "busy" in r.name)
    assert not busy.passed
    assert busy.ci_high < 0.0


def test_closed_forms_reach_their_limits() -> None:
    # the finite-market forms tend to the papers' limits
    assert validation.urn_ball_hires_per_post(1e6, 1e6) == pytest.approx(0.6321, abs=1e-4)
    for a, limit in ((1, 0.632), (3, 0.681), (50, 0.636)):
        assert validation.multiple_applications_limit(1.0, a) == pytest.approx(limit, abs=1e-3)
        finite = validation.multiple_applications_hires_per_worker(1e6, 1e6, a)
        assert finite == pytest.approx(validation.multiple_applications_limit(1.0, a), abs=1e-4)


def test_a_wrong_engine_would_fail_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # the check can fail: if posts hired half as often, urn-ball would say so
    real = validation.textbook_rounds

    def halved(*args: object, **kwargs: object) -> object:
        rounds = real(*args, **kwargs)  # type: ignore[arg-type]
        rounds["hires"] = rounds["hires"] // 2
        return rounds

    monkeypatch.setattr(validation, "textbook_rounds", halved)
    small = Sizes(
        replications=3,
        rounds=3,
        workers_per_round=200,
        market_overrides=(),
        market_replications=2,
        littles_law_warmup_days=60.0,
    )
    assert not validation.urn_ball_check(200, 200, small).passed
