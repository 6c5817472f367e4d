"""What the workers of a study or a sweep run: one replication, encoded for its stores.

A module of its own, importing only the engine and the store, so that a worker
process, which imports the module of every task function it is sent, starts
without the statistics (SciPy) and the plans that only the process keeping the
stores needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.config.scenario import Scenario
from simulator.engine.market import run_replication
from simulator.experiments.store import EncodedReplication, encode_replication


def run_encoded(
    scenario: Scenario,
    arm: str,
    replication: int,
    root_seed: int,
    identities: tuple[Mapping[str, Any], ...],
) -> EncodedReplication:
    """One replication (:func:`~simulator.engine.market.run_replication`) as the
    Parquet files of a store bound to each of ``identities``: the worker that ran it
    encodes them, so that the process keeping the stores, which serves every
    worker, only writes bytes."""
    result = run_replication(scenario, arm, replication, root_seed)
    return encode_replication(result, identities)
