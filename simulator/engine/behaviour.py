"""Freelancers' decision rules.

Every rule is pure (no random numbers, no simulation state) and compiled with
numba, so the same function serves the engine's browsing kernel
(:mod:`simulator.engine.bidding`), which calls it on scalars for each view, and
Python code and tests, which call it on NumPy arrays.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BUCKET_LABELS: tuple[str, ...] = (
    "Less than 5",
    "5 to 10",
    "10 to 15",
    "15 to 20",
    "20 to 50",
    "50+",
)
"""The proposal-count buckets a job post shows to freelancers."""

BUCKET_LOWER_EDGES: npt.NDArray[np.int64] = np.array([0, 5, 10, 15, 20, 50], dtype=np.int64)
"""Smallest proposal count in each bucket."""

BUCKET_MIDPOINTS: FloatArray = np.array([2.0, 7.5, 12.5, 17.5, 35.0, 60.0])
"""What a freelancer takes each bucket to mean, in proposals."""


def visible_bucket(proposals: IntArray) -> IntArray:
    """Index of the bucket each proposal count falls in."""
    return np.searchsorted(BUCKET_LOWER_EDGES, proposals, side="right") - 1


_MIDPOINT_BY_COUNT: FloatArray = BUCKET_MIDPOINTS[visible_bucket(np.arange(51, dtype=np.int64))]

# each bucket's proposal counts as a freelancer pictures them: from its lower edge up
# to the next bucket's (the open "50+" bucket taken to end at 70, twice its midpoint's
# distance from 50)
_BUCKET_LOW_BY_COUNT: FloatArray = BUCKET_LOWER_EDGES[
    visible_bucket(np.arange(51, dtype=np.int64))
].astype(np.float64)
_BUCKET_HIGH_BY_COUNT: FloatArray = np.append(BUCKET_LOWER_EDGES[1:], 70)[
    visible_bucket(np.arange(51, dtype=np.int64))
].astype(np.float64)

# error_model="numpy": a division by zero gives inf or nan, as in NumPy, instead of
# a Python exception; the checks that would raise cost a branch on every call
rule = numba.njit(cache=True, error_model="numpy", inline="always")
"""Compile a rule for scalars and arrays alike."""


@rule
def perceived_competitors(proposals: IntArray, final_multiplier: float) -> FloatArray:
    """Competitors a freelancer expects by the decision, from the visible bucket only."""
    # a lookup table instead of a binary search: this runs on every view
    return _MIDPOINT_BY_COUNT[np.minimum(proposals, 50)] * final_multiplier


@rule
def review_chance_unboosted(proposals: IntArray, reviewed_unboosted: float) -> FloatArray:
    """Believed chance that a proposal sent now, without a boost, is among the first
    ``reviewed_unboosted`` unboosted proposals the client reads.

    A freelancer sees only the bucket of the post's proposal count and takes its
    place in the queue as uniform over the bucket's counts.
    """
    low = _BUCKET_LOW_BY_COUNT[np.minimum(proposals, 50)]
    high = _BUCKET_HIGH_BY_COUNT[np.minimum(proposals, 50)]
    return np.minimum(np.maximum((reviewed_unboosted - low) / (high - low), 0.0), 1.0)


@rule
def strength(skill: FloatArray, rating: FloatArray) -> FloatArray:
    """Competitiveness relative to an average freelancer (about 1 on average)."""
    return skill + rating


@rule
def win_probability(
    own_strength: FloatArray, competitors: FloatArray, believed_hire_rate: float
) -> FloatArray:
    """Believed chance of being hired: the post hires at all, and this proposal
    beats the others in proportion to strength (others counted as average)."""
    return believed_hire_rate * own_strength / (own_strength + competitors)


@rule
def quote_usd(budget_usd: FloatArray, hours: FloatArray, asking_rate: FloatArray) -> FloatArray:
    """The price a freelancer asks: its rate times the hours, at most the budget."""
    return np.minimum(budget_usd, asking_rate * hours)


@rule
def surplus_usd(
    quote: FloatArray, hours: FloatArray, reservation_rate: FloatArray, service_fee_share: float
) -> FloatArray:
    """What winning is worth: pay after the service fee less the reservation cost."""
    return quote * (1.0 - service_fee_share) - reservation_rate * hours


@rule
def pacing_shadow_price_usd(
    free_balance: IntArray,
    days_to_next_grant: float,
    pacing_connects_per_day: float,
    pacing_value_usd: float,
) -> FloatArray:
    """Shadow price of a free Connect from a limited allowance.

    Zero while the balance covers the planned use until the next grant (spend
    it or lose it), rising to ``pacing_value_usd`` as the balance runs out.
    """
    planned = max(days_to_next_grant * pacing_connects_per_day, 1e-9)
    scarcity = np.minimum(np.maximum(1.0 - free_balance / planned, 0.0), 1.0)
    return pacing_value_usd * scarcity


@rule
def effort_factor(
    proposals_before: IntArray,
    weekly_proposal_hours: float,
    proposal_hours: float,
    min_effort: float,
) -> FloatArray:
    """Share of a careful proposal's effort the next one gets, given the week so far."""
    wanted = (proposals_before + 1.0) * proposal_hours
    effort: FloatArray = np.minimum(np.maximum(weekly_proposal_hours / wanted, min_effort), 1.0)
    return effort


@rule
def price_fit(quote: FloatArray, budget_usd: FloatArray) -> FloatArray:
    """How well a quote fits the budget, in [0, 1]: 1 when free, 0.5 at the budget."""
    return np.minimum(np.maximum(1.0 - quote / (2.0 * budget_usd), 0.0), 1.0)
