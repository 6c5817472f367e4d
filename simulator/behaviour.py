"""Freelancers' decision rules, vectorized over everyone acting in a wave.

Every function is pure: arrays in, arrays out, no random numbers and no
simulation state, so that each rule can be tested alone and reused by the
closed-form checks.
"""

from __future__ import annotations

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


def perceived_competitors(proposals: IntArray, final_multiplier: float) -> FloatArray:
    """Competitors a freelancer expects by the decision, from the visible bucket only."""
    # a lookup table instead of a binary search: this runs on every view
    return _MIDPOINT_BY_COUNT[np.minimum(proposals, 50)] * final_multiplier


def strength(skill: FloatArray, rating: FloatArray) -> FloatArray:
    """Competitiveness relative to an average freelancer (about 1 on average)."""
    return skill + rating


def win_probability(
    own_strength: FloatArray, competitors: FloatArray, believed_hire_rate: float
) -> FloatArray:
    """Believed chance of being hired: the post hires at all, and this proposal
    beats the others in proportion to strength (others counted as average)."""
    return believed_hire_rate * own_strength / (own_strength + competitors)


def quote_usd(budget_usd: FloatArray, hours: FloatArray, asking_rate: FloatArray) -> FloatArray:
    """The price a freelancer asks: its rate times the hours, at most the budget."""
    return np.minimum(budget_usd, asking_rate * hours)


def surplus_usd(
    quote: FloatArray, hours: FloatArray, reservation_rate: FloatArray, service_fee_share: float
) -> FloatArray:
    """What winning is worth: pay after the service fee less the reservation cost."""
    return quote * (1.0 - service_fee_share) - reservation_rate * hours


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
    scarcity = np.clip(1.0 - free_balance / planned, 0.0, 1.0)
    return pacing_value_usd * scarcity


def effort_factor(
    proposals_before: IntArray,
    weekly_proposal_hours: float,
    proposal_hours: float,
    min_effort: float,
) -> FloatArray:
    """Share of a careful proposal's effort the next one gets, given the week so far."""
    wanted = (proposals_before + 1.0) * proposal_hours
    return np.clip(weekly_proposal_hours / wanted, min_effort, 1.0)


def price_fit(quote: FloatArray, budget_usd: FloatArray) -> FloatArray:
    """How well a quote fits the budget, in [0, 1]: 1 when free, 0.5 at the budget."""
    return np.clip(1.0 - quote / (2.0 * budget_usd), 0.0, 1.0)


def affordable_connects(
    money_usd: FloatArray, price_usd: FloatArray, bundle_sizes: IntArray
) -> IntArray:
    """Connects a freelancer can afford with ``money_usd``, bought as it buys them
    (:meth:`~simulator.policy.CompiledPolicy.connects_bought`): as many of the
    largest bundle as the money allows, plus the largest single bundle that fits."""
    with np.errstate(divide="ignore", invalid="ignore"):
        units = np.where(price_usd > 0, np.floor(money_usd / price_usd), 1e12)
    units = np.maximum(units, 0).astype(np.int64)
    largest = int(bundle_sizes[-1])
    whole = (units // largest) * largest
    rest = units - whole
    idx = np.searchsorted(bundle_sizes, rest, side="right") - 1
    best_rest = np.where(idx >= 0, bundle_sizes[np.maximum(idx, 0)], 0)
    return whole + best_rest


def segmented_cumsum(values: IntArray, groups: IntArray) -> IntArray:
    """Running sum of non-negative ``values``, restarting at each new value of
    sorted ``groups``."""
    if values.size == 0:
        return values.copy()
    cs = np.cumsum(values)
    start = np.empty(groups.size, dtype=np.bool_)
    start[0] = True
    np.not_equal(groups[1:], groups[:-1], out=start[1:])
    # the running total before each group's first element; with non-negative values
    # it never decreases, so a running maximum carries it across the group
    before = np.where(start, cs - values, 0)
    np.maximum.accumulate(before, out=before)
    out: IntArray = cs - before
    return out
