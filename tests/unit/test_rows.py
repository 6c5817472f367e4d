"""Each freelancer's browsing state is one record shared by the population, the
ledger and the recorder (simulator/engine/rows.py)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.config.scenario import Scenario
from simulator.engine.ledger import ConnectsLedger
from simulator.engine.market import Market
from simulator.engine.rows import BROWSE_DTYPE, CACHE_LINE_BYTES, LINE_LEADERS, BrowseRows


def test_a_record_is_three_aligned_cache_lines_in_field_order() -> None:
    rows = BrowseRows(1000)
    assert BROWSE_DTYPE.itemsize == 3 * CACHE_LINE_BYTES
    assert rows.records.ctypes.data % CACHE_LINE_BYTES == 0
    offsets = [BROWSE_DTYPE.fields[name][1] for name in BROWSE_DTYPE.names]
    assert offsets == sorted(offsets) == [8 * i for i in range(len(offsets))]
    # the fields the browsing kernel prefetches a record by (bidding._browse_wave_flat)
    assert LINE_LEADERS == ("category", "region", "spent")


def test_growing_keeps_values_stays_aligned_and_is_counted() -> None:
    rows = BrowseRows(10)
    rows.column("skill")[:] = np.arange(10) / 10
    rows.column("key")[3] = np.uint64(2**63 + 5)
    rows.ensure(8)  # room already: nothing changes
    assert rows.generation == 0 and len(rows) == 10
    rows.ensure(11)
    assert rows.generation == 1 and len(rows) == 20  # at least doubled
    assert rows.records.ctypes.data % CACHE_LINE_BYTES == 0
    np.testing.assert_array_equal(rows.column("skill")[:10], np.arange(10) / 10)
    assert rows.column("skill")[10:].tolist() == [0.0] * 10
    assert rows.column("key")[3] == np.uint64(2**63 + 5)


def test_owners_share_one_set_of_records(small_scenario: Scenario) -> None:
    market = Market(small_scenario, "paid", replication=0)
    pop, ledger, recorder = market.pop, market.ledger, market.metrics
    assert ledger.rows is pop.rows and recorder.rows is pop.rows
    ledger.free_balance[2] = 41
    recorder.rec_bought[2] = 7
    record = pop.rows.records[2]
    assert (record["free_balance"], record["rec_bought"]) == (41, 7)
    assert pop.skill[2] == record["skill"]
    # a column is a view of its field, in the types of the arrays it replaced
    assert pop.skill.base is not None and pop.skill.dtype == np.float64
    assert pop.key.dtype == np.uint64 and ledger.spent.dtype == np.int64


def test_growing_the_population_refreshes_every_view(small_scenario: Scenario) -> None:
    market = Market(small_scenario, "paid", replication=0)
    pop = market.pop
    before = pop.columns()
    skills = pop.skill[: pop.size].copy()
    room = len(pop.rows)
    pop.add(np.random.default_rng(3), room, 0.0, 0.5)
    assert pop.rows.generation == 1
    after = pop.columns()
    assert after is not before and after.skill.size >= pop.size
    np.testing.assert_array_equal(after.skill[: skills.size], skills)
    market.ledger.ensure(pop.size)
    market.ledger.free_balance[pop.size - 1] = 3
    assert pop.rows.records["free_balance"][pop.size - 1] == 3


def test_a_column_is_written_in_place_not_replaced() -> None:
    ledger = ConnectsLedger(4, free_expiry_months=None, paid_expiry_months=None)
    with pytest.raises(AttributeError, match="in place"):
        ledger.free_balance = np.zeros(4, dtype=np.int64)
    ledger.free_balance[:] = 5
    assert ledger.rows.records["free_balance"].tolist() == [5, 5, 5, 5]
