"""The browsing wave: every freelancer who browses, in order, compiled with numba.

A wave's freelancers are handled one after another in the order of their
session times, each looking at the newest posts of its category that it has
not seen and bidding on each in turn. Doing this in one compiled loop,
rather than as NumPy passes over all (freelancer, post) views at once, makes
the rules exact where a vectorized pass has to approximate:

- each freelancer sees the proposal counts left by those who browsed before
  it in the same wave;
- its Connects are settled proposal by proposal: free Connects first, then
  bought ones in hand, then a new bundle if the policy sells them and the
  month's budget covers it; the pacing shadow price of free Connects rises as
  the balance falls.

The rules themselves live in :mod:`simulator.engine.behaviour` and are shared with
Python code and tests. Nothing here draws random numbers: the client's taste
for a proposal is a hash of the post's and the freelancer's keys.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np
import numpy.typing as npt

from simulator.config.compiled_policy import bundle_purchase
from simulator.engine import behaviour as rules
from simulator.engine import boosts as boosting
from simulator.engine.columns import (
    BoardColumns,
    FreelancerColumns,
    LedgerColumns,
    RecordedCounters,
)
from simulator.engine.kernels import commit_hire, prefetch_rows, weigh_proposal
from simulator.engine.ledger import settle_one
from simulator.engine.rng import pair_normal_one, pair_uniform, pair_uniform_one

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
U64 = npt.NDArray[np.uint64]

_CHOICE_SALT = np.uint64(0x5851F42D4C957F2D)
"""Salts a post's key for the textbook choice of posts, so that which posts a
freelancer picks is independent of how their clients will rank it."""

_CAP_SALT = np.uint64(0x9E6C63D0676A9A99)
"""Salts a post's key for the draw that decides whether the applicant cap applies to
it (``clients.applicant_cap_share`` below 1)."""

PREFETCH_AHEAD = 4
"""How many freelancers ahead the browsing kernel asks for rows to be fetched."""


class BiddingParameters(NamedTuple):
    """The scalars of the behaviour and client rules the kernel needs (a named
    tuple, which numba passes into compiled code)."""

    jobs_viewed_per_session: int
    applicant_cap: int  # -1: no cap
    max_reviewed: int
    service_fee_share: float
    proposal_hours: float
    weekly_proposal_hours: float
    min_effort: float
    final_multiplier: float
    believed_hire_rate: float
    pacing_value_usd: float
    pacing_connects_per_day: float
    new_freelancer_rating: float
    weight_quality: float
    weight_rating: float
    weight_price: float
    noise_sd: float
    purchase_allowed: bool
    textbook_applications: int  # 0: the full model; a > 0: a uniformly random posts
    first_proposal_free: bool
    boost_slots: int  # 0: no boosts
    boost_min_bid: int
    boost_max_bid: int
    applicant_cap_share: float = 1.0  # share of posts the cap applies to (see cap_applies)
    keep_most_relevant: bool = False  # keep the K most relevant proposals, not the first K
    min_connects_per_proposal: int = 0  # the fewest Connects any proposal costs


class WaveSessions(NamedTuple):
    """A wave's browsing sessions, in the order of their times."""

    agents: IntArray
    sessions: IntArray
    """Sessions of each freelancer (how many feed pages it looks at)."""
    session_day: FloatArray
    start_day: float
    days: float
    """The wave's length."""
    days_to_grant: float
    """Days until the next monthly grant (for the pacing of free Connects)."""


class PolicyPrices(NamedTuple):
    """What the policy charges for Connects."""

    price_usd_by_region: FloatArray
    """USD per Connect, by region."""
    bundle_sizes: IntArray
    """The bundles Connects are sold in."""


class WaveOutputs(NamedTuple):
    """Where the browsing kernel writes, with room for every possible row: one row
    per proposal (``proposal_*``), per outbid boost (``outbid_*``: its freelancer,
    free and paid Connects, and whether it was placed while recording, 0 or 1) and
    per browsing freelancer (the rest)."""

    proposal_slot: IntArray
    proposal_agent: IntArray
    proposal_connects: IntArray
    proposal_paid_connects: IntArray
    outbid_agent: IntArray
    outbid_free: IntArray
    outbid_paid: IntArray
    outbid_recorded: IntArray
    free_used: IntArray
    paid_used: IntArray
    bought: IntArray
    cost_usd: FloatArray
    proposals: IntArray


@numba.njit(cache=True)
def draw_sessions(
    u: FloatArray,
    rate: FloatArray,
    p_none: FloatArray,
    in_market: BoolArray,
    active_contracts: IntArray,
    capacity: int,
    max_sessions: int,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Who browses in a wave, how many sessions, and when (as a share of the wave).

    One uniform per freelancer gives the Poisson session count, by inverting
    its distribution, and the session time, as the uniform's position within
    that count's probability interval (which is again uniform, and independent
    of the count).
    """
    n = u.size
    agents = np.empty(n, dtype=np.int64)
    # first who browses, without a branch per freelancer (most do not, at random,
    # which a branch would mispredict), then the sessions of those who do
    m = 0
    for a in range(n):
        agents[m] = a
        m += (u[a] > p_none[a]) & in_market[a] & (active_contracts[a] < capacity)
    sessions = np.empty(m, dtype=np.int64)
    offset = np.empty(m)
    for i in range(m):
        a = agents[i]
        term = p_none[a]
        low = term
        high = 1.0
        k = 1
        while k < max_sessions:
            term = term * rate[a] / k
            if u[a] <= low + term:
                high = low + term
                break
            low += term
            k += 1
        sessions[i] = k
        offset[i] = min(max((u[a] - low) / max(high - low, 1e-300), 0.0), 1.0)
    return agents[:m], sessions, offset


@numba.njit(cache=True)
def order_sessions(
    agents: IntArray, sessions: IntArray, offset: FloatArray, wave_start: float, wave_days: float
) -> tuple[IntArray, IntArray, FloatArray, bool]:
    """The browsing freelancers in the order of their session times.

    Returns ``agents``, ``sessions`` and the session days
    (``wave_start + offset * wave_days``) sorted by session day, and whether
    the session days are all distinct. Only then is the order unique, and the
    same as NumPy's ``argsort`` gives; the caller sorts ties with ``argsort``
    itself, so that the browsing order never depends on this function.

    A bucket sort: the offsets are uniform on [0, 1], so with as many buckets
    as freelancers each holds about one, and an insertion sort finishes in
    about linear time (a general sort costs several times more at every
    wave). Bucket numbers and session days both grow with the offset, so the
    bucket order never contradicts the time order.
    """
    m = offset.size
    bucket = np.empty(m, dtype=np.int64)
    start = np.zeros(m + 1, dtype=np.int64)
    for i in range(m):
        b = min(max(int(offset[i] * m), 0), m - 1)
        bucket[i] = b
        start[b + 1] += 1
    for b in range(m):
        start[b + 1] += start[b]
    # the days themselves are moved with the order (not read through it), so the
    # insertion sort compares neighbours in memory
    day = np.empty(m)
    order = np.empty(m, dtype=np.int64)
    for i in range(m):
        k = start[bucket[i]]
        start[bucket[i]] = k + 1
        order[k] = i
        day[k] = wave_start + offset[i] * wave_days
    for i in range(1, m):
        x = order[i]
        x_day = day[i]
        j = i - 1
        while j >= 0 and day[j] > x_day:
            order[j + 1] = order[j]
            day[j + 1] = day[j]
            j -= 1
        order[j + 1] = x
        day[j + 1] = x_day
    distinct = True
    for i in range(1, m):
        if day[i] == day[i - 1]:
            distinct = False
    return agents[order], sessions[order], day, distinct


@numba.njit(cache=True, error_model="numpy")
def _browse_wave_flat(
    ledger: Any,
    agents: Any,
    sessions: Any,
    session_day: Any,
    wave_start: Any,
    wave_days: Any,
    days_to_grant: Any,
    category: Any,
    last_seen: Any,
    asking_rate: Any,
    reservation_rate: Any,
    skill: Any,
    completed: Any,
    five_star: Any,
    agent_key: Any,
    region: Any,
    week_proposals: Any,
    month_spend_usd: Any,
    month_cash_usd: Any,
    last_proposal_day: Any,
    free_balance: Any,
    paid_balance: Any,
    free_lots: Any,
    paid_lots: Any,
    bought_total: Any,
    spent_total: Any,
    feed: Any,
    feed_capacity: Any,
    board_capacity: Any,
    post_seq: Any,
    post_open: Any,
    proposals: Any,
    budget_usd: Any,
    hours: Any,
    connects_needed: Any,
    ghost: Any,
    post_key: Any,
    boosts: Any,
    reviewed_agent: Any,
    reviewed_score: Any,
    reviewed_quality: Any,
    wave_keys: Any,
    wave_category_start: Any,
    feed_count_at_wave: Any,
    recording: Any,
    rec_proposals: Any,
    rec_connects_spent: Any,
    rec_connects_spend_usd: Any,
    rec_connects_wasted_ghost: Any,
    rec_bought: Any,
    rec_boost_bids: Any,
    month_connects_spent: Any,
    price_by_region: Any,
    bundle_sizes: Any,
    out_slot: Any,
    out_agent: Any,
    out_connects: Any,
    out_paid_connects: Any,
    out_outbid_agent: Any,
    out_outbid_free: Any,
    out_outbid_paid: Any,
    out_outbid_recorded: Any,
    out_free_used: Any,
    out_paid_used: Any,
    out_bought: Any,
    out_cost_usd: Any,
    out_proposals: Any,
    p: BiddingParameters,
) -> tuple[int, int]:
    weights = p.weight_quality + p.weight_rating + p.weight_price
    if weights <= 0.0:
        weights = 1.0
    n_out = 0
    n_outbid = 0
    # How many of this wave's posts each category had shown by the last session:
    # sessions come in time order, so each count only moves forward, and a short
    # scan past the last count replaces a binary search over the wave's posts.
    # The wave's keys are sorted by (category, time), category c's in [2c, 2c + 1),
    # and a probe c * 2.0 + share of the wave is a monotone function of the time,
    # so this counts exactly the keys below the probe (what count_below would).
    categories = wave_category_start.size
    wave_count = wave_category_start.copy()
    # what the loop reads and writes of a freelancer: the three cache lines of its
    # record (engine/rows.py; these are the first fields of the lines, LINE_LEADERS)
    # and its Connects lots, first and last lot (a row of twelve monthly lots spans
    # two lines, and spending walks it to the newest)
    columns = (
        category,
        region,
        spent_total,
        free_lots,
        paid_lots,
        free_lots[:, free_lots.shape[1] - 1 :],
        paid_lots[:, paid_lots.shape[1] - 1 :],
    )
    for i in range(agents.size):
        if i + PREFETCH_AHEAD < agents.size:
            prefetch_rows(columns, agents[i + PREFETCH_AHEAD])
        a = agents[i]
        c = category[a]
        # posts of this category visible at the session time (posted before it)
        probe = c * 2.0 + (session_day[i] - wave_start) / wave_days
        end = wave_category_start[c + 1] if c + 1 < categories else wave_keys.size
        before = wave_count[c]
        while before < end and wave_keys[before] < probe:
            before += 1
        wave_count[c] = before
        newest = feed_count_at_wave[c] + (before - wave_category_start[c])
        textbook = p.textbook_applications > 0
        if textbook:
            # every unseen post, and a uniformly random subset of them: those whose
            # salted hash is among the a smallest
            oldest = max(last_seen[a], newest - feed_capacity)
            threshold = _choice_threshold(
                oldest,
                newest,
                c,
                feed,
                feed_capacity,
                board_capacity,
                post_seq,
                post_open,
                post_key,
                agent_key[a],
                p.textbook_applications,
            )
        else:
            oldest = max(last_seen[a], newest - p.jobs_viewed_per_session * sessions[i])
            threshold = 0.0
        if newest > last_seen[a]:
            last_seen[a] = newest

        rating = (five_star[a] + 1.0) / (completed[a] + 2.0)
        seen_rating = p.new_freelancer_rating if completed[a] == 0 else rating
        own = rules.strength(skill[a], seen_rating)
        effort_cost = p.proposal_hours * reservation_rate[a]
        price = price_by_region[region[a]]
        money_left = month_cash_usd[a] - month_spend_usd[a]
        free_left = free_balance[a]
        paid_left = paid_balance[a]
        free_used = 0
        paid_used = 0
        bought = 0
        cost = 0.0
        week = week_proposals[a]
        sent = 0
        # Fewer Connects in hand than the cheapest proposal costs, and the purchase
        # that would cover the difference out of reach: every view would end at the
        # purchase check below (a larger shortfall never buys less), with nothing
        # written before it, so the views are skipped. That is about a third of all
        # views in the reference market.
        shortfall = p.min_connects_per_proposal - free_left - paid_left
        if (
            shortfall >= 1
            and not p.first_proposal_free
            and (
                not p.purchase_allowed
                or bundle_purchase(shortfall, bundle_sizes) * price > money_left - cost + 1e-9
            )
        ):
            oldest = newest
        for pos in range(newest - 1, oldest - 1, -1):
            seq = feed[c * feed_capacity + (pos & (feed_capacity - 1))]
            if seq < 0:
                continue
            slot = seq & (board_capacity - 1)
            if post_seq[slot] != seq or not post_open[slot]:
                continue
            count = proposals[slot]
            if (
                p.applicant_cap >= 0
                and count >= p.applicant_cap
                and cap_applies(post_key[slot], p.applicant_cap_share)
            ):
                continue
            budget = budget_usd[slot]
            h = hours[slot]
            quote = rules.quote_usd(budget, h, asking_rate[a])
            p_win = 0.0
            surplus = 0.0
            if textbook:
                if pair_uniform_one(post_key[slot] ^ _CHOICE_SALT, agent_key[a]) > threshold:
                    continue
                gain = np.inf
            else:
                surplus = rules.surplus_usd(quote, h, reservation_rate[a], p.service_fee_share)
                p_win = rules.win_probability(
                    own,
                    rules.perceived_competitors(count, p.final_multiplier),
                    p.believed_hire_rate,
                )
                gain = p_win * surplus - effort_cost
                if gain <= 0.0:
                    continue
            need = connects_needed[slot]
            if p.first_proposal_free and count == 0:
                need = 0
            from_free = min(need, free_left)
            from_paid = need - from_free
            buy = 0
            if from_paid > paid_left:
                if not p.purchase_allowed:
                    continue
                buy = bundle_purchase(from_paid - paid_left, bundle_sizes)
                if buy * price > money_left - cost + 1e-9:
                    continue
            shadow = rules.pacing_shadow_price_usd(
                free_left, days_to_grant, p.pacing_connects_per_day, p.pacing_value_usd
            )
            if gain <= from_free * shadow + from_paid * price:
                continue
            # send it
            free_left -= from_free
            free_used += from_free
            paid_left += buy - from_paid
            paid_used += from_paid
            bought += buy
            cost += buy * price
            proposals[slot] = count + 1
            effort = rules.effort_factor(
                week, p.weekly_proposal_hours, p.proposal_hours, p.min_effort
            )
            week += 1
            sent += 1
            boost_column = -1
            value = 0.0
            if p.boost_slots > 0 and not textbook:
                # worthless on posts the proposal is sure to be read on: most of them,
                # so the slots are looked at only when a boost could pay
                value = boosting.boost_value_usd(
                    count, p.max_reviewed, p.boost_slots, p_win, surplus
                )
            if value > 0.0:
                take = boosting.slot_to_take(boosts, reviewed_agent, slot, p.max_reviewed)
                bid = boosting.winning_bid(
                    boosts, reviewed_agent, slot, p.max_reviewed, take, p.boost_min_bid
                )
                bid_free = min(bid, free_left)
                bid_paid = bid - bid_free
                bid_buy = 0
                affordable = bid <= p.boost_max_bid
                if affordable and bid_paid > paid_left:
                    if p.purchase_allowed:
                        bid_buy = bundle_purchase(bid_paid - paid_left, bundle_sizes)
                        affordable = bid_buy * price <= money_left - cost + 1e-9
                    else:
                        affordable = False
                if affordable:
                    bid_shadow = rules.pacing_shadow_price_usd(
                        free_left, days_to_grant, p.pacing_connects_per_day, p.pacing_value_usd
                    )
                    if value > bid_free * bid_shadow + bid_paid * price:
                        boost_column = p.max_reviewed + take
                        holder = reviewed_agent[slot, boost_column]
                        if holder >= 0:
                            out_outbid_agent[n_outbid] = holder
                            out_outbid_free[n_outbid] = boosts[slot, take, boosting.FREE]
                            out_outbid_paid[n_outbid] = boosts[slot, take, boosting.PAID]
                            out_outbid_recorded[n_outbid] = boosts[slot, take, boosting.RECORDED]
                            n_outbid += 1
                        boosts[slot, take, boosting.BID] = bid
                        boosts[slot, take, boosting.FREE] = bid_free
                        boosts[slot, take, boosting.PAID] = bid_paid
                        boosts[slot, take, boosting.POSITION] = count
                        boosts[slot, take, boosting.RECORDED] = 1 if recording else 0
                        free_left -= bid_free
                        free_used += bid_free
                        paid_left += bid_buy - bid_paid
                        paid_used += bid_paid
                        bought += bid_buy
                        cost += bid_buy * price
                        if recording:
                            rec_boost_bids[a] += 1
            column = count if count < p.max_reviewed else -1
            if column < 0 and p.keep_most_relevant:
                # a list ranked by relevance keeps the K most relevant proposals: this
                # one takes the place of the least relevant if it is more relevant
                relevance = (
                    p.weight_quality * skill[a] * effort
                    + p.weight_rating * seen_rating
                    + p.weight_price * rules.price_fit(quote, budget)
                ) / weights
                column = least_relevant_column(
                    slot,
                    p.max_reviewed,
                    relevance,
                    reviewed_agent,
                    reviewed_score,
                    post_key,
                    agent_key,
                    p.noise_sd,
                )
            if column >= 0 or boost_column >= 0:
                quality = skill[a] * effort
                score = (
                    p.weight_quality * quality
                    + p.weight_rating * seen_rating
                    + p.weight_price * rules.price_fit(quote, budget)
                ) / weights
                if p.noise_sd > 0.0:
                    score += p.noise_sd * pair_normal_one(post_key[slot], agent_key[a])
                if column >= 0:
                    reviewed_agent[slot, column] = a
                    reviewed_score[slot, column] = score
                    reviewed_quality[slot, column] = quality
                if boost_column >= 0:
                    reviewed_agent[slot, boost_column] = a
                    reviewed_score[slot, boost_column] = score
                    reviewed_quality[slot, boost_column] = quality
            if recording and ghost[slot]:
                rec_connects_wasted_ghost[a] += need
            out_slot[n_out] = slot
            out_agent[n_out] = a
            out_connects[n_out] = need
            out_paid_connects[n_out] = from_paid
            n_out += 1
        week_proposals[a] = week
        if sent > 0 or bought > 0:
            settled = settle_one(ledger, a, bought, free_used, paid_used)
            if not settled:
                return -1, n_outbid
            month_spend_usd[a] += cost
            month_connects_spent[a] += free_used + paid_used
            if sent > 0:
                last_proposal_day[a] = wave_start
            if recording:
                rec_proposals[a] += sent
                rec_connects_spent[a] += free_used + paid_used
                rec_connects_spend_usd[a] += cost
                rec_bought[a] += bought
        out_free_used[i] = free_used
        out_paid_used[i] = paid_used
        out_bought[i] = bought
        out_cost_usd[i] = cost
        out_proposals[i] = sent
    return n_out, n_outbid


@numba.njit(cache=True, error_model="numpy")
def browse_wave(
    wave: WaveSessions,
    pop: FreelancerColumns,
    board: BoardColumns,
    ledger: LedgerColumns,
    counters: RecordedCounters,
    prices: PolicyPrices,
    p: BiddingParameters,
    out: WaveOutputs,
) -> tuple[int, int]:
    """Run one browsing wave; return the numbers of proposals and of outbid boosts
    written to ``out`` (proposals -1 if a freelancer's Connects would have been
    overdrawn, which is a bug).

    ``wave.agents`` must be in the order of their ``session_day`` (non-decreasing).
    Updates in place: last-seen feed positions, weekly proposal counts, the
    month's spending, the posts' proposal counts and review lists, the
    Connects ledger (lots, balances, counters), the boost slots and the recorded
    metrics (Connects spent on ghost posts included). A boost is bid, when the
    policy has boosts, right after its proposal is sent, from what is left of
    the same Connects and budget (see :mod:`simulator.engine.boosts`).
    """
    # The loop runs in a kernel that takes every array as its own argument: read
    # through the groups, the loop runs about 5% slower (benchmarks/bench_compare.py).
    n_proposals, n_outbid = _browse_wave_flat(
        ledger,
        wave.agents,
        wave.sessions,
        wave.session_day,
        wave.start_day,
        wave.days,
        wave.days_to_grant,
        pop.category,
        pop.last_seen_seq,
        pop.asking_rate_usd_per_hour,
        pop.reservation_rate_usd_per_hour,
        pop.skill,
        pop.completed_jobs,
        pop.five_star_reviews,
        pop.key,
        pop.region,
        pop.week_proposals,
        pop.month_spend_usd,
        pop.month_cash_usd,
        pop.last_proposal_day,
        ledger.free_balance,
        ledger.paid_balance,
        ledger.free_lots,
        ledger.paid_lots,
        ledger.bought,
        ledger.spent,
        board.feed,
        board.feed_capacity,
        board.capacity,
        board.seq,
        board.open,
        board.proposals,
        board.budget_usd,
        board.hours,
        board.connects_needed,
        board.ghost,
        board.key,
        board.boosts,
        board.reviewed_agent,
        board.reviewed_score,
        board.reviewed_quality,
        board.wave_keys,
        board.wave_category_start,
        board.feed_count_at_wave,
        counters.recording,
        counters.rec_proposals,
        counters.rec_connects_spent,
        counters.rec_connects_spend_usd,
        counters.rec_connects_wasted_ghost,
        counters.rec_bought,
        counters.rec_boost_bids,
        counters.month_connects_spent,
        prices.price_usd_by_region,
        prices.bundle_sizes,
        out.proposal_slot,
        out.proposal_agent,
        out.proposal_connects,
        out.proposal_paid_connects,
        out.outbid_agent,
        out.outbid_free,
        out.outbid_paid,
        out.outbid_recorded,
        out.free_used,
        out.paid_used,
        out.bought,
        out.cost_usd,
        out.proposals,
        p,
    )
    return n_proposals, n_outbid


@numba.njit(cache=True, inline="always")
def cap_applies(post_key: np.uint64, share: float) -> bool:
    """Whether the applicant cap applies to a post: to every post at ``share`` 1, else
    to a post drawn with probability ``share`` from its key (a post-level random
    assignment, as in Horton & Vasserman's field experiment)."""
    return share >= 1.0 or pair_uniform_one(post_key ^ _CAP_SALT, _CAP_SALT) < share


def capped_posts(post_keys: U64, share: float) -> BoolArray:
    """:func:`cap_applies` for an array of post keys."""
    if share >= 1.0:
        return np.ones(post_keys.size, dtype=np.bool_)
    salt = np.full(post_keys.size, _CAP_SALT, dtype=np.uint64)
    return pair_uniform(post_keys ^ _CAP_SALT, salt) < share


@numba.njit(cache=True)
def _choice_threshold(
    oldest: int,
    newest: int,
    c: int,
    feed: IntArray,
    feed_capacity: int,
    board_capacity: int,
    post_seq: IntArray,
    post_open: BoolArray,
    post_key: U64,
    agent_key: np.uint64,
    applications: int,
) -> float:
    """The a-th smallest salted hash of a freelancer's open posts in its feed window
    (infinite when fewer than a are open: it applies to all of them)."""
    hashes = np.empty(max(newest - oldest, 0))
    m = 0
    for pos in range(oldest, newest):
        seq = feed[c * feed_capacity + (pos & (feed_capacity - 1))]
        if seq < 0:
            continue
        slot = seq & (board_capacity - 1)
        if post_seq[slot] != seq or not post_open[slot]:
            continue
        hashes[m] = pair_uniform_one(post_key[slot] ^ _CHOICE_SALT, agent_key)
        m += 1
    if m <= applications:
        return np.inf
    return float(np.sort(hashes[:m])[applications - 1])


@numba.njit(cache=True)
def least_relevant_column(
    slot: int,
    k_max: int,
    relevance: float,
    reviewed_agent: npt.NDArray[np.int32],
    reviewed_score: FloatArray,
    post_key: U64,
    agent_key: U64,
    noise_sd: float,
) -> int:
    """The column of a full list whose proposal is less relevant than ``relevance`` and
    the least relevant of all (-1: none is). Relevance is the score less the client's
    own taste, recomputed from the keys rather than stored."""
    worst = -1
    worst_relevance = relevance
    for k in range(k_max):
        a = reviewed_agent[slot, k]
        held = reviewed_score[slot, k] - noise_sd * pair_normal_one(post_key[slot], agent_key[a])
        if held < worst_relevance:
            worst = k
            worst_relevance = held
    return worst


@numba.njit(cache=True)
def choose_hires(
    due: IntArray,
    post_day: FloatArray,
    ghost: BoolArray,
    reviewed_agent: npt.NDArray[np.int32],
    reviewed_score: FloatArray,
    active_contracts: IntArray,
    in_market: BoolArray,
    capacity: int,
    reservation_score: float,
    recall: bool,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Clients of the posts closing now review their first K proposals and hire.

    Returns, for each of the ``due`` slots, the freelancer hired (-1: none),
    the column of the hired proposal in the review list (-1: none), the
    proposals reviewed, and how many of those came from freelancers already at
    capacity.

    Posts decide in the order they were posted (posts of the same moment in
    the order of ``due``); each hires its best-scoring proposal above the
    reservation score from a freelancer still in the market with room for
    another contract, and takes that room at once (so a freelancer chosen by
    several clients is hired by the earliest posts only).
    Without ``recall`` a post makes its one offer to its best proposal whatever
    that freelancer's room, and hires nobody if the room is gone. Ghost posts
    review nothing and hire nobody. ``active_contracts`` is updated in place.
    """
    n = due.size
    out_hired_agent = np.full(n, -1, dtype=np.int64)
    out_hired_column = np.full(n, -1, dtype=np.int64)
    out_reviewed = np.zeros(n, dtype=np.int64)
    out_busy = np.zeros(n, dtype=np.int64)
    # mergesort: stable, so the same order as NumPy's argsort(kind="stable")
    posting_order = np.argsort(post_day[due], kind="mergesort")
    k_max = reviewed_agent.shape[1]
    for idx in posting_order:
        slot = due[idx]
        if ghost[slot]:
            continue
        best = -1
        best_score = -np.inf
        reviewed = 0
        busy = 0
        for k in range(k_max):
            a = reviewed_agent[slot, k]
            if a < 0:
                break
            reviewed += 1
            score = reviewed_score[slot, k]
            at_capacity, better = weigh_proposal(
                a,
                score,
                best_score,
                reservation_score,
                recall,
                active_contracts,
                capacity,
                in_market,
            )
            busy += at_capacity
            if better:
                best = k
                best_score = score
        out_reviewed[idx] = reviewed
        out_busy[idx] = busy
        if best >= 0:
            a = reviewed_agent[slot, best]
            if commit_hire(a, recall, active_contracts, capacity, in_market):
                out_hired_agent[idx] = a
                out_hired_column[idx] = best
    return out_hired_agent, out_hired_column, out_reviewed, out_busy
