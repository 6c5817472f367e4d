"""Clients who screen: reading proposals one at a time and stopping when one more is
not worth its cost (the ``sequential`` screening rule), compiled with numba.

The client of a closing post reads its list in the order the platform shows it
(boosted proposals first, then by relevance or by arrival), pays
``cost_per_read`` score units per proposal read, and before each read compares
the expected gain of one more with that cost. The gain is the expected
improvement ``E[max(X - b, 0)]`` of a normal score ``X`` over the bar ``b``
(the best hireable score read so far, at least the reservation score), with
the mean and spread of the scores read so far shrunk towards a prior: the
reservation-value rule of sequential search with learning about the pool
(McCall 1970; Weitzman 1979 for a known distribution). A post whose client
stopped with proposals unread and hired nobody was left unfilled because
screening cost more than it promised.

Schema version 1's rule (``first_k``: the first K, whatever they cost) stays in
:func:`simulator.engine.bidding.choose_hires`.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from simulator.engine.kernels import commit_hire, weigh_proposal
from simulator.engine.rng import pair_normal_one

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
U64 = npt.NDArray[np.uint64]

_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@numba.njit(cache=True, inline="always")
def expected_improvement(bar: float, mean: float, sd: float) -> float:
    """``E[max(X - bar, 0)]`` for ``X`` normal with ``mean`` and ``sd`` (> 0).

    ``sd * phi(z) + (mean - bar) * (1 - Phi(z))`` with ``z = (bar - mean) / sd``.
    """
    z = (bar - mean) / sd
    upper_tail = 0.5 * math.erfc(z * _INV_SQRT_2)
    density = _INV_SQRT_2PI * math.exp(-0.5 * z * z)
    return max(sd * density + (mean - bar) * upper_tail, 0.0)


@numba.njit(cache=True)
def reading_order(
    slot: int,
    boosted: int,
    reviewed_agent: npt.NDArray[np.int32],
    reviewed_score: FloatArray,
    post_key: U64,
    agent_key: U64,
    noise_sd: float,
    by_relevance: bool,
    order: IntArray,
) -> int:
    """Fill ``order`` with the columns of a post's list in the order the client reads
    them; return how many there are.

    The first ``boosted`` columns hold boosted proposals (already highest bid
    first); the rest follow by relevance, highest first (the score less the
    client's own taste, which the platform cannot see), or in column order.
    """
    count = 0
    for k in range(reviewed_agent.shape[1]):
        if reviewed_agent[slot, k] >= 0:
            order[count] = k
            count += 1
    if by_relevance and count - boosted > 1:
        relevance = np.empty(count)
        for j in range(boosted, count):
            k = order[j]
            a = reviewed_agent[slot, k]
            relevance[j] = reviewed_score[slot, k] - noise_sd * pair_normal_one(
                post_key[slot], agent_key[a]
            )
        # insertion sort, stable: equal relevance keeps the column order
        for x in range(boosted + 1, count):
            k = order[x]
            r = relevance[x]
            y = x - 1
            while y >= boosted and relevance[y] < r:
                order[y + 1] = order[y]
                relevance[y + 1] = relevance[y]
                y -= 1
            order[y + 1] = k
            relevance[y + 1] = r
    return count


@numba.njit(cache=True)
def screen_and_hire(
    due: IntArray,
    post_day: FloatArray,
    ghost: BoolArray,
    reviewed_agent: npt.NDArray[np.int32],
    reviewed_score: FloatArray,
    boosted: IntArray,
    post_key: U64,
    agent_key: U64,
    active_contracts: IntArray,
    in_market: BoolArray,
    capacity: int,
    reservation_score: float,
    recall: bool,
    by_relevance: bool,
    noise_sd: float,
    max_reads: int,
    cost_per_read: float,
    prior_mean: float,
    prior_sd: float,
    prior_reads: float,
) -> tuple[IntArray, IntArray, IntArray, IntArray, BoolArray]:
    """Clients of the posts closing now read proposals until one more is not worth it,
    then hire.

    Posts decide in the order they were posted, as in
    :func:`simulator.engine.bidding.choose_hires`, and each hire takes the
    freelancer's room at once. ``boosted`` gives, per post of ``due``, how many
    of its first columns hold boosted proposals. The score of every proposal
    left unread is set to ``-inf``, so that nothing after (interviews) counts
    it as read. ``active_contracts`` is updated in place.

    Returns
    -------
    tuple of numpy.ndarray
        Per post of ``due``: the freelancer hired (-1: none), the column of the
        hired proposal (-1: none), the proposals read, how many of those came
        from freelancers at capacity, and whether the client stopped with
        proposals unread because one more was not worth its cost.
    """
    n = due.size
    out_hired_agent = np.full(n, -1, dtype=np.int64)
    out_hired_column = np.full(n, -1, dtype=np.int64)
    out_read = np.zeros(n, dtype=np.int64)
    out_busy = np.zeros(n, dtype=np.int64)
    out_stopped = np.zeros(n, dtype=np.bool_)
    order = np.empty(reviewed_agent.shape[1], dtype=np.int64)
    prior_second = prior_sd * prior_sd + prior_mean * prior_mean
    posting_order = np.argsort(post_day[due], kind="mergesort")
    for idx in posting_order:
        slot = due[idx]
        if ghost[slot]:
            continue
        listed = reading_order(
            slot,
            boosted[idx],
            reviewed_agent,
            reviewed_score,
            post_key,
            agent_key,
            noise_sd,
            by_relevance,
            order,
        )
        best = -1
        best_score = -np.inf
        total = 0.0
        total_sq = 0.0
        read = 0
        busy = 0
        while read < listed and read < max_reads:
            weight = prior_reads + read
            if weight > 0.0:
                mean = (prior_reads * prior_mean + total) / weight
                second = (prior_reads * prior_second + total_sq) / weight
                sd = math.sqrt(max(second - mean * mean, 1e-12))
            else:
                mean = prior_mean
                sd = prior_sd
            bar = max(best_score, reservation_score)
            if expected_improvement(bar, mean, sd) < cost_per_read:
                out_stopped[idx] = True
                break
            k = order[read]
            read += 1
            score = reviewed_score[slot, k]
            total += score
            total_sq += score * score
            at_capacity, better = weigh_proposal(
                reviewed_agent[slot, k],
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
        for j in range(read, listed):
            reviewed_score[slot, order[j]] = -np.inf
        out_read[idx] = read
        out_busy[idx] = busy
        if best >= 0:
            a = reviewed_agent[slot, best]
            if commit_hire(a, recall, active_contracts, capacity, in_market):
                out_hired_agent[idx] = a
                out_hired_column[idx] = best
    return out_hired_agent, out_hired_column, out_read, out_busy, out_stopped
