"""Adding values at rows that may repeat, compiled.

``np.add.at`` is NumPy's unbuffered scatter-add, and one of its slowest
calls: the engine makes several per wave (refunds of outbid boosts, their
counters), each on a few hundred rows, where the call's overhead is the
cost. :func:`add_at` adds in the same order, element by element, so integer
and floating-point totals come out exactly as ``np.add.at`` makes them.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import numpy.typing as npt


@numba.njit(cache=True)
def _add_at(
    target: npt.NDArray[Any], rows: npt.NDArray[np.int64], values: npt.NDArray[Any]
) -> None:
    for i in range(rows.size):
        target[rows[i]] += values[i]


def add_at(target: npt.NDArray[Any], rows: npt.ArrayLike, values: npt.ArrayLike) -> None:
    """``target[rows] += values`` with repeated rows accumulated, like ``np.add.at``.

    ``values`` is a scalar or one value per row; it is cast to ``target``'s dtype
    first (as ``np.add.at`` casts), and ``target`` may be a strided view.
    """
    index = np.asarray(rows, dtype=np.int64)
    if index.size == 0:
        return
    amounts = np.broadcast_to(np.asarray(values).astype(target.dtype, copy=False), index.shape)
    _add_at(target, index, np.ascontiguousarray(amounts))
