"""Unit tests of simulator.engine.jobs: the job board ring, its feeds and the proposal log."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.config.scenario import TIERS, JobStream, Tier, World
from simulator.engine.jobs import JobBoard, ProposalLog, _next_pow2

WAVE = 0.125
CATEGORIES = 3


def tiers(entry: float, intermediate: float, expert: float) -> dict[str, Tier]:
    return {
        "entry": Tier(share=entry, budget_median_usd=100.0, client_rate_usd_per_hour=10.0),
        "intermediate": Tier(
            share=intermediate, budget_median_usd=400.0, client_rate_usd_per_hour=25.0
        ),
        "expert": Tier(share=expert, budget_median_usd=2000.0, client_rate_usd_per_hour=50.0),
    }


def make_board(max_reviewed: int = 5, wave_days: float = WAVE, **stream: object) -> JobBoard:
    fields: dict[str, object] = {"jobs_per_day": 200.0, "open_days_max": 10.0}
    fields.update(stream)
    return JobBoard(
        JobStream.model_validate(fields),
        categories=CATEGORIES,
        max_reviewed=max_reviewed,
        wave_days=wave_days,
        feed_lookback=32,
    )


def test_next_pow2() -> None:
    assert _next_pow2(1.0) == 16
    assert _next_pow2(16.0) == 16
    assert _next_pow2(17.0) == 32
    assert _next_pow2(1000.0) == 1024
    assert _next_pow2(1025.5) == 2048


def test_board_from_world_defaults() -> None:
    world = World.model_validate(
        {
            "regions": {
                "a": {"share": 1.0, "monthly_income_usd": 100, "typical_rate_usd_per_hour": 10}
            }
        }
    )
    board = JobBoard(
        world.jobs,
        world.population.categories,
        world.clients.max_reviewed,
        WAVE,
        feed_lookback=64,
    )
    # default stream: 150 a day open up to 30 days (plus 2 waves and a day)
    expected_open = 150.0 * (30.0 + 2 * WAVE + 1.0)
    assert board.capacity == _next_pow2(1.2 * expected_open + 8.0 * math.sqrt(expected_open) + 64)
    assert board.capacity >= 1.2 * expected_open
    assert board.reviewed_agent.shape == (board.capacity, world.clients.max_reviewed)
    cats = np.arange(world.population.categories, dtype=np.int64)
    _, live = board.feed_slots(cats, np.zeros_like(cats))
    assert not live.any()  # nothing posted yet
    assert board.feed_capacity >= 2 * 64
    assert not board.open.any()


# ------------------------------------------------------------ posting
def test_post_fills_free_slots_and_sets_fields() -> None:
    board = make_board()
    slots = board.post(np.random.default_rng(1), 10.0, WAVE)
    n = slots.size
    assert n > 0
    assert board.posted == n
    np.testing.assert_array_equal(slots, np.arange(n))
    np.testing.assert_array_equal(board.seq[slots], np.arange(n))
    assert board.open.sum() == n
    assert board.open[slots].all()
    day = board.post_day[slots]
    assert np.all((day >= 10.0) & (day < 10.0 + WAVE))
    assert np.all(np.diff(day) >= 0)  # posting order is time order
    life = board.close_day[slots] - day
    assert np.all((life >= 0) & (life <= 10.0 + 1e-9))
    assert np.all((board.category[slots] >= 0) & (board.category[slots] < CATEGORIES))
    assert np.all(board.budget_usd[slots] > 0)
    assert np.all(board.proposals[slots] == 0)
    assert np.all(board.reviewed_agent[slots] == -1)
    assert len(np.unique(board.key[slots])) == n


def test_post_is_deterministic_for_a_given_generator() -> None:
    a, b = make_board(), make_board()
    for day in (0.0, WAVE, 2 * WAVE):
        sa = a.post(np.random.default_rng(7 + int(day * 8)), day, WAVE)
        sb = b.post(np.random.default_rng(7 + int(day * 8)), day, WAVE)
        np.testing.assert_array_equal(sa, sb)
    for name in ("post_day", "close_day", "budget_usd", "hours", "tier", "category", "key"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.feed, b.feed)


def test_second_post_continues_the_sequence() -> None:
    board = make_board()
    first = board.post(np.random.default_rng(1), 0.0, WAVE)
    second = board.post(np.random.default_rng(2), WAVE, WAVE)
    np.testing.assert_array_equal(second, first.size + np.arange(second.size))
    assert board.posted == first.size + second.size
    assert board.open.sum() == board.posted


def test_hours_are_budget_over_client_rate() -> None:
    board = make_board(tiers=tiers(0.4, 0.3, 0.3))
    slots = board.post(np.random.default_rng(3), 0.0, 1.0)
    rate = np.array([10.0, 25.0, 50.0])[board.tier[slots]]
    np.testing.assert_allclose(board.hours[slots], board.budget_usd[slots] / rate, rtol=1e-12)


@pytest.mark.parametrize(("share", "code"), [((1.0, 0.0, 0.0), 0), ((0.0, 0.0, 1.0), 2)])
def test_single_tier_share(share: tuple[float, float, float], code: int) -> None:
    board = make_board(tiers=tiers(*share))
    slots = board.post(np.random.default_rng(4), 0.0, 1.0)
    assert slots.size > 0
    assert np.all(board.tier[slots] == code)
    assert TIERS[code] in ("entry", "expert")


def test_tier_shares_and_budget_distribution() -> None:
    board = make_board(jobs_per_day=20_000.0, open_days_max=1.0, tiers=tiers(0.5, 0.3, 0.2))
    slots = board.post(np.random.default_rng(5), 0.0, 1.0)
    n = slots.size
    tier = board.tier[slots]
    for code, share in enumerate((0.5, 0.3, 0.2)):
        # binomial standard error
        assert abs(np.mean(tier == code) - share) < 5 * math.sqrt(share * (1 - share) / n)
    # lognormal budgets: log budget ~ Normal(log median, sigma = 0.8 by default)
    for code, median in enumerate((100.0, 400.0, 2000.0)):
        logs = np.log(board.budget_usd[slots][tier == code])
        assert abs(logs.mean() - math.log(median)) < 5 * 0.8 / math.sqrt(logs.size)
        assert abs(logs.std(ddof=1) - 0.8) < 5 * 0.8 / math.sqrt(2 * logs.size)


def test_post_count_and_weekly_season() -> None:
    # days = 1: the season is taken at the middle of the interval
    board = make_board(jobs_per_day=100.0, weekly_amplitude=0.5, wave_days=1.0)
    rng = np.random.default_rng(6)
    peak = quiet = 0
    calls = 200
    for _ in range(calls):
        peak += board.post(rng, 6.5, 1.0).size  # cos(2 pi * 7 / 7) = 1
        board.open[:] = False
        quiet += board.post(rng, 3.0, 1.0).size  # cos(2 pi * 3.5 / 7) = -1
        board.open[:] = False
    # Poisson totals: mean 200 * 150 and 200 * 50, standard error sqrt(mean)
    assert abs(peak - calls * 150.0) < 5 * math.sqrt(calls * 150.0)
    assert abs(quiet - calls * 50.0) < 5 * math.sqrt(calls * 50.0)


def test_no_ghosts() -> None:
    board = make_board(ghost_share=0.0, ghost_removed_share=1.0)
    slots = board.post(np.random.default_rng(8), 0.0, 1.0)
    assert not board.ghost[slots].any()
    assert not board.removed[slots].any()


def test_unremoved_ghosts_linger_until_expiry() -> None:
    board = make_board(ghost_share=1.0, ghost_removed_share=0.0, open_days_max=12.0)
    slots = board.post(np.random.default_rng(9), 5.0, 1.0)
    assert board.ghost[slots].all()
    assert not board.removed[slots].any()
    np.testing.assert_allclose(board.close_day[slots] - board.post_day[slots], 12.0)


def test_removed_ghosts_close_at_decision_time() -> None:
    board = make_board(
        jobs_per_day=2000.0,
        ghost_share=1.0,
        ghost_removed_share=1.0,
        open_days_max=40.0,
        decision_days_mean=2.0,
    )
    slots = board.post(np.random.default_rng(10), 0.0, 1.0)
    assert board.removed[slots].all()
    life = board.close_day[slots] - board.post_day[slots]
    # exponential decision times (the cap at 40 days cuts off exp(-20) of them):
    # mean 2, standard error 2 / sqrt(n)
    assert abs(life.mean() - 2.0) < 5 * 2.0 / math.sqrt(slots.size)


def test_decision_time_capped_at_open_days_max() -> None:
    board = make_board(ghost_share=0.0, decision_days_mean=50.0, open_days_max=1.5)
    slots = board.post(np.random.default_rng(11), 0.0, 1.0)
    life = board.close_day[slots] - board.post_day[slots]
    assert np.all(life <= 1.5 + 1e-12)
    # with mean 50, most decisions are cut at the cap (P(E > 1.5) = exp(-0.03) ~ 0.97)
    assert np.mean(np.isclose(life, 1.5)) > 0.9


def test_ghost_shares() -> None:
    board = make_board(jobs_per_day=20_000.0, ghost_share=0.1, ghost_removed_share=0.3)
    slots = board.post(np.random.default_rng(12), 0.0, 1.0)
    n = slots.size
    ghost = board.ghost[slots]
    removed = board.removed[slots]
    assert not (removed & ~ghost).any()  # only ghosts are removed
    assert abs(ghost.mean() - 0.1) < 5 * math.sqrt(0.1 * 0.9 / n)
    g = int(ghost.sum())
    assert abs(removed.sum() / g - 0.3) < 5 * math.sqrt(0.3 * 0.7 / g)


def test_ring_full_raises_and_closing_frees_slots() -> None:
    board = make_board(jobs_per_day=50.0, open_days_max=2.0)
    rng = np.random.default_rng(13)
    with pytest.raises(RuntimeError, match="job board ring is full"):
        for day in range(100):
            board.post(rng, float(day), 1.0)
    # the failed post changed nothing
    assert board.open.sum() == board.posted
    board.open[:] = False
    posted = board.posted
    slots = board.post(rng, 100.0, 1.0)
    np.testing.assert_array_equal(slots, (posted + np.arange(slots.size)) % board.capacity)
    assert posted + slots.size > board.capacity  # the ring has wrapped


# ------------------------------------------------------------ feeds
def _post_waves(board: JobBoard, waves: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for w in range(waves):
        board.post(rng, w * WAVE, WAVE)


def test_feed_lists_each_category_in_posting_order() -> None:
    board = make_board()
    _post_waves(board, 4, 14)
    assert board.feed_count.sum() == board.posted
    seen = []
    for c in range(CATEGORIES):
        count = int(board.feed_count[c])
        assert count == int(np.sum(board.category[: board.posted] == c))
        slots, live = board.feed_slots(np.full(count, c), np.arange(count))
        assert live.all()
        seqs = board.seq[slots]
        assert np.all(board.category[slots] == c)
        assert np.all(np.diff(board.post_day[slots]) >= 0)
        assert np.all(np.diff(seqs) > 0)
        seen.append(seqs)
    # every post is in exactly one feed
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.arange(board.posted))


def test_feed_append_is_a_lexicographic_sort_by_category_and_time() -> None:
    board = make_board()
    rng = np.random.default_rng(16)
    for w in range(6):
        count_before = board.feed_count.copy()
        first_seq = board.posted
        slots = board.post(rng, w * WAVE, WAVE)
        category, times = board.category[slots], board.post_day[slots]
        order = np.lexsort((times, category))
        counts = np.bincount(category, minlength=CATEGORIES)
        np.testing.assert_array_equal(board.feed_count_at_wave, count_before)
        np.testing.assert_array_equal(board.feed_count, count_before + counts)
        np.testing.assert_array_equal(board.wave_category_start, np.cumsum(counts) - counts)
        keys = category[order] * 2.0 + (times[order] - w * WAVE) / WAVE
        assert board.wave_keys.tobytes() == keys.tobytes()
        for c in range(CATEGORIES):
            position = count_before[c] + np.arange(counts[c])
            seqs = board.feed[c * board.feed_capacity + (position & (board.feed_capacity - 1))]
            np.testing.assert_array_equal(seqs, first_seq + order[category[order] == c])


def test_tier_draw_is_generator_choice() -> None:
    # JobBoard.post draws tiers as Generator.choice(p=...) does, without its checks
    board = make_board(tiers=tiers(0.5, 0.3, 0.2))
    a, b = np.random.default_rng(17), np.random.default_rng(17)
    want = a.choice(len(TIERS), size=10_000, p=board._tier_share)
    got = board._tier_cdf.searchsorted(b.random(10_000), side="right")
    np.testing.assert_array_equal(got, want)
    assert a.random() == b.random()  # and the generator is where choice leaves it


def test_feed_slots_and_liveness() -> None:
    board = make_board()
    _post_waves(board, 2, 15)
    c = 1
    count = int(board.feed_count[c])
    positions = np.arange(count, dtype=np.int64)
    slots, live = board.feed_slots(np.full(count, c), positions)
    assert live.all()
    assert np.all(board.category[slots] == c)
    board.open[slots[0]] = False
    _, live = board.feed_slots(np.full(count, c), positions)
    assert not live[0]
    assert live[1:].all()
    # a feed position never written is not live
    _, live = board.feed_slots(np.array([c]), np.array([board.feed_capacity - 1]))
    assert count < board.feed_capacity - 1
    assert not live[0]


def test_feed_position_counts_posts_before_day() -> None:
    board = make_board()
    rng = np.random.default_rng(16)
    board.post(rng, 0.0, WAVE)
    count_at_wave = board.feed_count.copy()
    start = WAVE
    slots = board.post(rng, start, WAVE)
    probes = [start, start + 0.01, start + 0.5 * WAVE, start + 0.9 * WAVE, start + WAVE]
    for c in range(CATEGORIES):
        mine = slots[board.category[slots] == c]
        for d in probes:
            expected = int(count_at_wave[c]) + int(np.sum(board.post_day[mine] < d))
            got = board.feed_position(np.array([c]), np.array([d]))
            assert int(got[0]) == expected
    # at the wave's start only earlier waves' posts count; at its end, all of them
    cats = np.arange(CATEGORIES)
    np.testing.assert_array_equal(
        board.feed_position(cats, np.full(CATEGORIES, start)), count_at_wave
    )
    np.testing.assert_array_equal(
        board.feed_position(cats, np.full(CATEGORIES, start + WAVE)), board.feed_count
    )


def test_feed_position_at_exact_post_time_excludes_that_post() -> None:
    board = make_board()
    slots = board.post(np.random.default_rng(17), 0.0, WAVE)
    s = slots[slots.size // 2]
    c, d = int(board.category[s]), float(board.post_day[s])
    pos = int(board.feed_position(np.array([c]), np.array([d]))[0])
    # s itself is at feed position pos: the posts before it are the ones visible at d
    at, live = board.feed_slots(np.array([c, c]), np.array([pos, pos - 1]))
    assert live[0]
    assert at[0] == s
    assert pos > 0  # s is in the middle of the wave, so it has predecessors here
    assert live[1]
    assert board.post_day[at[1]] < d


def test_feed_position_is_vectorized() -> None:
    board = make_board()
    board.post(np.random.default_rng(18), 0.0, WAVE)
    cats = np.array([0, 1, 2, 0, 2], dtype=np.int64)
    days = np.array([0.01, 0.05, 0.1, 0.12, 0.0])
    together = board.feed_position(cats, days)
    apart = [int(board.feed_position(cats[i : i + 1], days[i : i + 1])[0]) for i in range(5)]
    assert together.tolist() == apart
    assert int(together[4]) == 0


def test_empty_post_keeps_feed_counts() -> None:
    board = make_board(jobs_per_day=1e-9)
    slots = board.post(np.random.default_rng(19), 0.0, WAVE)
    assert slots.size == 0
    assert board.posted == 0
    cats = np.arange(CATEGORIES)
    assert board.feed_position(cats, np.full(CATEGORIES, WAVE)).tolist() == [0, 0, 0]


# ------------------------------------------------------------ closing
def test_due_returns_open_posts_whose_close_day_has_come() -> None:
    board = make_board()
    slots = board.post(np.random.default_rng(20), 0.0, 1.0)
    day = float(np.median(board.close_day[slots]))
    expected = slots[board.close_day[slots] <= day]
    np.testing.assert_array_equal(board.due(day, close_when_full=False), np.sort(expected))
    # an exact close day counts as due
    s = int(slots[0])
    assert s in board.due(float(board.close_day[s]), close_when_full=False)
    # closed posts are never due
    board.open[expected] = False
    assert board.due(day, close_when_full=False).size == 0
    assert board.due(-1.0, close_when_full=False).size == 0
    everything = board.due(1e9, close_when_full=False)
    np.testing.assert_array_equal(everything, np.sort(slots[board.open[slots]]))


def test_due_when_full() -> None:
    board = make_board(max_reviewed=5, open_days_max=30.0, decision_days_mean=1e6)
    slots = board.post(np.random.default_rng(21), 0.0, 1.0)
    assert board.due(0.0, close_when_full=True).size == 0
    board.proposals[slots[0]] = 5
    board.proposals[slots[1]] = 4
    board.proposals[slots[2]] = 50
    assert board.due(0.0, close_when_full=False).size == 0
    assert board.due(0.0, close_when_full=True).tolist() == sorted([slots[0], slots[2]])
    board.open[slots[0]] = False
    assert board.due(0.0, close_when_full=True).tolist() == [slots[2]]


# ------------------------------------------------------------ proposal log
def test_proposal_log_append_take_and_grow() -> None:
    log = ProposalLog(initial=2)
    log.append(
        np.array([3, 5, 3]),
        np.array([10, 11, 12]),
        np.array([1, 2, 3]),
        np.array([0, 4, 0]),
        recorded=True,
    )
    log.append(np.array([7]), np.array([13]), np.array([0]), np.array([6]), recorded=False)
    assert log.size == 4
    assert log.slot.size >= 4
    closing = np.zeros(8, dtype=np.bool_)
    closing[[3, 7]] = True
    slot, agent, free_n, paid_n, recorded = log.take(closing)
    assert slot.tolist() == [3, 3, 7]
    assert agent.tolist() == [10, 12, 13]
    assert free_n.tolist() == [1, 3, 0]
    assert paid_n.tolist() == [0, 0, 6]
    assert recorded.tolist() == [True, True, False]
    # what is left is the open post's entry
    assert log.size == 1
    assert (log.slot[0], log.agent[0], log.free_connects[0], log.paid_connects[0]) == (5, 11, 2, 4)
    # taking again returns nothing
    slot, *_ = log.take(closing)
    assert slot.size == 0
    assert log.size == 1
