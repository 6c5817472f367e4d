"""Compiled helpers the engine's kernels share.

:func:`add_at` adds values at rows that may repeat. ``np.add.at`` is NumPy's
unbuffered scatter-add, and one of its slowest calls: the engine makes several
per wave (refunds of outbid boosts, their counters), each on a few hundred rows,
where the call's overhead is the cost. :func:`add_at` adds in the same order,
element by element, so integer and floating-point totals come out exactly as
``np.add.at`` makes them.

:func:`prefetch_rows` asks the CPU to load the rows a kernel will read next.

:func:`weigh_proposal` and :func:`commit_hire` are a client's decision on one
proposal read and on the best one at the end; both the first-K reading of
version 1 (:func:`simulator.engine.bidding.choose_hires`) and sequential
screening (:func:`simulator.engine.screening.screen_and_hire`) use them, so the
two rules differ only in which proposals are read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic


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


@intrinsic
def prefetch_rows(typingctx: Any, columns: Any, row: Any) -> tuple[Any, Callable[..., Any]]:
    """Ask the CPU to start loading element ``row`` of each array in the tuple
    ``columns`` (``[row, 0]`` of a 2-d array) into its caches.

    LLVM's prefetch hint: a load that nothing waits for and that changes no
    value. The browsing kernel takes freelancers in session order, that is at
    random rows of some twenty-five arrays, and would otherwise wait for a
    cache miss in them at every freelancer.
    """

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i32 = cgutils.int32_t
        hint = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32]),
            "llvm.prefetch.p0i8",
        )
        for k, array_type in enumerate(columns):
            array = context.make_array(array_type)(
                context, builder, builder.extract_value(args[0], k)
            )
            index = [args[1]] + [ir.Constant(args[1].type, 0)] * (array_type.ndim - 1)
            pointer = cgutils.get_item_pointer(context, builder, array_type, array, index)
            # read access (0), keep in all cache levels (3), data cache (1)
            builder.call(
                hint, [builder.bitcast(pointer, cgutils.voidptr_t), i32(0), i32(3), i32(1)]
            )
        return context.get_dummy_value()

    return types.void(columns, row), codegen


@numba.njit(cache=True, inline="always")
def weigh_proposal(
    freelancer: int,
    score: float,
    best_score: float,
    reservation_score: float,
    recall: bool,
    active_contracts: npt.NDArray[np.int64],
    capacity: int,
    in_market: npt.NDArray[np.bool_],
) -> tuple[bool, bool]:
    """One proposal read: is its freelancer at capacity, and is it the best so far?

    A proposal beats the best so far when it scores at least the client's
    reservation score and more than the best. With ``recall`` the client sees who
    is available as it reads, so a busy or departed freelancer's proposal never
    becomes the best.
    """
    busy = active_contracts[freelancer] >= capacity
    if recall and (busy or not in_market[freelancer]):
        return busy, False
    return busy, score >= reservation_score and score > best_score


@numba.njit(cache=True, inline="always")
def commit_hire(
    freelancer: int,
    recall: bool,
    active_contracts: npt.NDArray[np.int64],
    capacity: int,
    in_market: npt.NDArray[np.bool_],
) -> bool:
    """Hire the best proposal's ``freelancer``, if the offer can be taken.

    Without ``recall`` the client learns only now that the freelancer is at
    capacity or has left; the post then goes unfilled this round. A hire takes
    one of the freelancer's contract slots.
    """
    if not recall and (active_contracts[freelancer] >= capacity or not in_market[freelancer]):
        return False
    active_contracts[freelancer] += 1
    return True
