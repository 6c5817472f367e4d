"""The engine against closed-form matching results and field evidence.

`make test` runs the quick sizes of :mod:`simulator.validation`; `make
validate` (CONNECTSIM_VALIDATION=full) runs the full sizes that
docs/validation.md reports. Every tolerance is the check's own: a number of
Monte Carlo standard errors for closed forms, the side of a paired 95%
interval for evidence.
"""

from __future__ import annotations

import os

import pytest

from simulator import validation
from simulator.validation import CheckResult, Sizes

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


def test_applicant_cap_lowers_applicants_per_job() -> None:
    results = validation.applicant_cap_checks(SIZES)
    per_job = next(r for r in results if "applicants per job" in r.name)
    assert per_job.passed, _explain([per_job])


@pytest.mark.xfail(
    strict=True,
    reason="known departure, see docs/validation.md: freelancers who meet a full post bid on "
    "others, and the fill rate rises by about half a point, just beyond the uncapped "
    "rate's interval",
)
def test_applicant_cap_leaves_the_fill_rate() -> None:
    results = validation.applicant_cap_checks(SIZES)
    fill = next(r for r in results if "fill rate" in r.name)
    assert fill.passed, _explain([fill])


@pytest.mark.xfail(
    strict=True,
    reason="known departure, see docs/validation.md: at $0.05 a Connect clients screen a "
    "smaller share of busy freelancers and gain from the wider choice (the model charges "
    "clients nothing for screening)",
)
def test_cheaper_applications_congest() -> None:
    results = validation.congestion_checks(SIZES)
    assert all(r.passed for r in results), _explain(results)


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
