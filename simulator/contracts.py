"""Contracts in progress: freelancer, end day, value and review key, as columns.

Contracts are appended when clients hire and removed, by one compiled pass
over the book, at the wave boundary where they end; nothing is allocated per
contract.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


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
