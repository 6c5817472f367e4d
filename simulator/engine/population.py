"""The freelancers: agent state as columns (a struct of arrays).

A freelancer is a row. Slots are never reused: a freelancer who leaves keeps
its row (``in_market`` turns false) so that metrics and common random numbers
stay aligned between arms. :class:`FreelancerView` is a read-only view of one
row for notebooks and tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulator.config.scenario import IncomeShareBudget, WalletBudget, World
from simulator.engine.columns import FreelancerColumns
from simulator.engine.rng import draw_keys
from simulator.engine.rows import BROWSE_FIELD_NAMES, BrowseRows, RowColumn

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_FLOAT_COLUMNS = (
    "skill",
    "asking_rate_usd_per_hour",
    "reservation_rate_usd_per_hour",
    "sessions_per_day",
    "month_cash_usd",
    "outside_cash_usd",
    "month_kept_usd",
    "joined_day",
    "left_day",
    "last_proposal_day",
    "first_hire_day",
    "month_spend_usd",
    "month_earnings_usd",
    "readiness_draw",
    # recorded accumulators (after the warm-up)
    "rec_connects_spend_usd",
    "rec_fee_usd",
    "rec_earnings_usd",
)
_INT_COLUMNS = (
    "region",
    "membership",
    "membership_intent",
    "category",
    "completed_jobs",
    "five_star_reviews",
    "active_contracts",
    "last_seen_seq",
    "week_proposals",
    "losing_months",
    "month_earned_connects",
    "rec_proposals",
    "rec_hires",
    "rec_connects_spent",
    "rec_connects_wasted_ghost",
    "rec_reviewed",
)
_BOOL_COLUMNS = ("in_market", "verified", "new_cohort")
_OWN_COLUMNS: tuple[tuple[str, type[np.generic]], ...] = tuple(
    (name, dtype)
    for names, dtype in (
        (_FLOAT_COLUMNS, np.float64),
        (_INT_COLUMNS, np.int64),
        (_BOOL_COLUMNS, np.bool_),
    )
    for name in names
    if name not in BROWSE_FIELD_NAMES
)
"""The columns the population keeps as arrays of its own: those outside the browsing
records."""


class Population:
    """Column arrays of every freelancer who has ever been in the market."""

    skill = RowColumn[np.float64]()
    asking_rate_usd_per_hour = RowColumn[np.float64]()
    reservation_rate_usd_per_hour = RowColumn[np.float64]()
    sessions_per_day: FloatArray
    month_cash_usd = RowColumn[np.float64]()
    """Cash for platform spend this month: the budget of the income-share rule, or the
    wallet's carried savings, this month's outside cash and the earnings kept so far.
    What is left is this less ``month_spend_usd``."""
    outside_cash_usd: FloatArray
    """Cash put into the wallet from outside the platform each month (wallet rule)."""
    month_kept_usd: FloatArray
    """Net earnings kept in the wallet this month (wallet rule)."""
    joined_day: FloatArray
    left_day: FloatArray
    last_proposal_day = RowColumn[np.float64]()
    first_hire_day: FloatArray
    month_spend_usd = RowColumn[np.float64]()
    month_earnings_usd: FloatArray
    readiness_draw: FloatArray
    rec_connects_spend_usd = RowColumn[np.float64]()
    rec_fee_usd: FloatArray
    rec_earnings_usd: FloatArray
    region = RowColumn[np.int64]()
    membership: IntArray
    membership_intent: IntArray
    """The membership a freelancer wants; under the wallet rule it holds it only in
    months whose fee its wallet can pay."""
    category = RowColumn[np.int64]()
    completed_jobs = RowColumn[np.int64]()
    five_star_reviews = RowColumn[np.int64]()
    active_contracts: IntArray
    last_seen_seq = RowColumn[np.int64]()
    week_proposals = RowColumn[np.int64]()
    losing_months: IntArray
    month_earned_connects: IntArray
    rec_proposals = RowColumn[np.int64]()
    rec_hires: IntArray
    rec_connects_spent = RowColumn[np.int64]()
    rec_connects_wasted_ghost = RowColumn[np.int64]()
    rec_reviewed: IntArray
    in_market: BoolArray
    verified: BoolArray
    new_cohort: BoolArray
    key = RowColumn[np.uint64]()

    def __init__(self, world: World, capacity: int) -> None:
        self.world = world
        self.size = 0
        self._capacity = max(capacity, 16)
        self.rows = BrowseRows(self._capacity)
        """The columns the browsing kernel reads and writes, one record per freelancer
        (shared with the ledger and the recorder; see :mod:`simulator.engine.rows`)."""
        for name, dtype in _OWN_COLUMNS:
            setattr(self, name, np.zeros(self._capacity, dtype=dtype))
        regions = list(world.regions.values())
        self.region_share = np.array([r.share for r in regions])
        self.region_income_usd = np.array([r.monthly_income_usd for r in regions])
        self.region_rate_usd = np.array([r.typical_rate_usd_per_hour for r in regions])
        self.region_plus_share = np.array([r.plus_share for r in regions])
        self.region_names = list(world.regions)
        self._columns: FreelancerColumns | None = None
        self._columns_generation = self.rows.generation

    # ------------------------------------------------------------------ rows
    def _ensure(self, extra: int) -> None:
        needed = self.size + extra
        if needed <= self._capacity:
            return
        new_capacity = max(needed, 2 * self._capacity)
        for name, dtype in _OWN_COLUMNS:
            grown = np.zeros(new_capacity, dtype=dtype)
            grown[: self.size] = getattr(self, name)[: self.size]
            setattr(self, name, grown)
        self.rows.ensure(new_capacity)
        self._capacity = new_capacity
        self._columns = None

    def columns(self) -> FreelancerColumns:
        """The columns compiled kernels read, as one group (the same until the
        population grows, which replaces the arrays)."""
        if self._columns is None or self._columns_generation != self.rows.generation:
            self._columns = FreelancerColumns(
                *(getattr(self, name) for name in FreelancerColumns._fields)
            )
            self._columns_generation = self.rows.generation
        return self._columns

    def add(
        self, rng: np.random.Generator, n: int, day: float, established_share: float
    ) -> IntArray:
        """Create ``n`` freelancers joining on ``day``; return their rows.

        Every trait is drawn here, in bulk and in a fixed order, so that what
        the policy does later never shifts these draws.
        """
        self._ensure(n)
        rows = np.arange(self.size, self.size + n, dtype=np.int64)
        p = self.world.population
        region = rng.choice(len(self.region_share), size=n, p=self.region_share)
        plus = rng.random(n) < self.region_plus_share[region]
        category = rng.integers(0, p.categories, size=n)
        skill = rng.beta(p.skill_beta_a, p.skill_beta_b, size=n)
        rate = self.region_rate_usd[region] * np.exp(
            p.rate_sigma * rng.standard_normal(n) - 0.5 * p.rate_sigma**2
        )
        sessions = rng.gamma(
            p.sessions_per_day_shape, p.sessions_per_day_mean / p.sessions_per_day_shape, size=n
        )
        verified = rng.random(n) < p.verified_share
        established = rng.random(n) < established_share
        # numpy's geometric counts from 1 and has mean 1/p: an established freelancer
        # has done at least one job, history_jobs_mean on average
        history = np.where(established, rng.geometric(1.0 / p.history_jobs_mean, size=n), 0)
        five_star_prob = np.clip(
            self.world.contracts.five_star_base + self.world.contracts.five_star_per_skill * skill,
            0.0,
            1.0,
        )
        five_star = rng.binomial(history, five_star_prob)
        readiness = rng.random(n)
        keys = draw_keys(rng, n)

        self.region[rows] = region
        self.membership[rows] = plus.astype(np.int64)
        self.category[rows] = category
        self.skill[rows] = skill
        self.asking_rate_usd_per_hour[rows] = rate
        self.reservation_rate_usd_per_hour[rows] = rate * p.reservation_rate_share
        self.sessions_per_day[rows] = sessions
        budget = p.budget
        if isinstance(budget, IncomeShareBudget):
            self.month_cash_usd[rows] = self.region_income_usd[region] * budget.share_of_income
        self.verified[rows] = verified
        self.completed_jobs[rows] = history
        self.five_star_reviews[rows] = five_star
        self.new_cohort[rows] = history == 0
        self.readiness_draw[rows] = readiness
        self.joined_day[rows] = day
        self.left_day[rows] = np.inf
        self.last_proposal_day[rows] = day
        self.first_hire_day[rows] = np.inf
        self.in_market[rows] = True
        self.key[rows] = keys
        self.membership_intent[rows] = self.membership[rows]
        if isinstance(budget, WalletBudget):
            # drawn last, so that every other trait is drawn as under the income-share rule
            share = budget.outside_cash_share_median * np.exp(
                budget.outside_cash_share_sigma * rng.standard_normal(n)
            )
            outside = self.region_income_usd[region] * np.minimum(
                share, budget.outside_cash_share_cap
            )
            self.outside_cash_usd[rows] = outside
            # a wallet starts with one month of outside cash and no savings
            self.month_cash_usd[rows] = outside
        self.size += n
        return rows

    # ---------------------------------------------------------- derived state
    def rating(self, rows: IntArray | slice | None = None) -> FloatArray:
        """Mean of the Beta(1 + five-star, 1 + other) posterior of five-star reviews."""
        sel = slice(0, self.size) if rows is None else rows
        return (self.five_star_reviews[sel] + 1.0) / (self.completed_jobs[sel] + 2.0)

    def view(self, row: int) -> FreelancerView:
        """A read-only view of one freelancer."""
        if not 0 <= row < self.size:
            raise IndexError(f"freelancer {row} does not exist (population has {self.size})")
        return FreelancerView(
            row=row,
            region=self.region_names[int(self.region[row])],
            membership=("basic", "plus")[int(self.membership[row])],
            category=int(self.category[row]),
            skill=float(self.skill[row]),
            asking_rate_usd_per_hour=float(self.asking_rate_usd_per_hour[row]),
            completed_jobs=int(self.completed_jobs[row]),
            rating=float(self.rating(np.array([row]))[0]),
            active_contracts=int(self.active_contracts[row]),
            in_market=bool(self.in_market[row]),
        )


@dataclass(frozen=True, slots=True)
class FreelancerView:
    """One freelancer's main traits and state, for reading."""

    row: int
    region: str
    membership: str
    category: int
    skill: float
    asking_rate_usd_per_hour: float
    completed_jobs: int
    rating: float
    active_contracts: int
    in_market: bool
