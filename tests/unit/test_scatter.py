"""add_at: the compiled scatter-add matches np.add.at exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.engine.kernels import add_at


@settings(deadline=None)  # the first example compiles add_at for its types
@given(
    rows=st.lists(st.integers(0, 9), max_size=40),
    seed=st.integers(0, 2**32 - 1),
)
def test_repeated_rows_accumulate_as_numpy_does(rows: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    index = np.array(rows, dtype=np.int64)
    ints = rng.integers(-50, 50, size=index.size)
    floats = rng.normal(size=index.size) * 10.0 ** rng.integers(-8, 8, size=index.size)
    for start, values in ((np.zeros(10, np.int64), ints), (rng.normal(size=10), floats)):
        expected, got = start.copy(), start.copy()
        np.add.at(expected, index, values)
        add_at(got, index, values)
        np.testing.assert_array_equal(got, expected)  # bit for bit, in index order


def test_scalar_values_and_strided_views() -> None:
    lots = np.zeros((4, 3), dtype=np.int64)
    add_at(lots[:, 1], np.array([0, 2, 2]), 5)
    np.testing.assert_array_equal(lots[:, 1], [5, 0, 10, 0])
    assert lots[:, [0, 2]].sum() == 0
    flags = np.array([1, 0, 1])
    counts = np.zeros(3, dtype=np.int64)
    add_at(counts, np.array([2, 2, 1]), flags)
    np.testing.assert_array_equal(counts, [0, 1, 1])
    add_at(counts, np.array([], dtype=np.int64), 7)
    np.testing.assert_array_equal(counts, [0, 1, 1])
