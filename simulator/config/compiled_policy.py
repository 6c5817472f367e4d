"""A credit policy as the engine reads it: small arrays indexed by region and membership
code, and the compiled rule that sizes a bundle purchase.

:meth:`simulator.config.policy.CreditPolicy.compile` makes a
:class:`CompiledPolicy` from the validated rules. The rules themselves
(:mod:`simulator.config.policy`) are pydantic models only, so that checking a
scenario file (``connectsim validate``) loads neither NumPy's compiled rules
nor numba; this module is loaded when a policy is compiled for a run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@numba.njit(cache=True, inline="always")
def bundle_purchase(shortfall: int, bundle_sizes: IntArray) -> int:
    """Connects bought to cover a shortfall: as many of the largest bundle as
    needed, then the smallest bundle that covers the rest."""
    if shortfall <= 0:
        return 0
    largest = bundle_sizes[-1]
    whole = (shortfall // largest) * largest
    rest = shortfall - whole
    if rest == 0:
        return int(whole)
    for size in bundle_sizes:
        if size >= rest:
            return int(whole + size)
    return int(whole + largest)


@numba.njit(cache=True)
def _bundle_purchases(shortfalls: IntArray, bundle_sizes: IntArray) -> IntArray:
    out = np.empty_like(shortfalls)
    for i in range(shortfalls.size):
        out[i] = bundle_purchase(shortfalls[i], bundle_sizes)
    return out


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy as arrays; every method is vectorized and pure."""

    price_usd: FloatArray
    purchase_allowed: bool
    bundle_sizes: IntArray
    cost_by_tier: bool
    tier_connects: IntArray
    budget_thresholds_usd: FloatArray
    bracket_connects: IntArray
    monthly_grant: IntArray
    rollover_cap: IntArray
    new_account_grant: int
    readiness_test_grant: int
    readiness_pass_share: float
    free_expiry_months: int | None
    purchased_expiry_months: int | None
    earn_five_star: int
    earn_completion: int
    earn_course: int
    earn_community: int
    earn_interview: int
    interview_cap_per_week: int
    daily_refill: int
    refill_cap: int
    first_proposal_free: bool
    earn_cap_per_month: int
    require_verified: bool
    min_rating: float
    active_within_days: float | None
    refund_on_cancel: bool
    refund_on_removed: bool
    refund_on_expired: bool
    boost_slots: int = 0
    """Top slots auctioned for boosts (0: no boosts)."""
    boost_min_bid: int = 1
    boost_max_bid: int = 50

    def connects_per_proposal(self, tier_code: IntArray, budget_usd: FloatArray) -> IntArray:
        """Connects a proposal to each job costs."""
        if self.cost_by_tier:
            return self.tier_connects[tier_code]
        bracket = np.searchsorted(self.budget_thresholds_usd, budget_usd, side="left")
        return self.bracket_connects[bracket]

    @property
    def min_connects_per_proposal(self) -> int:
        """The fewest Connects any proposal costs under this policy."""
        costs = self.tier_connects if self.cost_by_tier else self.bracket_connects
        return int(costs.min())

    def price_usd_per_connect(self, region_code: IntArray) -> FloatArray:
        """Money price of one Connect for freelancers of each region."""
        return self.price_usd[region_code]

    def connects_bought(self, shortfall: IntArray) -> IntArray:
        """Connects bought to cover each shortfall (see :func:`bundle_purchase`)."""
        bought: IntArray = _bundle_purchases(
            np.asarray(shortfall, dtype=np.int64), self.bundle_sizes
        )
        return bought

    def eligible(
        self,
        verified: BoolArray,
        rating: FloatArray,
        is_new: BoolArray,
        days_since_active: FloatArray,
    ) -> BoolArray:
        """Who receives grants and earned Connects under the policy's eligibility rules."""
        ok = np.ones(verified.shape, dtype=np.bool_)
        if self.require_verified:
            ok &= verified
        if self.min_rating > 0.0:
            ok &= is_new | (rating >= self.min_rating)
        if self.active_within_days is not None:
            ok &= days_since_active <= self.active_within_days
        return ok

    def refunds(self, cancelled: BoolArray, removed: BoolArray, expired: BoolArray) -> BoolArray:
        """Whether the Connects spent on each closed post are refunded."""
        return (
            (cancelled & self.refund_on_cancel)
            | (removed & self.refund_on_removed)
            | (expired & self.refund_on_expired)
        )
