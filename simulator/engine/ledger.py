"""The Connects ledger: balances kept as lots by month of issue.

Each freelancer has two books: free Connects (grants, earnings and refunds of
free Connects) and bought ones. Each book is a ring of lots, one column per
month of issue, as many columns as the book's expiry in months; the column a
new month reuses is exactly the lot that expires that month, so expiry is
exact. Connects are spent oldest first, free before bought. A rollover cap
removes the oldest free Connects above the cap.

Per-freelancer counters record every grant, earning, purchase, spend, refund
and expiry, so the identity ``balance = granted + earned + bought + refunded -
spent - expired`` can be checked at any time. With ``keep_log=True`` every
operation is also logged (by batch, not by Python object) for debugging.
"""

from __future__ import annotations

from typing import Literal

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd

from simulator.engine.columns import LedgerColumns
from simulator.engine.kernels import add_at
from simulator.engine.rows import BROWSE_FIELD_NAMES, BrowseRows, RowColumn

IntArray = npt.NDArray[np.int64]

DAYS_PER_MONTH = 30.0
"""Allowance, fee and churn cycles run on 30-day months."""

Book = Literal["free", "paid"]
LogKind = Literal["grant", "earn", "buy", "spend", "refund", "expire"]
_COUNTERS = ("granted", "earned", "bought", "spent", "refunded", "expired")
_OWN_COUNTERS = tuple(name for name in _COUNTERS if name not in BROWSE_FIELD_NAMES)
"""The counters the ledger keeps as arrays of its own: those outside the browsing records."""


@numba.njit(cache=True, inline="always")
def take_oldest_first_one(lots: IntArray, row: int, amount: int, month: int) -> None:
    """Remove ``amount`` from the lots of one row in place, oldest lot first.

    Column ``month % width`` holds the lots issued this month, so the oldest is
    the next column round the ring.
    """
    width = lots.shape[1]
    # one modulo, then a step round the ring: the browsing kernel calls this for
    # every freelancer who bids, and an integer division per column is not free
    col = month % width
    k = 1
    while amount > 0 and k <= width:
        col += 1
        if col == width:
            col = 0
        taken = min(lots[row, col], amount)
        lots[row, col] -= taken
        amount -= taken
        k += 1


@numba.njit(cache=True)
def take_oldest_first(lots: IntArray, rows: IntArray, amounts: IntArray, month: int) -> None:
    """:func:`take_oldest_first_one` for each of ``rows``."""
    for i in range(rows.size):
        take_oldest_first_one(lots, rows[i], amounts[i], month)


@numba.njit(cache=True, inline="always")
def settle_one(ledger: LedgerColumns, row: int, bought: int, free_n: int, paid_n: int) -> bool:
    """One freelancer buys ``bought`` Connects, then spends ``free_n`` free and
    ``paid_n`` bought ones, oldest lots first. False (and nothing done) if that
    would overdraw a book."""
    if free_n > ledger.free_balance[row] or paid_n > ledger.paid_balance[row] + bought:
        return False
    ledger.paid_lots[row, ledger.paid_column] += bought
    ledger.paid_balance[row] += bought - paid_n
    ledger.free_balance[row] -= free_n
    ledger.bought[row] += bought
    ledger.spent[row] += free_n + paid_n
    take_oldest_first_one(ledger.free_lots, row, free_n, ledger.month)
    take_oldest_first_one(ledger.paid_lots, row, paid_n, ledger.month)
    return True


class ConnectsLedger:
    """Connects balances as lots, with counters and an optional log.

    The balances and the bought and spent counters are fields of ``rows`` (the
    population's browsing records in a market, records of the ledger's own when
    ``rows`` is not given); the rest are arrays of the ledger's own.
    """

    free_balance = RowColumn[np.int64]()
    paid_balance = RowColumn[np.int64]()
    bought = RowColumn[np.int64]()
    spent = RowColumn[np.int64]()
    granted: IntArray
    earned: IntArray
    refunded: IntArray
    expired: IntArray

    def __init__(
        self,
        capacity: int,
        free_expiry_months: int | None,
        paid_expiry_months: int | None,
        keep_log: bool = False,
        rows: BrowseRows | None = None,
    ) -> None:
        self._free_expiry = free_expiry_months
        self._paid_expiry = paid_expiry_months
        self.rows = BrowseRows(capacity) if rows is None else rows
        """Where the balances and the bought and spent counters live (the population's
        records in a market; see :mod:`simulator.engine.rows`)."""
        self.rows.ensure(capacity)
        self.free_lots = np.zeros((capacity, free_expiry_months or 1), dtype=np.int64)
        self.paid_lots = np.zeros((capacity, paid_expiry_months or 1), dtype=np.int64)
        for name in _OWN_COUNTERS:
            setattr(self, name, np.zeros(capacity, dtype=np.int64))
        self.keep_log = keep_log
        self._log: list[tuple[float, str, str, IntArray, IntArray]] = []

    # -------------------------------------------------------------- capacity
    def ensure(self, capacity: int) -> None:
        """Grow every array to hold at least ``capacity`` freelancers."""
        if capacity <= len(self.granted):
            return
        new = max(capacity, 2 * len(self.granted))
        for name in _OWN_COUNTERS:
            old = getattr(self, name)
            grown = np.zeros(new, dtype=np.int64)
            grown[: len(old)] = old
            setattr(self, name, grown)
        self.rows.ensure(new)
        for name in ("free_lots", "paid_lots"):
            old = getattr(self, name)
            grown = np.zeros((new, old.shape[1]), dtype=np.int64)
            grown[: len(old)] = old
            setattr(self, name, grown)

    # ------------------------------------------------------------ operations
    def _record(self, day: float, kind: LogKind, book: Book, rows: IntArray, n: IntArray) -> None:
        if self.keep_log:
            mask = n != 0
            self._log.append((day, kind, book, rows[mask].copy(), n[mask].copy()))

    def _column(self, book: Book, month: int) -> int:
        months = self._free_expiry if book == "free" else self._paid_expiry
        return month % months if months else 0

    def _add(
        self, book: Book, rows: IntArray, n: IntArray, month: int, day: float, kind: LogKind
    ) -> None:
        lots = self.free_lots if book == "free" else self.paid_lots
        balance = self.free_balance if book == "free" else self.paid_balance
        col = self._column(book, month)
        # rows may repeat within a batch, so accumulate rather than assign
        add_at(lots[:, col], rows, n)
        add_at(balance, rows, n)
        self._record(day, kind, book, rows, n)

    def grant(self, rows: IntArray, n: IntArray, month: int, day: float) -> None:
        """Free Connects handed out (monthly or one-time grants)."""
        self._add("free", rows, n, month, day, "grant")
        add_at(self.granted, rows, n)

    def earn(self, rows: IntArray, n: IntArray, month: int, day: float) -> None:
        """Free Connects earned for activity."""
        self._add("free", rows, n, month, day, "earn")
        add_at(self.earned, rows, n)

    def buy(self, rows: IntArray, n: IntArray, month: int, day: float) -> None:
        """Connects bought with money."""
        self._add("paid", rows, n, month, day, "buy")
        add_at(self.bought, rows, n)

    def refund(
        self, rows: IntArray, free_n: IntArray, paid_n: IntArray, month: int, day: float
    ) -> None:
        """Connects given back, each to the book it was spent from."""
        self._add("free", rows, free_n, month, day, "refund")
        self._add("paid", rows, paid_n, month, day, "refund")
        add_at(self.refunded, rows, free_n + paid_n)

    def record_settlement(
        self, rows: IntArray, bought: IntArray, free_n: IntArray, paid_n: IntArray, day: float
    ) -> None:
        """Log a wave's purchases and spending (settled in compiled code)."""
        self._record(day, "buy", "paid", rows, bought)
        self._record(day, "spend", "free", rows, free_n)
        self._record(day, "spend", "paid", rows, paid_n)

    def paid_column(self, month: int) -> int:
        """The lot column that Connects bought in ``month`` go to."""
        return self._column("paid", month)

    def columns(self, month: int) -> LedgerColumns:
        """The ledger's arrays for compiled kernels, purchases going to ``month``'s lots
        (built at each call: :meth:`ensure` replaces the arrays)."""
        return LedgerColumns(
            self.free_lots,
            self.paid_lots,
            self.free_balance,
            self.paid_balance,
            self.bought,
            self.spent,
            self.paid_column(month),
            month,
        )

    def spend(
        self, rows: IntArray, free_n: IntArray, paid_n: IntArray, month: int, day: float
    ) -> None:
        """Spend Connects, oldest lots first. ``rows`` must be unique."""
        if np.any(free_n > self.free_balance[rows]) or np.any(paid_n > self.paid_balance[rows]):
            raise RuntimeError("spend exceeds balance: the bidding rule let an agent overdraw")
        self._take("free", rows, free_n, month)
        self._take("paid", rows, paid_n, month)
        self.spent[rows] += free_n + paid_n
        self._record(day, "spend", "free", rows, free_n)
        self._record(day, "spend", "paid", rows, paid_n)

    def _take(self, book: Book, rows: IntArray, n: IntArray, month: int) -> None:
        lots = self.free_lots if book == "free" else self.paid_lots
        balance = self.free_balance if book == "free" else self.paid_balance
        take_oldest_first(lots, rows, n, month)
        balance[rows] -= n

    def start_month(self, month: int, day: float, rollover_cap: IntArray, size: int) -> None:
        """Expire the lots that reach their expiry at the start of ``month``, then
        apply each freelancer's rollover cap to what remains of its free Connects."""
        rows = np.arange(size, dtype=np.int64)
        books: tuple[tuple[Book, int | None], ...] = (
            ("free", self._free_expiry),
            ("paid", self._paid_expiry),
        )
        for book, months in books:
            if not months:
                continue
            lots = self.free_lots if book == "free" else self.paid_lots
            balance = self.free_balance if book == "free" else self.paid_balance
            col = month % months
            lost = lots[:size, col].copy()
            lots[:size, col] = 0
            balance[:size] -= lost
            self.expired[:size] += lost
            self._record(day, "expire", book, rows, lost)
        over = np.maximum(self.free_balance[:size] - rollover_cap[:size], 0)
        if np.any(over):
            hit = np.flatnonzero(over)
            self._take("free", hit, over[hit], month)
            self.expired[hit] += over[hit]
            self._record(day, "expire", "free", hit, over[hit])

    # -------------------------------------------------------------- checking
    def identity_gap(self, size: int) -> IntArray:
        """Balance minus what the counters say it should be (all zeros when sound)."""
        s = slice(0, size)
        expected = (
            self.granted[s]
            + self.earned[s]
            + self.bought[s]
            + self.refunded[s]
            - self.spent[s]
            - self.expired[s]
        )
        lots = self.free_lots[s].sum(axis=1) + self.paid_lots[s].sum(axis=1)
        return np.asarray(lots - expected, dtype=np.int64)

    def log_frame(self) -> pd.DataFrame:
        """Every logged operation as a tidy frame (empty unless ``keep_log``)."""
        if not self._log:
            return pd.DataFrame(columns=["day", "kind", "book", "freelancer", "connects"])
        parts = [
            pd.DataFrame(
                {"day": day, "kind": kind, "book": book, "freelancer": rows, "connects": n}
            )
            for day, kind, book, rows, n in self._log
        ]
        return pd.concat(parts, ignore_index=True)
