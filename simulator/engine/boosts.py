"""Boosted proposals: a first-price auction for the top slots of a post's proposal list.

A freelancer who sends a proposal may also bid extra Connects for one of the
post's boost slots (Upwork: 4, from 2023). The highest bids hold the slots
and each pays its own bid. A new bid takes a slot while one is free, and
otherwise must beat the lowest bid held, whose holder is then outbid (among
equal lowest bids, the one placed last loses its slot). The client reviews
the proposals holding slots first, then the others in arrival order, up to
its K. A boost is charged only if its proposal still holds a slot when the
client reviews: outbid boosts are refunded at once, and boosts on a post whose
client never reviews (a ghost post) when it closes.

The boost decision is the bidding rule's expected-value reasoning applied to
one more question (see :func:`boost_value_usd`): a boost buys the chance of
being read that the proposal would otherwise lack. Its price is the smallest
bid that takes a slot now. A bid is charged only while it holds its slot, so
the chance of being outbid later scales the benefit and the cost alike and
does not change whether boosting pays, nor which bid is best: the smallest
that wins the slot.

Storage: a post's review arrays (:class:`~simulator.engine.jobs.JobBoard`) hold the
first K proposals in columns ``[0, K)`` and the slot holders in
``[K, K + slots)``; :attr:`~simulator.engine.jobs.JobBoard.boosts` holds each slot's
bid and its split into free and paid Connects (for refunds), the proposal's
place in arrival order (to break ties) and whether it was sent while metrics
were recorded. At closing, :func:`settle_boosts` writes each reviewed list as
the client reads it into columns ``[0, K)``, so that the hiring rule needs no
knowledge of boosts.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from simulator.engine import behaviour as rules

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

BID = 0
"""Field of a boost slot: Connects bid."""
FREE = 1
"""Field of a boost slot: of the bid, free Connects (refunded as free)."""
PAID = 2
"""Field of a boost slot: of the bid, bought Connects (refunded as bought)."""
POSITION = 3
"""Field of a boost slot: the proposal's place in the post's arrival order."""
RECORDED = 4
"""Field of a boost slot: 1 if the bid was placed while metrics were recorded."""


@rules.rule
def boost_value_usd(
    proposals: IntArray,
    max_reviewed: int,
    boost_slots: int,
    win_probability: FloatArray,
    surplus_usd: FloatArray,
) -> FloatArray:
    """What a boost is worth to a freelancer sending a proposal, USD.

    The chance of being read that a slot adds (the client reads the slots
    first, so the proposal is then sure to be read, against the believed
    chance of being among the first ``max_reviewed - boost_slots`` unboosted
    proposals) times what the proposal is believed to win when read.
    """
    unread = 1.0 - rules.review_chance_unboosted(proposals, float(max_reviewed - boost_slots))
    value: FloatArray = unread * win_probability * surplus_usd
    return value


@numba.njit(cache=True, inline="always")
def slot_to_take(
    boosts: IntArray, reviewed_agent: npt.NDArray[np.int32], post: int, max_reviewed: int
) -> int:
    """The boost slot a new bid would take: a free one if any, else the lowest bid's
    (the one placed last among equal lowest bids)."""
    slots = boosts.shape[1]
    lowest = -1
    for s in range(slots):
        if reviewed_agent[post, max_reviewed + s] < 0:
            return s
        if (
            lowest < 0
            or boosts[post, s, BID] < boosts[post, lowest, BID]
            or (
                boosts[post, s, BID] == boosts[post, lowest, BID]
                and boosts[post, s, POSITION] > boosts[post, lowest, POSITION]
            )
        ):
            lowest = s
    return lowest


@numba.njit(cache=True, inline="always")
def winning_bid(
    boosts: IntArray,
    reviewed_agent: npt.NDArray[np.int32],
    post: int,
    max_reviewed: int,
    slot: int,
    min_bid: int,
) -> int:
    """The smallest bid that takes ``slot`` now: the minimum bid if it is free, else
    one Connect more than the bid holding it."""
    if reviewed_agent[post, max_reviewed + slot] < 0:
        return min_bid
    return max(min_bid, int(boosts[post, slot, BID]) + 1)


@numba.njit(cache=True)
def settle_boosts(
    due: IntArray,
    ghost: BoolArray,
    reviewed_agent: npt.NDArray[np.int32],
    reviewed_score: FloatArray,
    reviewed_quality: npt.NDArray[np.float32],
    boosts: IntArray,
    max_reviewed: int,
) -> tuple[IntArray, BoolArray, IntArray, IntArray, IntArray, IntArray, BoolArray, BoolArray]:
    """Settle the boosts of the posts closing now and write what each client reads.

    For each post of ``due`` that is not a ghost, columns ``[0, K)`` become the
    client's reading list: the slot holders, highest bid first, then the
    first-K proposals in arrival order that do not hold a slot, cut at K.
    Every slot column is emptied.

    Returns
    -------
    tuple of numpy.ndarray
        Per post of ``due``, how many of its first columns hold boosted
        proposals, and for each of those columns whether its bid was placed
        while metrics were recorded; then, one entry per boost that ends: the freelancer, the
        bid, its free and its paid Connects, whether it is charged (False:
        refunded, on a ghost post or unread because K is below the number
        of slots) and whether it was placed while metrics were recorded.
    """
    slots = boosts.shape[1]
    n = due.size
    boosted = np.zeros(n, dtype=np.int64)
    boosted_recorded = np.zeros((n, slots), dtype=np.bool_)
    out_agent = np.empty(n * slots, dtype=np.int64)
    out_bid = np.empty(n * slots, dtype=np.int64)
    out_free = np.empty(n * slots, dtype=np.int64)
    out_paid = np.empty(n * slots, dtype=np.int64)
    out_charged = np.empty(n * slots, dtype=np.bool_)
    out_recorded = np.empty(n * slots, dtype=np.bool_)
    m = 0
    holder = np.empty(slots, dtype=np.int64)
    list_agent = np.empty(max_reviewed, dtype=np.int32)
    list_score = np.empty(max_reviewed)
    list_quality = np.empty(max_reviewed, dtype=np.float32)
    for i in range(n):
        post = due[i]
        held = 0
        for s in range(slots):
            if reviewed_agent[post, max_reviewed + s] >= 0:
                holder[held] = s
                held += 1
        if held == 0:
            continue
        # highest bid first; ties in arrival order (an insertion sort of at most a few)
        for x in range(1, held):
            s = holder[x]
            y = x - 1
            while y >= 0 and (
                boosts[post, holder[y], BID] < boosts[post, s, BID]
                or (
                    boosts[post, holder[y], BID] == boosts[post, s, BID]
                    and boosts[post, holder[y], POSITION] > boosts[post, s, POSITION]
                )
            ):
                holder[y + 1] = holder[y]
                y -= 1
            holder[y + 1] = s
        for x in range(held):
            s = holder[x]
            out_agent[m] = reviewed_agent[post, max_reviewed + s]
            out_bid[m] = boosts[post, s, BID]
            out_free[m] = boosts[post, s, FREE]
            out_paid[m] = boosts[post, s, PAID]
            # a client reads at most K: slot holders beyond (K below the slots) go unread
            out_charged[m] = not ghost[post] and x < max_reviewed
            out_recorded[m] = boosts[post, s, RECORDED] > 0
            m += 1
        if not ghost[post]:
            k = 0
            for x in range(min(held, max_reviewed)):
                col = max_reviewed + holder[x]
                list_agent[k] = reviewed_agent[post, col]
                list_score[k] = reviewed_score[post, col]
                list_quality[k] = reviewed_quality[post, col]
                boosted_recorded[i, k] = boosts[post, holder[x], RECORDED] > 0
                k += 1
            boosted[i] = k
            for col in range(max_reviewed):
                if k >= max_reviewed:
                    break
                a = reviewed_agent[post, col]
                if a < 0:
                    break
                duplicate = False
                for x in range(held):
                    if reviewed_agent[post, max_reviewed + holder[x]] == a:
                        duplicate = True
                if duplicate:
                    continue
                list_agent[k] = a
                list_score[k] = reviewed_score[post, col]
                list_quality[k] = reviewed_quality[post, col]
                k += 1
            for col in range(max_reviewed):
                if col < k:
                    reviewed_agent[post, col] = list_agent[col]
                    reviewed_score[post, col] = list_score[col]
                    reviewed_quality[post, col] = list_quality[col]
                else:
                    reviewed_agent[post, col] = -1
        for s in range(slots):
            reviewed_agent[post, max_reviewed + s] = -1
    return (
        boosted,
        boosted_recorded,
        out_agent[:m],
        out_bid[:m],
        out_free[:m],
        out_paid[:m],
        out_charged[:m],
        out_recorded[:m],
    )
