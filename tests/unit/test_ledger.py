"""Unit tests of simulator.engine.ledger: lots, expiry, rollover caps, counters and the log."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.engine.ledger import ConnectsLedger

NO_CAP = np.iinfo(np.int64).max // 4


def ints(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def no_cap(size: int) -> np.ndarray:
    return np.full(size, NO_CAP, dtype=np.int64)


def assert_sound(ledger: ConnectsLedger, size: int) -> None:
    """The counter identity holds and balances agree with the lots."""
    assert ledger.identity_gap(size).tolist() == [0] * size
    np.testing.assert_array_equal(ledger.free_balance[:size], ledger.free_lots[:size].sum(axis=1))
    np.testing.assert_array_equal(ledger.paid_balance[:size], ledger.paid_lots[:size].sum(axis=1))
    assert np.all(ledger.free_lots[:size] >= 0)
    assert np.all(ledger.paid_lots[:size] >= 0)


def test_new_ledger_shapes() -> None:
    led = ConnectsLedger(4, free_expiry_months=3, paid_expiry_months=None)
    assert led.free_lots.shape == (4, 3)
    assert led.paid_lots.shape == (4, 1)
    assert led.free_balance.tolist() == [0, 0, 0, 0]
    assert_sound(led, 4)


def test_grant_goes_to_current_month_lot() -> None:
    led = ConnectsLedger(3, free_expiry_months=4, paid_expiry_months=12)
    led.grant(ints(0, 2), ints(5, 7), month=6, day=180.0)
    # month 6 of a 4-month ring is column 2
    assert led.free_lots[0].tolist() == [0, 0, 5, 0]
    assert led.free_lots[2].tolist() == [0, 0, 7, 0]
    assert led.free_lots[1].tolist() == [0, 0, 0, 0]
    assert led.free_balance.tolist() == [5, 0, 7]
    assert led.paid_balance.tolist() == [0, 0, 0]
    assert led.granted.tolist() == [5, 0, 7]
    assert led.earned.tolist() == [0, 0, 0]
    assert_sound(led, 3)


def test_grant_with_repeated_rows_accumulates() -> None:
    led = ConnectsLedger(2, free_expiry_months=None, paid_expiry_months=None)
    led.grant(ints(1, 1, 1), ints(2, 3, 4), month=0, day=0.0)
    assert led.free_balance.tolist() == [0, 9]
    assert led.granted.tolist() == [0, 9]
    led.earn(ints(0, 0), ints(1, 1), month=0, day=0.0)
    assert led.earned.tolist() == [2, 0]
    assert_sound(led, 2)


def test_earn_and_buy_go_to_their_books() -> None:
    led = ConnectsLedger(2, free_expiry_months=12, paid_expiry_months=12)
    led.earn(ints(0), ints(4), month=1, day=30.0)
    led.buy(ints(0, 1), ints(10, 20), month=1, day=30.0)
    assert led.free_balance.tolist() == [4, 0]
    assert led.paid_balance.tolist() == [10, 20]
    assert led.free_lots[0, 1] == 4
    assert led.paid_lots[:, 1].tolist() == [10, 20]
    assert led.earned.tolist() == [4, 0]
    assert led.bought.tolist() == [10, 20]
    assert_sound(led, 2)


def test_spend_takes_oldest_lots_first() -> None:
    led = ConnectsLedger(1, free_expiry_months=4, paid_expiry_months=4)
    led.grant(ints(0), ints(3), month=1, day=30.0)
    led.grant(ints(0), ints(5), month=2, day=60.0)
    led.grant(ints(0), ints(7), month=3, day=90.0)
    led.spend(ints(0), ints(4), ints(0), month=3, day=95.0)
    # month 1 lot (3) gone, month 2 lot loses 1
    assert led.free_lots[0].tolist() == [0, 0, 4, 7]
    led.spend(ints(0), ints(6), ints(0), month=3, day=96.0)
    assert led.free_lots[0].tolist() == [0, 0, 0, 5]
    assert led.free_balance.tolist() == [5]
    assert led.spent.tolist() == [10]
    assert_sound(led, 1)


def test_spend_oldest_first_across_ring_wrap() -> None:
    # ring of 3: months 4, 5, 6 live in columns 1, 2, 0; month 4 is the oldest
    led = ConnectsLedger(1, free_expiry_months=3, paid_expiry_months=3)
    for month, n in ((4, 2), (5, 3), (6, 4)):
        led.buy(ints(0), ints(n), month=month, day=30.0 * month)
    assert led.paid_lots[0].tolist() == [4, 2, 3]
    led.spend(ints(0), ints(0), ints(4), month=6, day=185.0)
    assert led.paid_lots[0].tolist() == [4, 0, 1]
    assert_sound(led, 1)


def test_spend_takes_free_n_from_free_and_paid_n_from_paid() -> None:
    led = ConnectsLedger(2, free_expiry_months=None, paid_expiry_months=12)
    led.grant(ints(0, 1), ints(10, 10), month=0, day=0.0)
    led.buy(ints(0, 1), ints(20, 20), month=0, day=0.0)
    led.spend(ints(0, 1), ints(3, 0), ints(0, 5), month=0, day=1.0)
    assert led.free_balance.tolist() == [7, 10]
    assert led.paid_balance.tolist() == [20, 15]
    assert led.spent.tolist() == [3, 5]
    assert_sound(led, 2)


def test_spend_only_touches_given_rows() -> None:
    led = ConnectsLedger(3, free_expiry_months=None, paid_expiry_months=None)
    led.grant(ints(0, 1, 2), ints(5, 5, 5), month=0, day=0.0)
    led.spend(ints(2, 0), ints(1, 4), ints(0, 0), month=0, day=0.0)
    assert led.free_balance.tolist() == [1, 5, 4]
    assert led.spent.tolist() == [4, 0, 1]
    assert_sound(led, 3)


@pytest.mark.parametrize(("free_n", "paid_n"), [(6, 0), (0, 11), (6, 11)])
def test_overspending_raises(free_n: int, paid_n: int) -> None:
    led = ConnectsLedger(1, free_expiry_months=None, paid_expiry_months=None)
    led.grant(ints(0), ints(5), month=0, day=0.0)
    led.buy(ints(0), ints(10), month=0, day=0.0)
    with pytest.raises(RuntimeError, match="spend exceeds balance"):
        led.spend(ints(0), ints(free_n), ints(paid_n), month=0, day=0.0)
    # nothing changed
    assert led.free_balance.tolist() == [5]
    assert led.paid_balance.tolist() == [10]
    assert led.spent.tolist() == [0]


def test_free_connects_cannot_pay_for_paid_spend() -> None:
    led = ConnectsLedger(1, free_expiry_months=None, paid_expiry_months=None)
    led.grant(ints(0), ints(50), month=0, day=0.0)
    with pytest.raises(RuntimeError):
        led.spend(ints(0), ints(0), ints(1), month=0, day=0.0)


def test_spend_exact_balance_empties_books() -> None:
    led = ConnectsLedger(1, free_expiry_months=2, paid_expiry_months=2)
    led.grant(ints(0), ints(5), month=0, day=0.0)
    led.grant(ints(0), ints(6), month=1, day=30.0)
    led.buy(ints(0), ints(10), month=1, day=30.0)
    led.spend(ints(0), ints(11), ints(10), month=1, day=31.0)
    assert led.free_lots.tolist() == [[0, 0]]
    assert led.paid_lots.tolist() == [[0, 0]]
    assert_sound(led, 1)


@pytest.mark.parametrize("expiry", [1, 2, 3, 12])
def test_expiry_removes_exactly_the_lot_issued_n_months_earlier(expiry: int) -> None:
    led = ConnectsLedger(1, free_expiry_months=expiry, paid_expiry_months=expiry)
    cap = no_cap(1)
    issued: dict[int, int] = {}
    for month in range(3 * expiry + 2):
        before_free = int(led.free_balance[0])
        before_paid = int(led.paid_balance[0])
        before_expired = int(led.expired[0])
        led.start_month(month, 30.0 * month, cap, 1)
        lost = issued.get(month - expiry, 0)
        assert int(led.free_balance[0]) == before_free - lost
        assert int(led.paid_balance[0]) == before_paid - 2 * lost
        assert int(led.expired[0]) == before_expired + 3 * lost
        # distinct sizes per month so that a wrong lot would be noticed
        n = month + 1
        issued[month] = n
        led.grant(ints(0), ints(n), month, 30.0 * month)
        led.buy(ints(0), ints(2 * n), month, 30.0 * month)
        live = [issued[m] for m in range(max(0, month - expiry + 1), month + 1)]
        assert int(led.free_balance[0]) == sum(live)
        assert int(led.paid_balance[0]) == 2 * sum(live)
        assert_sound(led, 1)


def test_monthly_expiry_loses_whatever_is_left() -> None:
    led = ConnectsLedger(2, free_expiry_months=1, paid_expiry_months=None)
    cap = no_cap(2)
    led.grant(ints(0, 1), ints(60, 60), month=0, day=0.0)
    led.buy(ints(0), ints(10), month=0, day=0.0)
    led.spend(ints(0, 1), ints(60, 15), ints(0, 0), month=0, day=10.0)
    led.start_month(1, 30.0, cap, 2)
    assert led.free_balance.tolist() == [0, 0]
    assert led.expired.tolist() == [0, 45]
    # bought Connects without expiry survive
    assert led.paid_balance.tolist() == [10, 0]
    led.start_month(2, 60.0, cap, 2)
    assert led.paid_balance.tolist() == [10, 0]
    assert_sound(led, 2)


def test_no_expiry_keeps_everything() -> None:
    led = ConnectsLedger(1, free_expiry_months=None, paid_expiry_months=None)
    cap = no_cap(1)
    for month in range(30):
        led.start_month(month, 30.0 * month, cap, 1)
        led.grant(ints(0), ints(1), month, 30.0 * month)
        led.buy(ints(0), ints(2), month, 30.0 * month)
    assert led.free_balance.tolist() == [30]
    assert led.paid_balance.tolist() == [60]
    assert led.expired.tolist() == [0]


def test_start_month_only_touches_first_size_rows() -> None:
    led = ConnectsLedger(3, free_expiry_months=1, paid_expiry_months=1)
    led.grant(ints(0, 1, 2), ints(4, 4, 4), month=0, day=0.0)
    led.start_month(1, 30.0, no_cap(3), 2)
    assert led.free_balance.tolist() == [0, 0, 4]
    assert led.expired.tolist() == [4, 4, 0]


def test_rollover_cap_removes_oldest_free_connects() -> None:
    led = ConnectsLedger(3, free_expiry_months=12, paid_expiry_months=12)
    led.grant(ints(0, 1, 2), ints(70, 70, 70), month=0, day=0.0)
    led.grant(ints(0, 1, 2), ints(70, 70, 30), month=1, day=30.0)
    led.buy(ints(0), ints(500), month=1, day=30.0)
    cap = ints(100, NO_CAP, 100)
    led.start_month(2, 60.0, cap, 3)
    # row 0: 140 free over a cap of 100 -> 40 taken from month 0's lot
    assert led.free_lots[0, :3].tolist() == [30, 70, 0]
    assert led.free_balance.tolist() == [100, 140, 100]
    assert led.expired.tolist() == [40, 0, 0]
    # bought Connects are not capped
    assert led.paid_balance.tolist() == [500, 0, 0]
    assert_sound(led, 3)


def test_rollover_cap_over_several_lots() -> None:
    led = ConnectsLedger(1, free_expiry_months=None, paid_expiry_months=None)
    led.grant(ints(0), ints(70), month=0, day=0.0)
    cap = ints(140)
    for month in range(1, 5):
        led.start_month(month, 30.0 * month, cap, 1)
        led.grant(ints(0), ints(70), month, 30.0 * month)
    # before months 1, 2 the balance is 70, 140 (no loss); months 3, 4 each lose 70
    assert led.free_balance.tolist() == [210]
    assert led.expired.tolist() == [140]
    assert_sound(led, 1)


def test_rollover_cap_zero_clears_free_book() -> None:
    led = ConnectsLedger(2, free_expiry_months=3, paid_expiry_months=3)
    led.grant(ints(0, 1), ints(5, 8), month=0, day=0.0)
    led.grant(ints(0, 1), ints(6, 9), month=1, day=30.0)
    led.start_month(2, 60.0, ints(0, 10), 2)
    assert led.free_balance.tolist() == [0, 10]
    # row 1 loses 7 from its oldest lot (8 -> 1)
    assert led.free_lots[1].tolist() == [1, 9, 0]
    assert led.expired.tolist() == [11, 7]
    assert_sound(led, 2)


def test_expiry_happens_before_rollover_cap() -> None:
    # with 2-month expiry, month 0's lot expires at month 2; the cap then applies to the rest
    led = ConnectsLedger(1, free_expiry_months=2, paid_expiry_months=2)
    led.grant(ints(0), ints(50), month=0, day=0.0)
    led.grant(ints(0), ints(30), month=1, day=30.0)
    led.start_month(2, 60.0, ints(40), 1)
    assert led.free_balance.tolist() == [30]
    assert led.expired.tolist() == [50]


def test_refund_goes_back_to_the_right_book() -> None:
    led = ConnectsLedger(2, free_expiry_months=1, paid_expiry_months=12)
    led.grant(ints(0, 1), ints(10, 10), month=0, day=0.0)
    led.buy(ints(0, 1), ints(10, 10), month=0, day=0.0)
    led.spend(ints(0, 1), ints(4, 0), ints(2, 6), month=0, day=1.0)
    led.refund(ints(0, 1), ints(4, 0), ints(2, 6), month=0, day=2.0)
    assert led.free_balance.tolist() == [10, 10]
    assert led.paid_balance.tolist() == [10, 10]
    assert led.refunded.tolist() == [6, 6]
    assert led.spent.tolist() == [6, 6]
    assert_sound(led, 2)


def test_refund_lands_in_the_current_month_lot() -> None:
    led = ConnectsLedger(1, free_expiry_months=2, paid_expiry_months=2)
    led.grant(ints(0), ints(10), month=0, day=0.0)
    led.buy(ints(0), ints(10), month=0, day=0.0)
    led.spend(ints(0), ints(3), ints(4), month=0, day=1.0)
    led.refund(ints(0), ints(3), ints(4), month=1, day=31.0)
    assert led.free_lots[0].tolist() == [7, 3]
    assert led.paid_lots[0].tolist() == [6, 4]
    # month 0's lots expire at month 2; the refunds, issued in month 1, survive
    led.start_month(2, 60.0, no_cap(1), 1)
    assert led.free_balance.tolist() == [3]
    assert led.paid_balance.tolist() == [4]
    assert led.expired.tolist() == [13]
    assert_sound(led, 1)


def test_refund_repeated_rows_accumulate() -> None:
    led = ConnectsLedger(1, free_expiry_months=None, paid_expiry_months=None)
    led.refund(ints(0, 0, 0), ints(1, 2, 0), ints(0, 3, 4), month=0, day=0.0)
    assert led.free_balance.tolist() == [3]
    assert led.paid_balance.tolist() == [7]
    assert led.refunded.tolist() == [10]
    assert_sound(led, 1)


def test_identity_holds_after_random_operations() -> None:
    rng = np.random.default_rng(12345)
    size = 40
    led = ConnectsLedger(size, free_expiry_months=3, paid_expiry_months=5)
    cap = rng.choice(ints(30, 60, NO_CAP), size=size)
    day = 0.0
    for month in range(14):
        led.start_month(month, day, cap, size)
        assert_sound(led, size)
        for _ in range(6):
            day += 5.0
            rows = rng.integers(0, size, size=25)
            led.grant(rows, rng.integers(0, 20, size=25), month, day)
            led.earn(rows[:10], rng.integers(0, 5, size=10), month, day)
            led.buy(rows[5:15], rng.integers(0, 40, size=10), month, day)
            who = rng.permutation(size)[:20]
            free_n = rng.integers(0, led.free_balance[who] + 1)
            paid_n = rng.integers(0, led.paid_balance[who] + 1)
            led.spend(who, free_n, paid_n, month, day)
            back = who[:5]
            led.refund(back, free_n[:5] // 2, paid_n[:5] // 2, month, day)
            assert_sound(led, size)
    total = led.granted + led.earned + led.bought + led.refunded - led.spent - led.expired
    np.testing.assert_array_equal(total, led.free_balance + led.paid_balance)
    assert led.expired.sum() > 0
    assert led.spent.sum() > 0


def test_identity_gap_detects_tampering() -> None:
    led = ConnectsLedger(2, free_expiry_months=None, paid_expiry_months=None)
    led.grant(ints(0, 1), ints(5, 5), month=0, day=0.0)
    led.paid_lots[1, 0] += 3
    assert led.identity_gap(2).tolist() == [0, 3]


def test_ensure_grows_and_keeps_contents() -> None:
    led = ConnectsLedger(2, free_expiry_months=3, paid_expiry_months=12, keep_log=True)
    led.grant(ints(0, 1), ints(4, 5), month=1, day=30.0)
    led.buy(ints(1), ints(10), month=1, day=30.0)
    led.spend(ints(1), ints(2), ints(3), month=1, day=31.0)
    led.ensure(1)  # no-op
    assert len(led.granted) == 2
    led.ensure(3)
    # grows at least to double
    assert len(led.granted) == 4
    assert led.free_lots.shape == (4, 3)
    assert led.paid_lots.shape == (4, 12)
    for name in ("granted", "bought", "spent", "free_balance", "paid_balance", "expired"):
        assert len(getattr(led, name)) == 4
    assert led.granted.tolist() == [4, 5, 0, 0]
    assert led.spent.tolist() == [0, 5, 0, 0]
    assert led.free_balance.tolist() == [4, 3, 0, 0]
    assert led.paid_balance.tolist() == [0, 7, 0, 0]
    assert led.free_lots[:, 1].tolist() == [4, 3, 0, 0]
    assert led.paid_lots[:, 1].tolist() == [0, 7, 0, 0]
    led.ensure(100)
    assert len(led.granted) == 100
    assert led.free_lots.shape == (100, 3)
    # new rows work
    led.grant(ints(99), ints(8), month=1, day=32.0)
    assert led.free_balance[99] == 8
    assert_sound(led, 100)


def test_log_frame_empty_without_keep_log() -> None:
    led = ConnectsLedger(1, free_expiry_months=None, paid_expiry_months=None)
    led.grant(ints(0), ints(5), month=0, day=0.0)
    frame = led.log_frame()
    assert frame.empty
    assert list(frame.columns) == ["day", "kind", "book", "freelancer", "connects"]


def test_log_frame_records_operations() -> None:
    led = ConnectsLedger(3, free_expiry_months=1, paid_expiry_months=None, keep_log=True)
    led.grant(ints(0, 1), ints(10, 0), month=0, day=1.0)
    led.buy(ints(2), ints(20), month=0, day=2.0)
    led.spend(ints(0, 2), ints(4, 0), ints(0, 6), month=0, day=3.0)
    led.refund(ints(2), ints(0), ints(6), month=0, day=4.0)
    led.earn(ints(1), ints(3), month=0, day=5.0)
    led.start_month(1, 30.0, no_cap(3), 3)
    frame = led.log_frame()
    rows = [tuple(r) for r in frame.itertuples(index=False)]
    # zero amounts are not logged
    assert rows == [
        (1.0, "grant", "free", 0, 10),
        (2.0, "buy", "paid", 2, 20),
        (3.0, "spend", "free", 0, 4),
        (3.0, "spend", "paid", 2, 6),
        (4.0, "refund", "paid", 2, 6),
        (5.0, "earn", "free", 1, 3),
        (30.0, "expire", "free", 0, 6),
        (30.0, "expire", "free", 1, 3),
    ]
    # the log reconstructs the balances
    sign = frame["kind"].map(
        {"grant": 1, "earn": 1, "buy": 1, "refund": 1, "spend": -1, "expire": -1}
    )
    net = (sign * frame["connects"]).groupby(frame["freelancer"]).sum()
    balance = led.free_balance + led.paid_balance
    for row in range(3):
        assert int(net.get(row, 0)) == int(balance[row])


def test_log_frame_records_rollover_cap_as_expiry() -> None:
    led = ConnectsLedger(2, free_expiry_months=None, paid_expiry_months=None, keep_log=True)
    led.grant(ints(0, 1), ints(50, 20), month=0, day=0.0)
    led.start_month(1, 30.0, ints(30, 30), 2)
    frame = led.log_frame()
    expire = frame[frame["kind"] == "expire"]
    assert expire[["freelancer", "connects"]].values.tolist() == [[0, 20]]
    assert expire["book"].tolist() == ["free"]
