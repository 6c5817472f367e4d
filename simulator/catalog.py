"""What is known about each metric: what it measures, its names and how its values are shown.

One :class:`Metric` record per metric the recorder computes, in :data:`METRICS`.
The catalogue sits below every layer: the recorder, the experiments, the charts,
the reports and the notebooks read the same facts from here, so a metric is
named, scaled and formatted the same way everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Metric:
    """One metric: what it measures, what it is called and how its values are shown.

    Values are stored as the recorder computes them (shares as fractions); the
    record says how to show them: shares in percent (``scale`` 100), their
    differences in percentage points.
    """

    name: str
    """The metric's name in the tidy frames and ``summary/*.csv``."""
    description: str
    """What it measures, in words (the glossary of reports, the notebooks' sentences)."""
    label: str
    """Short name for table rows and headers, e.g. ``proposals per post``."""
    title: str
    """Panel title of a chart, e.g. ``Proposals per job``."""
    unit: str
    """Axis label of the metric's level, with its unit."""
    is_share: bool = False
    """A share of something: shown in percent, differences in percentage points."""
    decimals: int = 2
    """Decimals of a value in tables and sentences (after scaling to percent)."""
    chart_decimals: int | None = None
    """Decimals of a value written on a chart, where room is short (``None``: :attr:`decimals`)."""
    currency: str = ""
    """Written before the number: ``$`` for amounts in USD."""
    thousands: bool = False
    """Group thousands with commas (amounts and counts that run into the thousands)."""

    @property
    def scale(self) -> float:
        """Multiplies stored values for display: 100 for shares, else 1."""
        return 100.0 if self.is_share else 1.0

    @property
    def difference_unit(self) -> str:
        """Axis label of a difference between arms, with its unit."""
        if self.is_share:
            return "Difference (percentage points)"
        return f"Difference ({_mid_sentence(self.unit)})"

    @property
    def chart_format(self) -> str:
        """Format pattern of one value written on a chart, unit included (``"{:.1f}%"``)."""
        decimals = self.decimals if self.chart_decimals is None else self.chart_decimals
        percent = "%" if self.is_share else ""
        return f"{self.currency}{{:{self._spec(decimals)}}}{percent}"

    def format(self, value: float | None, signed: bool = False, difference: bool = False) -> str:
        """A value in the metric's display unit: ``"12.34%"``, ``"+1.20 pp"``, ``"$1,234"``.

        Parameters
        ----------
        value
            As stored (a share as a fraction); ``None`` or NaN gives ``"n/a"``.
        signed
            Write ``+`` before a positive value (for differences).
        difference
            The value is a difference between arms: a share's is in percentage
            points (``" pp"``) rather than percent.

        Returns
        -------
        str
            The text shown in tables, sentences and the terminal.
        """
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        text = f"{value * self.scale:{self._spec(self.decimals)}}"
        if self.currency:
            # the sign leads: "-$5.00" reads as an amount, "$-5.00" does not
            text = f"-{self.currency}{text[1:]}" if text.startswith("-") else self.currency + text
        if signed and value > 0:
            text = "+" + text
        if self.is_share:
            return text + (" pp" if difference else "%")
        return text

    def _spec(self, decimals: int) -> str:
        return f"{',' if self.thousands else ''}.{decimals}f"


# kept capitalised inside a sentence: a product's name and a person's
_PROPER_NOUNS = ("Connects", "Gini")


def _mid_sentence(unit: str) -> str:
    """A unit as it reads inside parentheses: first letter lower-cased, unless the
    first word is an acronym (``USD``) or a proper noun (``Connects``)."""
    first = unit.split(" ", 1)[0]
    if first.isupper() or first in _PROPER_NOUNS:
        return unit
    return unit[:1].lower() + unit[1:]


_CONNECTS_PER_MONTH = "Connects per freelancer-month"
_USD_PER_MONTH = "USD per freelancer-month"
_OF_INCOME = "% of regional monthly income"

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "freelancers",
            "freelancers present at any time in the recorded window",
            "freelancers",
            "Freelancers",
            "Freelancers present in the window",
            decimals=1,
            chart_decimals=0,
            thousands=True,
        ),
        Metric(
            "freelancer_months",
            "months of presence in the recorded window, summed",
            "freelancer-months",
            "Freelancer-months",
            "Freelancer-months in the window",
            decimals=1,
            chart_decimals=0,
            thousands=True,
        ),
        Metric(
            "proposals_per_freelancer_month",
            "proposals sent per freelancer-month",
            "proposals per freelancer-month",
            "Proposals per freelancer-month",
            "Proposals per freelancer-month",
        ),
        Metric(
            "hires_per_proposal",
            "hires per proposal sent (win rate)",
            "hires per proposal",
            "Win rate (hires per proposal)",
            "Hires per proposal (%)",
            is_share=True,
            chart_decimals=1,
        ),
        Metric(
            "share_with_hire",
            "share of freelancers hired at least once in the window",
            "freelancers hired",
            "Freelancers hired at least once",
            "Freelancers hired at least once (%)",
            is_share=True,
            decimals=1,
        ),
        Metric(
            "connects_spent_per_freelancer_month",
            "Connects spent per freelancer-month",
            "Connects spent per freelancer-month",
            "Connects spent",
            _CONNECTS_PER_MONTH,
        ),
        Metric(
            "connects_bought_per_freelancer_month",
            "Connects bought per freelancer-month",
            "Connects bought per freelancer-month",
            "Connects bought",
            _CONNECTS_PER_MONTH,
        ),
        Metric(
            "connects_granted_per_freelancer_month",
            "free Connects granted per freelancer-month",
            "free Connects per freelancer-month",
            "Free Connects granted",
            _CONNECTS_PER_MONTH,
        ),
        Metric(
            "connects_earned_per_freelancer_month",
            "Connects earned per freelancer-month",
            "Connects earned per freelancer-month",
            "Connects earned",
            _CONNECTS_PER_MONTH,
        ),
        Metric(
            "connects_wasted_on_ghosts_per_freelancer_month",
            "Connects spent on ghost posts and not refunded, per freelancer-month",
            "Connects wasted on ghost posts per freelancer-month",
            "Connects wasted on ghost posts",
            _CONNECTS_PER_MONTH,
        ),
        Metric(
            "connects_spend_usd_per_freelancer_month",
            "money spent on Connects, USD per freelancer-month",
            "Connects spend, USD per freelancer-month",
            "Connects spend",
            _USD_PER_MONTH,
            currency="$",
            thousands=True,
        ),
        Metric(
            "median_connects_spend_usd_per_freelancer_month",
            "the median freelancer's money spent on Connects, USD a month (each freelancer's "
            "spend over its months present; the median weighted by months present)",
            "median Connects spend, USD per freelancer-month",
            "Median Connects spend",
            _USD_PER_MONTH,
            currency="$",
            thousands=True,
        ),
        Metric(
            "fee_usd_per_freelancer_month",
            "membership fees, USD per freelancer-month",
            "membership fees, USD per freelancer-month",
            "Membership fees",
            _USD_PER_MONTH,
            currency="$",
            thousands=True,
        ),
        Metric(
            "total_spend_usd_per_freelancer_month",
            "Connects plus fees, USD per freelancer-month",
            "Connects and fees, USD per freelancer-month",
            "Connects and fees",
            _USD_PER_MONTH,
            currency="$",
            thousands=True,
        ),
        Metric(
            "earnings_usd_per_freelancer_month",
            "earnings after service fees, USD per freelancer-month",
            "earnings, USD per freelancer-month",
            "Earnings",
            _USD_PER_MONTH,
            decimals=0,
            currency="$",
            thousands=True,
        ),
        Metric(
            "connects_spend_share_of_income",
            "money on Connects as a share of regional monthly income",
            "Connects spend, share of income",
            "Connects spend, share of income",
            _OF_INCOME,
            is_share=True,
        ),
        Metric(
            "fee_share_of_income",
            "membership fees as a share of regional monthly income",
            "membership fees, share of income",
            "Membership fees, share of income",
            _OF_INCOME,
            is_share=True,
        ),
        Metric(
            "total_spend_share_of_income",
            "Connects plus fees as a share of regional monthly income",
            "Connects and fees, share of income",
            "Connects and fees, share of income",
            _OF_INCOME,
            is_share=True,
        ),
        Metric(
            "spend_share_of_earnings",
            "Connects plus fees as a share of earnings",
            "Connects and fees, share of earnings",
            "Connects and fees, share of earnings",
            "% of earnings",
            is_share=True,
        ),
        Metric(
            "share_spend_exceeds_earnings",
            "share of freelancers who spent more than they earned",
            "freelancers spending more than they earn",
            "Spent more than earned",
            "Freelancers who spent more than they earned (%)",
            is_share=True,
            decimals=1,
        ),
        Metric(
            "boost_bids_per_freelancer_month",
            "boost bids placed per freelancer-month",
            "boost bids per freelancer-month",
            "Boost bids",
            "Boost bids per freelancer-month",
        ),
        Metric(
            "boost_connects_per_freelancer_month",
            "Connects charged for boosts (bids still holding "
            "a slot when the client reviewed) per freelancer-month",
            "boost Connects per freelancer-month",
            "Connects charged for boosts",
            _CONNECTS_PER_MONTH,
        ),
        Metric(
            "boosted_share_of_proposals",
            "share of proposals sent that were boosted (held a slot when the client reviewed)",
            "boosted share of proposals",
            "Boosted proposals",
            "Proposals boosted (%)",
            is_share=True,
        ),
        Metric(
            "boost_outbid_share",
            "share of boost bids outbid before the client reviewed (refunded)",
            "boost bids outbid",
            "Boost bids outbid",
            "Boost bids outbid (%)",
            is_share=True,
            decimals=1,
        ),
        Metric(
            "hires_per_boosted_proposal",
            "hires per boosted proposal (win rate of boosted proposals)",
            "hires per boosted proposal",
            "Win rate of boosted proposals",
            "Hires per boosted proposal (%)",
            is_share=True,
        ),
        Metric(
            "hires_per_unboosted_proposal",
            "hires per proposal that was not boosted",
            "hires per unboosted proposal",
            "Win rate of unboosted proposals",
            "Hires per unboosted proposal (%)",
            is_share=True,
        ),
        Metric(
            "days_to_first_hire",
            "days from joining to first hire, new freelancers hired in the run",
            "days to first hire",
            "Days to first hire (new freelancers)",
            "Days from joining to first hire",
            decimals=1,
        ),
        Metric(
            "new_hired_within_60_days",
            "share of new freelancers hired within 60 days of joining "
            "(those who joined at least 60 days before the end)",
            "new freelancers hired within 60 days",
            "New freelancers hired within 60 days",
            "New freelancers hired within 60 days (%)",
            is_share=True,
            decimals=1,
        ),
        Metric(
            "share_of_hires",
            "segment's share of all hires",
            "share of hires",
            "Share of all hires",
            "% of all hires",
            is_share=True,
            decimals=1,
        ),
        Metric(
            "share_of_earnings",
            "segment's share of all earnings",
            "share of earnings",
            "Share of all earnings",
            "% of all earnings",
            is_share=True,
            decimals=1,
        ),
        Metric(
            "population_share",
            "segment's share of freelancer-months",
            "share of freelancer-months",
            "Share of freelancer-months",
            "% of freelancer-months",
            is_share=True,
            decimals=1,
        ),
        Metric(
            # a coefficient from 0 to 1, read as such rather than as a percentage
            "gini_earnings",
            "Gini coefficient of earnings across the segment's freelancers",
            "Gini of earnings",
            "Inequality of earnings (Gini)",
            "Gini coefficient, 0 to 1",
            decimals=3,
        ),
        Metric(
            "entries",
            "freelancers who joined after the warm-up's end and before the run's end",
            "entries",
            "Freelancers who joined",
            "Freelancers who joined in the window",
            decimals=1,
            chart_decimals=0,
            thousands=True,
        ),
        Metric(
            "exits",
            "freelancers who left after the warm-up's end and before the run's end",
            "exits",
            "Freelancers who left",
            "Freelancers who left in the window",
            decimals=1,
            chart_decimals=0,
            thousands=True,
        ),
        Metric(
            "jobs_closed",
            "posts closed in the window (posted after the warm-up)",
            "posts closed",
            "Posts closed",
            "Posts closed in the window",
            decimals=1,
            chart_decimals=0,
            thousands=True,
        ),
        Metric(
            "proposals_per_job",
            "proposals per closed post",
            "proposals per post",
            "Proposals per job",
            "Proposals per closed post",
            chart_decimals=1,
        ),
        Metric(
            "share_jobs_50plus",
            "share of closed posts with 50 or more proposals",
            "posts with 50+ proposals",
            "Posts with 50 or more proposals",
            "Closed posts with 50+ proposals (%)",
            is_share=True,
            decimals=1,
        ),
        Metric(
            "fill_rate",
            "share of closed posts that hired",
            "fill rate",
            "Fill rate (posts that hired)",
            "Closed posts that hired (%)",
            is_share=True,
            decimals=1,
        ),
        Metric(
            "fill_rate_genuine",
            "share of closed posts that hired, ghost posts excluded",
            "fill rate, genuine posts",
            "Fill rate of genuine posts",
            "Genuine closed posts that hired (%)",
            is_share=True,
            decimals=1,
        ),
        Metric(
            "days_to_hire",
            "days from posting to hire",
            "days to hire",
            "Days to hire",
            "Days from posting to hire",
            decimals=1,
        ),
        Metric(
            "proposals_reviewed_per_hire",
            "proposals clients reviewed (on all genuine posts) per hire",
            "proposals reviewed per hire",
            "Proposals reviewed per hire",
            "Proposals reviewed per hire",
        ),
        Metric(
            "proposals_read_per_post",
            "proposals clients read per genuine closed post (under first-K screening, the "
            "proposals reviewed)",
            "proposals read per post",
            "Proposals read per post",
            "Proposals read per genuine closed post",
        ),
        Metric(
            "screening_hours_per_hire",
            "hours clients spent reading proposals (clients.minutes_per_read each) per hire",
            "screening hours per hire",
            "Screening hours per hire",
            "Hours of reading per hire",
        ),
        Metric(
            "reduced_effort_share_of_proposals",
            "share of proposals sent beyond the weekly time budget, with less than a careful "
            "proposal's effort (weeks ending in the recorded window)",
            "proposals at reduced effort",
            "Proposals at reduced effort",
            "Proposals sent (%)",
            is_share=True,
        ),
        Metric(
            "unfilled_by_screening_share",
            "share of genuine closed posts left unfilled after the client stopped reading "
            "with proposals unread, because one more was not worth its cost",
            "unfilled, screening stopped",
            "Unfilled because screening stopped",
            "Genuine closed posts (%)",
            is_share=True,
        ),
        Metric(
            "hired_skill",
            "mean skill of hired freelancers",
            "skill of the hired",
            "Skill of hired freelancers",
            "Mean skill of the hired, 0 to 1",
            decimals=3,
        ),
        Metric(
            "hired_proposal_quality",
            "mean quality of the hired proposals",
            "quality of hired proposals",
            "Quality of hired proposals",
            "Mean quality of the hired proposals",
            decimals=3,
        ),
        Metric(
            "busy_share_of_reviewed",
            "share of reviewed proposals from freelancers already at capacity",
            "reviewed proposals from busy freelancers",
            "Reviewed proposals from busy freelancers",
            "Reviewed proposals from freelancers at capacity (%)",
            is_share=True,
            decimals=1,
        ),
        Metric(
            "client_surplus_per_post",
            "client's gain from hiring: score of the hire minus the "
            "reservation score (0 without a hire), less the screening cost of the proposals "
            "reviewed, per genuine closed post (score units)",
            "client surplus per post",
            "Client surplus per post",
            "Score units per genuine closed post",
            decimals=3,
        ),
        Metric(
            "connects_revenue_usd_per_month",
            "platform revenue from Connects, USD a month",
            "Connects revenue, USD a month",
            "Platform revenue from Connects",
            "USD a month",
            decimals=0,
            currency="$",
            thousands=True,
        ),
        Metric(
            "membership_revenue_usd_per_month",
            "platform revenue from membership fees, USD a month",
            "membership revenue, USD a month",
            "Platform revenue from membership fees",
            "USD a month",
            decimals=0,
            currency="$",
            thousands=True,
        ),
        Metric(
            "service_fee_revenue_usd_per_month",
            "platform revenue from service fees, USD a month",
            "service fee revenue, USD a month",
            "Platform revenue from service fees",
            "USD a month",
            decimals=0,
            currency="$",
            thousands=True,
        ),
        Metric(
            "mean_active_contracts",
            "contracts in progress, daily mean",
            "contracts in progress",
            "Contracts in progress",
            "Contracts in progress, daily mean",
            decimals=1,
        ),
        Metric(
            "hires_per_day_x_contract_days",
            "hires a day times mean days in progress (Little's law)",
            "hires a day x days in progress",
            "Hires a day x days in progress (Little's law)",
            "Contracts: hires a day x mean days in progress",
            decimals=1,
        ),
    )
}
"""Every metric the recorder computes, by name, in the order of the tidy frames."""

METRIC_DESCRIPTIONS: dict[str, str] = {name: m.description for name, m in METRICS.items()}
"""What each metric measures, by name (from :data:`METRICS`)."""

GROUPS: tuple[str, ...] = ("freelancers", "clients", "newcomers", "platform")
"""Whom a metric concerns, in the order a report lists them."""

_F, _C, _N, _P = GROUPS

METRIC_GROUPS: dict[str, str | None] = {
    # sizes of the run and shares of a segment: they describe the world, not an outcome
    "freelancers": None,
    "freelancer_months": None,
    "entries": None,
    "jobs_closed": None,
    "share_of_hires": None,
    "share_of_earnings": None,
    "population_share": None,
    # a check of the recorder's bookkeeping (Little's law), equal to contracts in progress
    "hires_per_day_x_contract_days": None,
    "proposals_per_freelancer_month": _F,
    "hires_per_proposal": _F,
    "share_with_hire": _F,
    "connects_spent_per_freelancer_month": _F,
    "connects_bought_per_freelancer_month": _F,
    "connects_granted_per_freelancer_month": _F,
    "connects_earned_per_freelancer_month": _F,
    "connects_wasted_on_ghosts_per_freelancer_month": _F,
    "connects_spend_usd_per_freelancer_month": _F,
    "median_connects_spend_usd_per_freelancer_month": _F,
    "fee_usd_per_freelancer_month": _F,
    "total_spend_usd_per_freelancer_month": _F,
    "earnings_usd_per_freelancer_month": _F,
    "connects_spend_share_of_income": _F,
    "fee_share_of_income": _F,
    "total_spend_share_of_income": _F,
    "spend_share_of_earnings": _F,
    "share_spend_exceeds_earnings": _F,
    "boost_bids_per_freelancer_month": _F,
    "boost_connects_per_freelancer_month": _F,
    "boosted_share_of_proposals": _F,
    "boost_outbid_share": _F,
    "hires_per_boosted_proposal": _F,
    "hires_per_unboosted_proposal": _F,
    "reduced_effort_share_of_proposals": _F,
    "gini_earnings": _F,
    "exits": _F,
    "days_to_first_hire": _N,
    "new_hired_within_60_days": _N,
    "proposals_per_job": _C,
    "share_jobs_50plus": _C,
    "fill_rate": _C,
    "fill_rate_genuine": _C,
    "days_to_hire": _C,
    "proposals_reviewed_per_hire": _C,
    "proposals_read_per_post": _C,
    "screening_hours_per_hire": _C,
    "unfilled_by_screening_share": _C,
    "hired_skill": _C,
    "hired_proposal_quality": _C,
    "busy_share_of_reviewed": _C,
    "client_surplus_per_post": _C,
    "connects_revenue_usd_per_month": _P,
    "membership_revenue_usd_per_month": _P,
    "service_fee_revenue_usd_per_month": _P,
    "mean_active_contracts": _P,
}
"""Whom each metric of :data:`METRICS` concerns: one of :data:`GROUPS`, or ``None`` for the
sizes of the run, a segment's shares and bookkeeping checks, which a report does not
weigh as trade-offs. Every metric has an entry (the catalogue's tests check it)."""


def metric_scale(metric: str) -> tuple[float, str]:
    """How a Morris effect on ``metric`` is shown: the scale and unit (shares in points)."""
    known = METRICS.get(metric)
    return (100.0, " pp") if known is not None and known.is_share else (1.0, "")


def metric_label(metric: str) -> str:
    """A metric's short name for table headers and rows (its name in words if unknown)."""
    known = METRICS.get(metric)
    return known.label if known is not None else metric.replace("_", " ")


def fmt(metric: str, value: float | None, signed: bool = False, difference: bool = False) -> str:
    """A metric's value in its display unit (differences of shares in points).

    See :meth:`Metric.format`; a name the catalogue does not know is written with
    three significant digits.
    """
    known = METRICS.get(metric)
    if known is not None:
        return known.format(value, signed=signed, difference=difference)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{value:.3g}"
    return "+" + text if signed and value > 0 else text


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
