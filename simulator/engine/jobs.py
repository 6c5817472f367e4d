"""The job board: a Poisson stream of posts held in a fixed-size ring.

A post's attributes are drawn in bulk when it is posted, from the job
stream's own generator, so that every arm sees the same posts. Open posts
live in a ring of slots (memory does not grow with the horizon); each
category keeps a ring of its posts in posting order, which is the feed
freelancers browse, newest first. The first K proposals of a post (the ones
its client reviews) are kept in a slot-by-rank matrix; the rest are only
counted.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numba
import numpy as np
import numpy.typing as npt

from simulator.config.scenario import TIERS, JobStream
from simulator.engine.columns import BoardColumns, ClosedPosts
from simulator.engine.kernels import prefetch_rows
from simulator.engine.rng import U64, draw_keys

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _next_pow2(n: float) -> int:
    return 1 << max(4, math.ceil(math.log2(max(n, 2.0))))


@numba.njit(cache=True)
def count_below(sorted_values: FloatArray, x: float) -> int:
    """How many of ``sorted_values`` are below ``x`` (a plain binary search: numba's
    ``np.searchsorted`` costs more than the search itself on short arrays)."""
    lo = 0
    hi = sorted_values.size
    while lo < hi:
        mid = (lo + hi) >> 1
        if sorted_values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


class NewPosts(NamedTuple):
    """A wave's new posts and the draws that decide their fates, in posting order."""

    seq: IntArray
    day: FloatArray
    category: IntArray
    tier: IntArray
    budget_usd: FloatArray
    ghost_draw: FloatArray
    removed_draw: FloatArray
    decision_draw: FloatArray
    key: U64


class PostingRules(NamedTuple):
    """The job stream's rules for a new post's fate and length."""

    ghost_share: float
    ghost_removed_share: float
    open_days_max: float
    round_days: float
    """> 0: every post decides after this long (textbook rounds)."""
    client_rate_usd_per_hour: FloatArray
    """By tier."""


@numba.njit(cache=True)
def _place_posts(
    new: NewPosts,
    rules: PostingRules,
    board: BoardColumns,
    open_list: IntArray,
    open_close_day: FloatArray,
    listed: int,
) -> tuple[IntArray, int]:
    """Write a wave's new posts into their slots and append the slots to the
    first ``listed`` entries of ``open_list`` (their closing days to
    ``open_close_day``); return the slots and the entries
    the list now has (no slots, and nothing done, if one of them still holds an
    open post).

    One pass instead of a NumPy assignment per attribute: at every wave these
    are a few hundred posts, for which each NumPy call costs more in overhead
    than in work. ``rules.round_days`` > 0 gives every post that decision time
    (textbook rounds); the values are those of the NumPy expressions
    ``ghost = ghost_draw < ghost_share``, ``removed = ghost & (removed_draw <
    ghost_removed_share)``, ``decision = minimum(decision_draw, open_days_max)``
    and ``close = times + where(ghost & ~removed, open_days_max, decision)``.
    """
    seqs, times, tier, budget = new.seq, new.day, new.tier, new.budget_usd
    open_, reviewed_agent = board.open, board.reviewed_agent
    open_days_max, round_days = rules.open_days_max, rules.round_days
    n = seqs.size
    mask = board.seq.size - 1
    slots = np.empty(n, dtype=np.int64)
    for i in range(n):
        slots[i] = seqs[i] & mask
        if open_[slots[i]]:
            return slots[:0], listed
    if listed + n > open_list.size:
        # make room by dropping closed posts (the list then holds at most the open
        # posts, and these new ones are not among them)
        kept = 0
        for i in range(listed):
            if open_[open_list[i]]:
                open_list[kept] = open_list[i]
                open_close_day[kept] = open_close_day[i]
                kept += 1
        listed = kept
    for i in range(n):
        s = slots[i]
        open_list[listed + i] = s
        open_[s] = True
        board.proposals[s] = 0
        # an explicit loop: a slice assignment builds an array view per post
        for k in range(reviewed_agent.shape[1]):
            reviewed_agent[s, k] = -1
        board.seq[s] = seqs[i]
        board.post_day[s] = times[i]
        is_ghost = new.ghost_draw[i] < rules.ghost_share
        is_removed = is_ghost and new.removed_draw[i] < rules.ghost_removed_share
        decision = round_days if round_days > 0.0 else min(new.decision_draw[i], open_days_max)
        close = times[i] + (open_days_max if is_ghost and not is_removed else decision)
        board.close_day[s] = close
        open_close_day[listed + i] = close
        board.budget_usd[s] = budget[i]
        board.hours[s] = budget[i] / rules.client_rate_usd_per_hour[tier[i]]
        board.tier[s] = tier[i]
        board.category[s] = new.category[i]
        board.ghost[s] = is_ghost
        board.removed[s] = is_removed
        board.key[s] = new.key[i]
    return slots, listed + n


@numba.njit(cache=True)
def _take_due(
    day: float,
    close_when_full: bool,
    max_reviewed: int,
    open_: BoolArray,
    proposals: IntArray,
    open_list: IntArray,
    open_close_day: FloatArray,
    listed: int,
    prefetch: tuple[Any, ...],
) -> tuple[IntArray, int]:
    """The slots of open posts due at ``day``, in increasing order, and how many
    slots ``open_list`` keeps.

    A post is due when its closing time has come (``close_day <= day + 1e-9``)
    or, with ``close_when_full``, when it has ``max_reviewed`` proposals. The
    first ``listed`` entries of ``open_list`` must hold every open post's slot,
    and ``open_close_day`` their closing days (read in order, where the board's
    ``close_day`` would be read at scattered slots); the entries of closed posts
    are dropped (in place, keeping the order).
    """
    due = np.empty(listed, dtype=np.int64)
    m = 0
    kept = 0
    for i in range(listed):
        s = open_list[i]
        if not open_[s]:
            continue
        close = open_close_day[i]
        open_list[kept] = s
        open_close_day[kept] = close
        kept += 1
        if close <= day + 1e-9 or (close_when_full and proposals[s] >= max_reviewed):
            due[m] = s
            m += 1
            prefetch_rows(prefetch, s)
    return np.sort(due[:m]), kept


@numba.njit(cache=True)
def _append_to_feeds(
    category: IntArray,
    seqs: IntArray,
    times: FloatArray,
    start_day: float,
    days: float,
    feed: IntArray,
    feed_capacity: int,
    feed_count: IntArray,
) -> tuple[FloatArray, IntArray]:
    """Append a wave's posts to their categories' feeds, in posting order.

    ``times`` must be in posting order (non-decreasing). Returns the posts'
    keys ``category * 2 + share of the wave`` sorted by (category, time), and
    where each category's keys start. A stable counting sort by category: as
    the posts are already in time order, it gives the order of a lexicographic
    sort by (category, time), ties in posting order.
    """
    n = category.size
    counts = np.zeros(feed_count.size, dtype=np.int64)
    for i in range(n):
        counts[category[i]] += 1
    first = np.empty(feed_count.size, dtype=np.int64)
    total = 0
    for c in range(feed_count.size):
        first[c] = total
        total += counts[c]
    next_rank = first.copy()
    keys = np.empty(n)
    for i in range(n):
        c = category[i]
        rank = next_rank[c]
        next_rank[c] += 1
        keys[rank] = c * 2.0 + (times[i] - start_day) / days
        position = feed_count[c] + (rank - first[c])
        feed[c * feed_capacity + (position & (feed_capacity - 1))] = seqs[i]
    feed_count += counts
    return keys, first


BOOST_FIELDS = 5
"""Fields of :attr:`JobBoard.boosts` (see :mod:`simulator.engine.boosts` for their order)."""


class JobBoard:
    """Open and recently closed job posts, in a ring of slots."""

    def __init__(
        self,
        stream: JobStream,
        categories: int,
        max_reviewed: int,
        wave_days: float,
        feed_lookback: int,
        rounds: bool = False,
        boost_slots: int = 0,
    ) -> None:
        self.stream = stream
        # textbook rounds: a fixed number of posts at each wave's start, closing at its end
        self.rounds = rounds
        self.categories = categories
        self.max_reviewed = max_reviewed
        peak_rate = stream.jobs_per_day * (1.0 + stream.weekly_amplitude)
        expected_open = peak_rate * (stream.open_days_max + 2.0 * wave_days + 1.0)
        # Poisson spread plus head-room; posting into a still-open slot raises.
        self.capacity = _next_pow2(1.2 * expected_open + 8.0 * math.sqrt(expected_open) + 64)
        c = self.capacity
        self.seq = np.full(c, -1, dtype=np.int64)
        self.open = np.zeros(c, dtype=np.bool_)
        self.post_day = np.zeros(c)
        self.close_day = np.zeros(c)
        self.budget_usd = np.zeros(c)
        self.hours = np.zeros(c)
        self.tier = np.zeros(c, dtype=np.int64)
        self.category = np.zeros(c, dtype=np.int64)
        self.ghost = np.zeros(c, dtype=np.bool_)
        self.removed = np.zeros(c, dtype=np.bool_)
        self.key = np.zeros(c, dtype=np.uint64)
        self.proposals = np.zeros(c, dtype=np.int64)
        self.connects_needed = np.zeros(c, dtype=np.int64)
        # the review lists are the board's largest arrays and are written at random
        # slots for every reviewed proposal: 32-bit freelancer rows and qualities
        # halve their memory traffic (scores, which decide hires, stay 64-bit)
        # columns [0, K) hold the first K proposals in arrival order, and [K, K + slots)
        # the proposals holding a boost slot (see simulator.engine.boosts)
        width = max_reviewed + boost_slots
        self.reviewed_agent = np.full((c, width), -1, dtype=np.int32)
        self.reviewed_score = np.zeros((c, width))
        self.reviewed_quality = np.zeros((c, width), dtype=np.float32)
        self.boost_slots = boost_slots
        self.boosts = np.zeros((c, boost_slots, BOOST_FIELDS), dtype=np.int64)
        """Per post and boost slot: the bid, its free and paid Connects, the proposal's
        place in arrival order, and whether it was sent while recording."""
        self.posted = 0
        # per-category feed: ring of global sequence numbers in posting order
        self.feed_capacity = _next_pow2(2 * feed_lookback + 64)
        # flat (category-major) so that a view is one integer index
        self.feed = np.full(categories * self.feed_capacity, -1, dtype=np.int64)
        self.feed_count = np.zeros(categories, dtype=np.int64)
        self._client_rate = np.array([stream.tiers[t].client_rate_usd_per_hour for t in TIERS])
        self._tier_share = np.array([stream.tiers[t].share for t in TIERS])
        # what Generator.choice(p=...) computes on every call (tests check it is still so)
        self._tier_cdf = np.cumsum(self._tier_share)
        self._tier_cdf /= self._tier_cdf[-1]
        self._tier_log_median = np.log([stream.tiers[t].budget_median_usd for t in TIERS])
        self._tier_sigma = np.array([stream.tiers[t].budget_sigma for t in TIERS])
        # the current wave's new posts, sorted by (category, time), for feed cut-offs
        self.wave_keys = np.zeros(0)
        self._wave_start = 0.0
        self._wave_days = wave_days
        self.feed_count_at_wave = self.feed_count.copy()
        self.wave_category_start = np.zeros(categories, dtype=np.int64)
        # the slots of open posts (and of some closed since the last due()), in
        # posting order, so that due() need not pass over the whole board
        self._open_list = np.empty(c, dtype=np.int64)
        self._open_close_day = np.empty(c)
        # what closing a post reads, scattered over the ring: _take_due asks for it
        # to be fetched as it finds each due post, while it goes on looking
        self._closing_columns = (
            self.reviewed_agent,
            self.reviewed_score,
            self.post_day,
            self.ghost,
            self.proposals,
            self.hours,
            self.budget_usd,
            self.key,
        )
        self._listed = 0

    def post(self, rng: np.random.Generator, start_day: float, days: float) -> IntArray:
        """Post the jobs arriving in ``[start_day, start_day + days)``; return their slots.

        The draws depend only on the times, never on the market's state.
        """
        s = self.stream
        season = 1.0 + s.weekly_amplitude * math.cos(2.0 * math.pi * (start_day + 0.5 * days) / 7.0)
        if self.rounds:
            n = round(s.jobs_per_day * days)
            times = np.full(n, start_day)
        else:
            n = int(rng.poisson(s.jobs_per_day * days * season))
            times = start_day + np.sort(rng.random(n)) * days
        category = rng.integers(0, self.categories, size=n)
        # what rng.choice(len(TIERS), size=n, p=self._tier_share) does, without the
        # checks of p it repeats at every call: one uniform per post, then the first
        # tier whose cumulative share exceeds it
        tier = self._tier_cdf.searchsorted(rng.random(n), side="right")
        budget = np.exp(
            self._tier_log_median[tier] + self._tier_sigma[tier] * rng.standard_normal(n)
        )
        ghost_draw = rng.random(n)
        removed_draw = rng.random(n)
        decision_draw = rng.exponential(s.decision_days_mean, size=n)
        keys: U64 = draw_keys(rng, n)

        seqs = self.posted + np.arange(n, dtype=np.int64)
        placed: tuple[IntArray, int] = _place_posts(
            NewPosts(
                seqs, times, category, tier, budget, ghost_draw, removed_draw, decision_draw, keys
            ),
            PostingRules(
                s.ghost_share,
                s.ghost_removed_share,
                s.open_days_max,
                days if self.rounds else 0.0,
                self._client_rate,
            ),
            self.columns(),
            self._open_list,
            self._open_close_day,
            self._listed,
        )
        slots, listed = placed
        if slots.size < n:
            raise RuntimeError(
                "job board ring is full: more posts open at once than its capacity "
                f"({self.capacity}); raise jobs.open_days_max head-room"
            )
        self.posted += n
        self._listed = listed

        # feed: append in posting order per category
        self.feed_count_at_wave = self.feed_count.copy()
        self.wave_keys, self.wave_category_start = _append_to_feeds(
            category, seqs, times, start_day, days, self.feed, self.feed_capacity, self.feed_count
        )
        self._wave_start = start_day
        return slots

    def columns(self) -> BoardColumns:
        """The board's arrays for compiled kernels (built at each call: every wave
        replaces its new posts' arrays)."""
        return BoardColumns(*(getattr(self, name) for name in BoardColumns._fields))

    def feed_position(self, category: IntArray, day: FloatArray) -> IntArray:
        """How many posts of each category had been posted by each ``day`` in this wave
        (the browsing kernel computes the same for each freelancer it handles)."""
        probe = category * 2.0 + (day - self._wave_start) / self._wave_days
        before = np.array([count_below(self.wave_keys, float(x)) for x in probe], dtype=np.int64)
        start = self.wave_category_start[category]
        return self.feed_count_at_wave[category] + (before - start)

    def feed_slots(self, category: IntArray, position: IntArray) -> tuple[IntArray, BoolArray]:
        """Slots of the posts at feed ``position`` of ``category``, and whether each
        is still the same post and open."""
        seqs = self.feed[category * self.feed_capacity + (position & (self.feed_capacity - 1))]
        slots = seqs & (self.capacity - 1)
        live = (self.seq[slots] == seqs) & self.open[slots] & (seqs >= 0)
        return slots, live

    def due(self, day: float, close_when_full: bool) -> IntArray:
        """Slots of open posts whose decision (or expiry) time has come, in increasing
        order (with ``close_when_full``, also those with ``max_reviewed`` proposals).

        A compiled pass over the list of open posts, rather than NumPy passes
        over the whole ring, most of whose slots hold closed posts. The list
        keeps a copy of each post's ``close_day``, which is fixed at posting.
        """
        taken: tuple[IntArray, int] = _take_due(
            day,
            close_when_full,
            self.max_reviewed,
            self.open,
            self.proposals,
            self._open_list,
            self._open_close_day,
            self._listed,
            self._closing_columns,
        )
        due, self._listed = taken
        return due


@numba.njit(cache=True)
def closing_tallies(
    closed: ClosedPosts,
    board: BoardColumns,
    skill: FloatArray,
    day: float,
    warmup_days: float,
    reservation_score: float,
    hist: IntArray,
) -> tuple[IntArray, FloatArray, FloatArray, npt.NDArray[np.float32], FloatArray]:
    """Tallies of closing posts posted after the warm-up (those of the warm-up are
    not counted): closed, genuine, hired, proposals, posts with 50 or more,
    proposals reviewed and from busy freelancers (genuine posts); and, per hire
    in the order of ``closed``, days to hire, skill (of the freelancers'
    ``skill``), proposal quality and client surplus. Adds each post's proposals
    to the histogram ``hist``.

    One compiled pass instead of some twenty NumPy calls on a few hundred
    posts; the float sums are left to NumPy, on arrays holding exactly what
    its own expressions held, so that they round as before.
    """
    slots, hired_agent, hired_col = closed.slot, closed.hired_agent, closed.hired_column
    post_day, proposals, ghost = board.post_day, board.proposals, board.ghost
    counts = np.zeros(7, dtype=np.int64)
    hires = 0
    for i in range(slots.size):
        if post_day[slots[i]] >= warmup_days and hired_agent[i] >= 0:
            hires += 1
    days_to_hire = np.empty(hires)
    hired_skill = np.empty(hires)
    quality = np.empty(hires, dtype=np.float32)
    surplus = np.empty(hires)
    last = hist.size - 1
    j = 0
    for i in range(slots.size):
        s = slots[i]
        if not post_day[s] >= warmup_days:
            continue
        n = proposals[s]
        counts[0] += 1
        counts[3] += n
        counts[4] += n >= 50
        hist[min(n, last)] += 1
        if not ghost[s]:
            counts[1] += 1
            counts[5] += closed.reviewed[i]
            counts[6] += closed.busy[i]
        a = hired_agent[i]
        if a >= 0:
            counts[2] += 1
            c = hired_col[i]
            days_to_hire[j] = day - post_day[s]
            hired_skill[j] = skill[a]
            quality[j] = board.reviewed_quality[s, c]
            surplus[j] = board.reviewed_score[s, c] - reservation_score
            j += 1
    return counts, days_to_hire, hired_skill, quality, surplus


@numba.njit(cache=True)
def _split_log(
    closing: BoolArray,
    size: int,
    slot: IntArray,
    agent: IntArray,
    free_n: IntArray,
    paid_n: IntArray,
    recorded: BoolArray,
    taken: IntArray,
    taken_recorded: BoolArray,
) -> tuple[int, int]:
    """Move the entries of closing posts to ``taken``; compact the rest in place."""
    kept = 0
    n_taken = 0
    for i in range(size):
        if closing[slot[i]]:
            taken[0, n_taken] = slot[i]
            taken[1, n_taken] = agent[i]
            taken[2, n_taken] = free_n[i]
            taken[3, n_taken] = paid_n[i]
            taken_recorded[n_taken] = recorded[i]
            n_taken += 1
        else:
            slot[kept] = slot[i]
            agent[kept] = agent[i]
            free_n[kept] = free_n[i]
            paid_n[kept] = paid_n[i]
            recorded[kept] = recorded[i]
            kept += 1
    return n_taken, kept


class ProposalLog:
    """Who spent what on posts whose Connects may have to be traced back later.

    Only proposals that the policy may refund are kept: those on ghost posts
    when it refunds removed or expired posts, and every proposal when it
    refunds cancelled ones. Entries of closed posts are dropped as they are
    read, so the log holds open posts only.
    """

    def __init__(self, initial: int = 4096) -> None:
        self.size = 0
        self.slot = np.zeros(initial, dtype=np.int64)
        self.agent = np.zeros(initial, dtype=np.int64)
        self.free_connects = np.zeros(initial, dtype=np.int64)
        self.paid_connects = np.zeros(initial, dtype=np.int64)
        self.recorded = np.zeros(initial, dtype=np.bool_)

    def append(
        self, slot: IntArray, agent: IntArray, free_n: IntArray, paid_n: IntArray, recorded: bool
    ) -> None:
        """Add proposals (arrays of equal length)."""
        n = slot.size
        if self.size + n > self.slot.size:
            grow = max(self.size + n, 2 * self.slot.size)
            for name in ("slot", "agent", "free_connects", "paid_connects", "recorded"):
                old = getattr(self, name)
                new = np.zeros(grow, dtype=old.dtype)
                new[: self.size] = old[: self.size]
                setattr(self, name, new)
        s = slice(self.size, self.size + n)
        self.slot[s] = slot
        self.agent[s] = agent
        self.free_connects[s] = free_n
        self.paid_connects[s] = paid_n
        self.recorded[s] = recorded
        self.size += n

    def take(self, closing: BoolArray) -> tuple[IntArray, IntArray, IntArray, IntArray, BoolArray]:
        """Remove and return the entries of posts flagged in ``closing`` (by slot)."""
        columns = (self.slot, self.agent, self.free_connects, self.paid_connects)
        taken = np.empty((4, self.size), dtype=np.int64)
        taken_recorded = np.empty(self.size, dtype=np.bool_)
        n_taken, self.size = _split_log(
            closing, self.size, *columns, self.recorded, taken, taken_recorded
        )
        slot, agent, free_n, paid_n = taken[:, :n_taken]
        return slot, agent, free_n, paid_n, taken_recorded[:n_taken]
