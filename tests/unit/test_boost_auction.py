"""Boosted proposals: the auction's slot rule, the bid, the reading list and the settling."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.config.policy import Boosts, PaidPolicy
from simulator.engine import behaviour as rules
from simulator.engine.boosts import (
    BID,
    FREE,
    PAID,
    POSITION,
    RECORDED,
    boost_value_usd,
    settle_boosts,
    slot_to_take,
    winning_bid,
)
from simulator.engine.jobs import BOOST_FIELDS

K = 5
SLOTS = 3


def board(posts: int = 2, k: int = K) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    agent = np.full((posts, k + SLOTS), -1, dtype=np.int32)
    score = np.zeros((posts, k + SLOTS))
    quality = np.zeros((posts, k + SLOTS), dtype=np.float32)
    boosts = np.zeros((posts, SLOTS, BOOST_FIELDS), dtype=np.int64)
    return agent, score, quality, boosts


def hold(
    agent: np.ndarray,
    score: np.ndarray,
    boosts: np.ndarray,
    post: int,
    slot: int,
    who: int,
    bid: int,
    position: int,
    free: int = 0,
    recorded: int = 1,
    k: int = K,
) -> None:
    agent[post, k + slot] = who
    score[post, k + slot] = 100.0 + who
    boosts[post, slot] = 0
    boosts[post, slot, BID] = bid
    boosts[post, slot, FREE] = free
    boosts[post, slot, PAID] = bid - free
    boosts[post, slot, POSITION] = position
    boosts[post, slot, RECORDED] = recorded


def test_a_free_slot_is_taken_at_the_minimum_bid() -> None:
    agent, score, _, boosts = board()
    hold(agent, score, boosts, 0, 0, who=7, bid=9, position=0)
    slot = slot_to_take(boosts, agent, 0, K)
    assert slot == 1
    assert winning_bid(boosts, agent, 0, K, slot, 2) == 2


def test_full_slots_the_lowest_bid_is_beaten_by_one_connect() -> None:
    agent, score, _, boosts = board()
    hold(agent, score, boosts, 0, 0, who=1, bid=9, position=0)
    hold(agent, score, boosts, 0, 1, who=2, bid=4, position=1)
    hold(agent, score, boosts, 0, 2, who=3, bid=6, position=2)
    slot = slot_to_take(boosts, agent, 0, K)
    assert slot == 1
    assert winning_bid(boosts, agent, 0, K, slot, 1) == 5


def test_among_equal_lowest_bids_the_latest_loses_its_slot() -> None:
    agent, score, _, boosts = board()
    hold(agent, score, boosts, 0, 0, who=1, bid=3, position=8)
    hold(agent, score, boosts, 0, 1, who=2, bid=3, position=2)
    hold(agent, score, boosts, 0, 2, who=3, bid=5, position=1)
    assert slot_to_take(boosts, agent, 0, K) == 0


def test_reading_list_is_slot_holders_by_bid_then_arrival_order_without_repeats() -> None:
    agent, score, quality, boosts = board()
    # arrival order 10, 11, 12, 13, 14 (K = 5 reviewed without boosts)
    for column, who in enumerate(range(10, 15)):
        agent[0, column] = who
        score[0, column] = float(who)
        quality[0, column] = who / 100.0
    hold(agent, score, boosts, 0, 0, who=12, bid=2, position=2)  # also in the first K
    hold(agent, score, boosts, 0, 2, who=30, bid=7, position=30)  # arrived late
    boosted, _, who, bid, free, paid, charged, recorded = settle_boosts(
        np.array([0]), np.zeros(2, dtype=np.bool_), agent, score, quality, boosts, K
    )
    assert boosted.tolist() == [2]
    assert agent[0, :K].tolist() == [30, 12, 10, 11, 13]
    assert score[0, :K].tolist() == [130.0, 112.0, 10.0, 11.0, 13.0]
    assert quality[0, 4] == pytest.approx(0.13)
    assert (agent[0, K:] == -1).all(), "slot columns are emptied once settled"
    assert who.tolist() == [30, 12] and bid.tolist() == [7, 2]
    assert charged.all() and recorded.all()
    assert (free + paid).tolist() == [7, 2]


def test_boosts_on_a_ghost_post_are_refunded_and_nothing_is_read() -> None:
    agent, score, quality, boosts = board()
    agent[1, 0] = 4
    hold(agent, score, boosts, 1, 1, who=5, bid=3, position=1, free=1, recorded=0)
    ghost = np.array([False, True])
    boosted, _, who, bid, free, paid, charged, recorded = settle_boosts(
        np.array([1]), ghost, agent, score, quality, boosts, K
    )
    assert boosted.tolist() == [0]
    assert who.tolist() == [5] and bid.tolist() == [3]
    assert free.tolist() == [1] and paid.tolist() == [2]
    assert not charged.any() and not recorded.any()
    assert (agent[1, K:] == -1).all()


def test_a_post_without_boosts_keeps_its_list() -> None:
    agent, score, quality, boosts = board()
    agent[0, :3] = [1, 2, 3]
    before = agent.copy()
    boosted, _, who, *_ = settle_boosts(
        np.array([0]), np.zeros(2, dtype=np.bool_), agent, score, quality, boosts, K
    )
    assert boosted.tolist() == [0] and who.size == 0
    np.testing.assert_array_equal(agent, before)


def test_review_chance_is_certain_early_and_none_on_crowded_posts() -> None:
    # 16 unboosted proposals read: the "less than 5" to "10 to 15" buckets are sure
    # to be read, one in five of "15 to 20" (15 of 15-19), none from 20 on
    proposals = np.array([0, 7, 12, 15, 19, 20, 35, 60])
    chance = rules.review_chance_unboosted(proposals, 16.0)
    np.testing.assert_allclose(chance, [1, 1, 1, 0.2, 0.2, 0, 0, 0])


def test_a_boost_is_worth_the_unread_chance_times_the_win() -> None:
    value = boost_value_usd(np.array([3, 17, 40]), 20, 4, np.array([0.1, 0.1, 0.1]), 50.0)
    np.testing.assert_allclose(value, [0.0, 0.8 * 5.0, 5.0])


def test_boosts_rule_is_off_by_default_and_checks_its_bids() -> None:
    compiled = PaidPolicy().compile(np.ones(1), ["r"])
    assert compiled.boost_slots == 0
    on = PaidPolicy(boosts=Boosts(enabled=True, slots=4)).compile(np.ones(1), ["r"])
    assert (on.boost_slots, on.boost_min_bid, on.boost_max_bid) == (4, 1, 50)
    with pytest.raises(ValueError, match="max_bid_connects"):
        Boosts(min_bid_connects=5, max_bid_connects=2)


def test_slot_holders_beyond_the_reading_list_are_unread_and_refunded() -> None:
    agent, score, quality, boosts = board(k=2)
    hold(agent, score, boosts, 0, 0, who=1, bid=5, position=0, k=2)
    hold(agent, score, boosts, 0, 1, who=2, bid=9, position=1, k=2)
    hold(agent, score, boosts, 0, 2, who=3, bid=2, position=2, k=2)
    boosted, _, who, bid, _, _, charged, _ = settle_boosts(
        np.array([0]), np.zeros(2, dtype=np.bool_), agent, score, quality, boosts, 2
    )
    assert boosted.tolist() == [2]
    assert agent[0, :2].tolist() == [2, 1]
    assert who.tolist() == [2, 1, 3] and bid.tolist() == [9, 5, 2]
    assert charged.tolist() == [True, True, False]
