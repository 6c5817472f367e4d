"""The bounds of a run that the command line checks before any scenario is read.

They live apart from the schema (:mod:`simulator.config.scenario`, which uses
them) so that declaring the ``connectsim`` options, which bound ``--seed`` and
``--replications`` by them, loads neither pydantic nor the scenario models:
``connectsim --help`` stays quick.
"""

from __future__ import annotations

MAX_DAYS = 36_500.0
"""Longest warm-up or horizon, days (a century)."""
MAX_SEED = 2**63 - 1
"""Largest root seed: seeds are stored as signed 64-bit integers (Parquet, manifests)."""
MAX_REPLICATIONS = 10_000
"""Most replications per arm (and point) of one study: beyond it the manifest, which
lists every file with its content hash, grows past what is read and written cheaply."""
