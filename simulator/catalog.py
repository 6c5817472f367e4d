"""What is known about each metric: its description, and which lead a comparison.

The catalogue sits below every layer: the recorder, the experiments, the charts,
the reports and the notebooks read the same facts from here.
"""

from __future__ import annotations

DISTRIBUTIONS: dict[str, str] = {
    "proposals_per_freelancer_month": "x: proposals a freelancer sent in a calendar month "
    "of the window (last bin: that many or more); value: freelancer-months, counting "
    "freelancers present the whole month",
    "lorenz_earnings": "x: share of the window's freelancers, poorest first; value: their "
    "share of earnings",
    "new_unhired": "x: days since joining; value: share of new freelancers not yet hired "
    "(Kaplan-Meier, censored at leaving or at the run's end)",
}
"""Per-replication distributions, kept as (distribution, x, value) rows."""

HEADLINE_METRICS: tuple[str, ...] = (
    "proposals_per_job",
    "hires_per_proposal",
    "connects_spend_share_of_income",
)
"""The metrics a comparison leads with."""

SEGMENT_KINDS: tuple[str, ...] = ("overall", "region", "membership", "cohort")

METRIC_DESCRIPTIONS: dict[str, str] = {
    "freelancers": "freelancers present at any time in the recorded window",
    "freelancer_months": "months of presence in the recorded window, summed",
    "proposals_per_freelancer_month": "proposals sent per freelancer-month",
    "hires_per_proposal": "hires per proposal sent (win rate)",
    "share_with_hire": "share of freelancers hired at least once in the window",
    "connects_spent_per_freelancer_month": "Connects spent per freelancer-month",
    "connects_bought_per_freelancer_month": "Connects bought per freelancer-month",
    "connects_granted_per_freelancer_month": "free Connects granted per freelancer-month",
    "connects_earned_per_freelancer_month": "Connects earned per freelancer-month",
    "connects_wasted_on_ghosts_per_freelancer_month": "Connects spent on ghost posts and "
    "not refunded, per freelancer-month",
    "connects_spend_usd_per_freelancer_month": "money spent on Connects, USD per freelancer-month",
    "fee_usd_per_freelancer_month": "membership fees, USD per freelancer-month",
    "total_spend_usd_per_freelancer_month": "Connects plus fees, USD per freelancer-month",
    "earnings_usd_per_freelancer_month": "earnings after service fees, USD per freelancer-month",
    "connects_spend_share_of_income": "money on Connects as a share of regional monthly income",
    "fee_share_of_income": "membership fees as a share of regional monthly income",
    "total_spend_share_of_income": "Connects plus fees as a share of regional monthly income",
    "spend_share_of_earnings": "Connects plus fees as a share of earnings",
    "share_spend_exceeds_earnings": "share of freelancers who spent more than they earned",
    "boost_bids_per_freelancer_month": "boost bids placed per freelancer-month",
    "boost_connects_per_freelancer_month": "Connects charged for boosts (bids still holding "
    "a slot when the client reviewed) per freelancer-month",
    "boosted_share_of_proposals": "share of proposals sent that were boosted (held a slot "
    "when the client reviewed)",
    "boost_outbid_share": "share of boost bids outbid before the client reviewed (refunded)",
    "hires_per_boosted_proposal": "hires per boosted proposal (win rate of boosted proposals)",
    "hires_per_unboosted_proposal": "hires per proposal that was not boosted",
    "days_to_first_hire": "days from joining to first hire, new freelancers hired in the run",
    "new_hired_within_60_days": "share of new freelancers hired within 60 days of joining "
    "(those who joined at least 60 days before the end)",
    "share_of_hires": "segment's share of all hires",
    "share_of_earnings": "segment's share of all earnings",
    "population_share": "segment's share of freelancer-months",
    "gini_earnings": "Gini coefficient of earnings across the segment's freelancers",
    "entries": "freelancers who joined after the warm-up's end and before the run's end",
    "exits": "freelancers who left after the warm-up's end and before the run's end",
    "jobs_closed": "posts closed in the window (posted after the warm-up)",
    "proposals_per_job": "proposals per closed post",
    "share_jobs_50plus": "share of closed posts with 50 or more proposals",
    "fill_rate": "share of closed posts that hired",
    "fill_rate_genuine": "share of closed posts that hired, ghost posts excluded",
    "days_to_hire": "days from posting to hire",
    "proposals_reviewed_per_hire": "proposals clients reviewed (on all genuine posts) per hire",
    "hired_skill": "mean skill of hired freelancers",
    "hired_proposal_quality": "mean quality of the hired proposals",
    "busy_share_of_reviewed": "share of reviewed proposals from freelancers already at capacity",
    "client_surplus_per_post": "client's gain from hiring: score of the hire minus the "
    "reservation score (0 without a hire), less the screening cost of the proposals "
    "reviewed, per genuine closed post (score units)",
    "connects_revenue_usd_per_month": "platform revenue from Connects, USD a month",
    "membership_revenue_usd_per_month": "platform revenue from membership fees, USD a month",
    "service_fee_revenue_usd_per_month": "platform revenue from service fees, USD a month",
    "mean_active_contracts": "contracts in progress, daily mean",
    "hires_per_day_x_contract_days": "hires a day times mean days in progress (Little's law)",
}

_SHARE_METRICS = frozenset(
    {"hires_per_proposal", "connects_spend_share_of_income", "fill_rate", "share_jobs_50plus"}
)


def metric_scale(metric: str) -> tuple[float, str]:
    """How a Morris effect on ``metric`` is shown: the scale and unit (shares in points)."""
    return (100.0, " pp") if metric in _SHARE_METRICS else (1.0, "")


SHARE_TEXT_CAP = 10.0
"""Shares above this (1000%) are shown as ``>1000%``."""


def share_text(share: float) -> str:
    """A noise share as a percentage (two significant digits below 0.1%, ``>1000%`` above
    :data:`SHARE_TEXT_CAP`)."""
    # a bootstrap resample whose points barely differ divides by almost nothing: its
    # share is huge and its digits mean nothing
    if share > SHARE_TEXT_CAP:
        return f">{SHARE_TEXT_CAP:.0%}"
    # small shares keep two significant digits rather than reading "0.0%"
    return f"{share:.1%}" if abs(share) >= 0.001 else f"{share * 100:.2g}%"
