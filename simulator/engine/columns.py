"""The arrays compiled kernels take, grouped by the object that owns them.

Each group is a named tuple, which numba passes into compiled code as a plain
record of its fields: a kernel reads ``pop.skill[a]`` at the same cost as a
``skill`` argument of its own, and the call names half a dozen groups instead
of some seventy arrays. The owners build their groups (``Population.columns``,
``JobBoard.columns``, ``ConnectsLedger.columns``, ``MetricsRecorder.counters``),
at each call or when their arrays grow, since growing replaces the arrays.

This module imports nothing of the engine, so that owners and kernels can all
import it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
U64 = npt.NDArray[np.uint64]


class FreelancerColumns(NamedTuple):
    """The population's columns the kernels read or write (fields are named as
    :class:`~simulator.engine.population.Population`'s columns)."""

    category: IntArray
    last_seen_seq: IntArray
    asking_rate_usd_per_hour: FloatArray
    reservation_rate_usd_per_hour: FloatArray
    skill: FloatArray
    completed_jobs: IntArray
    five_star_reviews: IntArray
    key: U64
    region: IntArray
    week_proposals: IntArray
    month_spend_usd: FloatArray
    month_cash_usd: FloatArray
    month_earnings_usd: FloatArray
    last_proposal_day: FloatArray
    first_hire_day: FloatArray
    active_contracts: IntArray


class RecordedCounters(NamedTuple):
    """The recorded metrics kernels add to: added to only while ``recording``
    (after the warm-up), except ``month_connects_spent``, which the monthly
    membership choice reads. The ``rec_*`` columns of the population, then the
    recorder's own counters."""

    recording: bool
    rec_proposals: IntArray
    rec_connects_spent: IntArray
    rec_connects_spend_usd: FloatArray
    rec_connects_wasted_ghost: IntArray
    rec_earnings_usd: FloatArray
    rec_bought: IntArray
    rec_boost_bids: IntArray
    month_connects_spent: IntArray


class BoardColumns(NamedTuple):
    """The job board's columns (fields are named as
    :class:`~simulator.engine.jobs.JobBoard`'s attributes): a ring of ``capacity``
    post slots, the per-category feeds and the current wave's new posts."""

    capacity: int
    seq: IntArray
    open: BoolArray
    post_day: FloatArray
    close_day: FloatArray
    budget_usd: FloatArray
    hours: FloatArray
    tier: IntArray
    category: IntArray
    ghost: BoolArray
    removed: BoolArray
    key: U64
    proposals: IntArray
    connects_needed: IntArray
    reviewed_agent: npt.NDArray[np.int32]
    reviewed_score: FloatArray
    reviewed_quality: npt.NDArray[np.float32]
    boosts: IntArray
    feed: IntArray
    feed_capacity: int
    wave_keys: FloatArray
    wave_category_start: IntArray
    feed_count_at_wave: IntArray


class LedgerColumns(NamedTuple):
    """The Connects ledger's lots, balances and counters, and where this month's
    purchases go (:class:`~simulator.engine.ledger.ConnectsLedger`)."""

    free_lots: IntArray
    paid_lots: IntArray
    free_balance: IntArray
    paid_balance: IntArray
    bought: IntArray
    spent: IntArray
    paid_column: int
    """The column of ``paid_lots`` that this month's purchases go to."""
    month: int


class ClosedPosts(NamedTuple):
    """Posts closing now and what their clients did, one entry per post."""

    slot: IntArray
    hired_agent: IntArray
    """The freelancer hired, -1 for none."""
    hired_column: IntArray
    """The hired proposal's column in the review list, -1 for none."""
    reviewed: IntArray
    """Proposals the client reviewed."""
    busy: IntArray
    """Reviewed proposals from freelancers already at capacity."""
