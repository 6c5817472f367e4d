"""Each freelancer's browsing state as one record: what a wave touches, kept together.

The browsing kernel (:mod:`simulator.engine.bidding`) handles freelancers in
the order of their session times, that is at random rows. Kept as separate
arrays, the two dozen per-freelancer values it reads and writes (traits, the
month's money, Connects balances, recorded counters) sit in two dozen cache
lines per freelancer; at a million freelancers none of them is in cache, and
the kernel spends most of its time waiting for them. Here they are the fields
of one structured array, a record of three cache lines per freelancer, in the
order the kernel first needs them.

The population, the ledger and the recorder still own their columns by name:
each such column is a :class:`RowColumn`, an attribute that returns the field
of the shared :class:`BrowseRows` (a strided NumPy view, which NumPy code and
compiled kernels index like any array). Values and types are those of the
separate arrays they replace, so results are unchanged.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

import numpy as np
import numpy.typing as npt

ScalarT = TypeVar("ScalarT", bound=np.generic)

CACHE_LINE_BYTES = 64

BROWSE_FIELDS: tuple[tuple[str, type[np.generic]], ...] = (
    # read at every freelancer the kernel visits
    ("category", np.int64),
    ("last_seen_seq", np.int64),
    ("key", np.uint64),
    ("skill", np.float64),
    ("completed_jobs", np.int64),
    ("five_star_reviews", np.int64),
    ("asking_rate_usd_per_hour", np.float64),
    ("reservation_rate_usd_per_hour", np.float64),
    ("region", np.int64),
    ("week_proposals", np.int64),
    ("month_cash_usd", np.float64),
    ("month_spend_usd", np.float64),
    ("free_balance", np.int64),
    ("paid_balance", np.int64),
    # written when it sends a proposal or buys Connects
    ("last_proposal_day", np.float64),
    ("bought", np.int64),
    ("spent", np.int64),
    ("month_connects_spent", np.int64),
    ("rec_proposals", np.int64),
    ("rec_connects_spent", np.int64),
    ("rec_connects_spend_usd", np.float64),
    ("rec_connects_wasted_ghost", np.int64),
    ("rec_bought", np.int64),
    ("rec_boost_bids", np.int64),
)
"""Every field of a freelancer's record, with its type (those of the arrays it
replaces): 24 fields of 8 bytes, three cache lines."""

BROWSE_DTYPE = np.dtype([(name, scalar) for name, scalar in BROWSE_FIELDS])

BROWSE_FIELD_NAMES = frozenset(name for name, _ in BROWSE_FIELDS)

LINE_LEADERS: tuple[str, ...] = tuple(
    name
    for name in BROWSE_DTYPE.names or ()
    if BROWSE_DTYPE.fields is not None and BROWSE_DTYPE.fields[name][1] % CACHE_LINE_BYTES == 0
)
"""The first field of each cache line of a record: the browsing kernel asks for a
freelancer's record to be fetched by these fields alone (a prefetch per line, not
per field)."""


def _aligned_records(capacity: int) -> npt.NDArray[np.void]:
    """Zeroed records starting on a cache-line boundary, so that a record of three
    lines spans three lines, not four."""
    size = capacity * BROWSE_DTYPE.itemsize
    raw = np.zeros(size + CACHE_LINE_BYTES, dtype=np.uint8)
    offset = -raw.ctypes.data % CACHE_LINE_BYTES
    records: npt.NDArray[np.void] = raw[offset : offset + size].view(BROWSE_DTYPE)
    return records


class BrowseRows:
    """The records of every freelancer ever created, shared by the population, the
    ledger and the recorder.

    Parameters
    ----------
    capacity
        Freelancers to make room for; :meth:`ensure` grows the records.
    """

    def __init__(self, capacity: int) -> None:
        self.records = _aligned_records(max(capacity, 1))
        self.generation = 0
        """Counts the times the records were replaced (by growing): a holder of
        views taken earlier takes them again when it changes."""

    def __len__(self) -> int:
        return int(self.records.shape[0])

    def ensure(self, capacity: int) -> None:
        """Make room for at least ``capacity`` freelancers (at least doubling, so that
        growing one row at a time stays linear); values are kept."""
        if capacity <= len(self):
            return
        grown = _aligned_records(max(capacity, 2 * len(self)))
        grown[: len(self)] = self.records
        self.records = grown
        self.generation += 1

    def column(self, name: str) -> npt.NDArray[Any]:
        """One field of every record: a view, written through in place."""
        return self.records[name]


class RowColumn(Generic[ScalarT]):
    """An owner's column that is a field of its ``rows`` (:class:`BrowseRows`).

    Reading it gives the field's current view, so a column read after the
    records grew is the grown one. Assigning the attribute is refused: write
    into the column (``owner.skill[rows] = ...``) instead.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        if name not in BROWSE_FIELD_NAMES:
            raise TypeError(f"{owner.__name__}.{name} is not a field of BROWSE_FIELDS")
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> RowColumn[ScalarT]: ...

    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> npt.NDArray[ScalarT]: ...

    def __get__(
        self, obj: object | None, objtype: type | None = None
    ) -> RowColumn[ScalarT] | npt.NDArray[ScalarT]:
        if obj is None:
            return self
        rows: BrowseRows = obj.rows  # type: ignore[attr-defined]
        column: npt.NDArray[ScalarT] = rows.records[self.name]
        return column

    def __set__(self, obj: object, value: object) -> None:
        raise AttributeError(
            f"{type(obj).__name__}.{self.name} is a field of the shared browsing records: "
            "write into it in place"
        )
