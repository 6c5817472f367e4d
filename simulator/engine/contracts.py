"""Contracts in progress: freelancer, end day, value and review key, as columns.

Contracts are appended when clients hire and removed, by one compiled pass
over the book, at the wave boundary where they end; nothing is allocated per
contract.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
import numpy.typing as npt

from simulator.engine import behaviour as rules
from simulator.engine.columns import BoardColumns, FreelancerColumns, RecordedCounters
from simulator.engine.rng import pair_uniform_one

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]

_REVIEW_SALT = np.uint64(0x5EED_0F_2E71E7)
"""Salts a post's key for the review of its contract."""


class ContractTerms(NamedTuple):
    """The contract rules the compiled steps read (from the world's contracts)."""

    service_fee_share: float
    five_star_base: float
    five_star_per_skill: float
    hours_per_day: float


class ContractBook:
    """Contracts in progress, as columns with room to grow (appended at hire,
    removed by a compiled pass when they end)."""

    def __init__(self, capacity: int = 1024) -> None:
        self.size = 0
        self._agent = np.zeros(capacity, dtype=np.int64)
        self._end_day = np.zeros(capacity)
        self._value_usd = np.zeros(capacity)
        self._key = np.zeros(capacity, dtype=np.uint64)

    @property
    def agent(self) -> IntArray:
        """The freelancer of each contract in progress."""
        return self._agent[: self.size]

    def add(self, agent: IntArray, end_day: FloatArray, value_usd: FloatArray, key: U64) -> None:
        """Start contracts."""
        n = agent.size
        if self.size + n > self._agent.size:
            grow = max(self.size + n, 2 * self._agent.size)
            for name in ("_agent", "_end_day", "_value_usd", "_key"):
                old = getattr(self, name)
                new = np.zeros(grow, dtype=old.dtype)
                new[: self.size] = old[: self.size]
                setattr(self, name, new)
        s = slice(self.size, self.size + n)
        self._agent[s], self._end_day[s], self._value_usd[s], self._key[s] = (
            agent,
            end_day,
            value_usd,
            key,
        )
        self.size += n

    def pop_due(self, day: float) -> tuple[IntArray, FloatArray, U64]:
        """Remove and return the contracts that end by ``day``: freelancer, value, key."""
        out_agent = np.empty(self.size, dtype=np.int64)
        out_value = np.empty(self.size)
        out_key = np.empty(self.size, dtype=np.uint64)
        n_done, self.size = _split_due(
            day + 1e-9,
            self.size,
            self._agent,
            self._end_day,
            self._value_usd,
            self._key,
            out_agent,
            out_value,
            out_key,
        )
        return out_agent[:n_done], out_value[:n_done], out_key[:n_done]


@numba.njit(cache=True)
def _split_due(
    day: float,
    size: int,
    agent: IntArray,
    end_day: FloatArray,
    value_usd: FloatArray,
    key: U64,
    out_agent: IntArray,
    out_value: FloatArray,
    out_key: U64,
) -> tuple[int, int]:
    done = 0
    kept = 0
    for i in range(size):
        if end_day[i] <= day:
            out_agent[done] = agent[i]
            out_value[done] = value_usd[i]
            out_key[done] = key[i]
            done += 1
        else:
            agent[kept] = agent[i]
            end_day[kept] = end_day[i]
            value_usd[kept] = value_usd[i]
            key[kept] = key[i]
            kept += 1
    return done, kept


# The engine's steps of starting and ending contracts, compiled: each replaces a
# dozen NumPy calls on a few hundred contracts, where the calls' overhead, not
# their work, was the cost. Each computes exactly what those calls did, element by
# element in the same order (np.add.at adds in index order too).


@numba.njit(cache=True)
def start_contracts(
    due: IntArray,
    hired_agent: IntArray,
    day: float,
    board: BoardColumns,
    pop: FreelancerColumns,
    terms: ContractTerms,
    round_days: float,
    wave_days: float,
) -> tuple[IntArray, FloatArray, FloatArray, U64, FloatArray]:
    """Contracts for the posts in ``due`` that hired (``hired_agent`` >= 0).

    Returns the freelancers, end days, values, review keys and days in progress
    (to the first wave boundary at or after the end) of the new contracts, and
    sets a first hire's day. ``round_days`` > 0: every contract lasts that long.
    """
    first_hire_day = pop.first_hire_day
    n = 0
    for i in range(due.size):
        n += hired_agent[i] >= 0
    agents = np.empty(n, dtype=np.int64)
    end_day = np.empty(n)
    value = np.empty(n)
    key = np.empty(n, dtype=np.uint64)
    in_progress = np.empty(n)
    j = 0
    for i in range(due.size):
        a = hired_agent[i]
        if a < 0:
            continue
        slot = due[i]
        h = board.hours[slot]
        length = round_days if round_days > 0.0 else h / terms.hours_per_day
        agents[j] = a
        end_day[j] = day + length
        value[j] = rules.quote_usd(board.budget_usd[slot], h, pop.asking_rate_usd_per_hour[a])
        key[j] = board.key[slot] ^ _REVIEW_SALT
        in_progress[j] = np.ceil(length / wave_days - 1e-9) * wave_days
        if np.isinf(first_hire_day[a]):
            first_hire_day[a] = day
        j += 1
    return agents, end_day, value, key, in_progress


@numba.njit(cache=True)
def complete_contracts(
    agent: IntArray,
    value: FloatArray,
    key: U64,
    terms: ContractTerms,
    pop: FreelancerColumns,
    counters: RecordedCounters,
) -> tuple[FloatArray, BoolArray]:
    """Settle ended contracts: counts, reviews and pay of their freelancers (their
    recorded earnings too while ``counters.recording``).

    Returns the service fee of each contract and whether it earned a five-star
    review (a hash of the contract's and the freelancer's keys).
    """
    n = agent.size
    fee = np.empty(n)
    five_star = np.empty(n, dtype=np.bool_)
    for i in range(n):
        a = agent[i]
        pay = value[i] * (1.0 - terms.service_fee_share)
        fee[i] = value[i] - pay
        pop.active_contracts[a] -= 1
        pop.completed_jobs[a] += 1
        p = min(max(terms.five_star_base + terms.five_star_per_skill * pop.skill[a], 0.0), 1.0)
        star = pair_uniform_one(key[i], pop.key[a]) < p
        five_star[i] = star
        pop.five_star_reviews[a] += star
        pop.month_earnings_usd[a] += pay
        if counters.recording:
            counters.rec_earnings_usd[a] += pay
    return fee, five_star
