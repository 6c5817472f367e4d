"""A calibration's posterior: weighted parameter draws, as a calibration writes them.

A calibration directory (``connectsim calibrate``) holds ``posterior.parquet``:
one column per calibrated parameter, named by its dotted path (the path of
``--set``), and a ``weight`` column that sums to one, one row per particle of
the last ABC-SMC population. Its schema metadata records the parameters'
prior ranges, so that the file reads on its own. ``run --posterior`` and
``discover --posterior`` read it through :func:`load_posterior`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.errors import ResultsError
from simulator.experiments.designs import Parameter
from simulator.experiments.store import parquet_identity, read_parquet_checked, write_parquet_atomic

__all__ = ["POSTERIOR_FILE", "WEIGHT", "Posterior", "load_posterior", "write_posterior"]

POSTERIOR_FILE = "posterior.parquet"
WEIGHT = "weight"
_KIND = "calibration posterior"


@dataclass(frozen=True)
class Posterior:
    """Weighted draws of the calibrated parameters."""

    parameters: tuple[Parameter, ...]
    """The calibrated parameters with their prior ranges, in the calibration's order."""
    samples: pd.DataFrame
    """One column per parameter path, one row per particle."""
    weights: np.ndarray
    """The particles' normalised importance weights."""
    source: Path | None = None

    @property
    def paths(self) -> list[str]:
        """The parameters' dotted paths."""
        return [p.path for p in self.parameters]

    def mean(self) -> pd.Series:
        """The weighted posterior mean of each parameter."""
        values = self.samples[self.paths].to_numpy(dtype=np.float64)
        return pd.Series(self.weights @ values, index=self.paths)

    def quantiles(self, levels: Sequence[float]) -> pd.DataFrame:
        """Weighted quantiles of each parameter: one row per level, one column per path."""
        table = {}
        for path in self.paths:
            values = self.samples[path].to_numpy(dtype=np.float64)
            order = np.argsort(values, kind="stable")
            cumulative = np.cumsum(self.weights[order])
            cumulative /= cumulative[-1]
            # the value at which the weighted distribution first reaches the level
            picks = np.searchsorted(cumulative, np.asarray(levels, dtype=np.float64))
            table[path] = values[order][np.minimum(picks, len(values) - 1)]
        return pd.DataFrame(table, index=pd.Index(list(levels), name="level"))

    def draws(self, count: int, rng: np.random.Generator) -> pd.DataFrame:
        """``count`` parameter sets resampled by weight (systematic resampling).

        Systematic resampling keeps the draws' spread close to the weighted
        population's with a single uniform from ``rng``; the rows come back in
        the population's order.
        """
        if count < 1:
            raise ValueError(f"count must be at least 1 (got {count})")
        positions = (rng.random() + np.arange(count)) / count
        cumulative = np.cumsum(self.weights)
        cumulative[-1] = 1.0
        picks = np.searchsorted(cumulative, positions, side="right")
        return self.samples[self.paths].iloc[picks].reset_index(drop=True)


def _parameter_record(parameter: Parameter) -> dict[str, Any]:
    return {
        "path": parameter.path,
        "low": parameter.low,
        "high": parameter.high,
        "integer": parameter.integer,
    }


def write_posterior(
    root: Path,
    parameters: Sequence[Parameter],
    samples: pd.DataFrame,
    weights: np.ndarray,
    identity: dict[str, Any] | None = None,
) -> Path:
    """Write ``root/posterior.parquet`` atomically; return its path.

    ``identity`` (the calibration's) is stored beside the parameters' ranges.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if len(weights) != len(samples) or not np.all(weights >= 0) or weights.sum() <= 0:
        raise ValueError("weights must be non-negative, one per sample, and not all zero")
    frame = samples[[p.path for p in parameters]].astype(np.float64).reset_index(drop=True)
    frame[WEIGHT] = weights / weights.sum()
    record = {
        "kind": _KIND,
        "parameters": [_parameter_record(p) for p in parameters],
        "calibration": identity or {},
    }
    target = root / POSTERIOR_FILE
    write_parquet_atomic(target, frame, record)
    return target


def load_posterior(path: str | Path) -> Posterior:
    """Read a calibration's posterior from its directory (or the Parquet file itself).

    Raises
    ------
    ResultsError
        When the directory holds no posterior, or the file is not one.
    """
    given = Path(path)
    file = given / POSTERIOR_FILE if given.is_dir() or given.suffix != ".parquet" else given
    if not file.is_file():
        raise ResultsError(
            f"{given}: not a calibration directory (no {POSTERIOR_FILE}); "
            "make one with connectsim calibrate"
        )
    record = parquet_identity(file)
    if record is None or record.get("kind") != _KIND:
        raise ResultsError(f"{file}: not a calibration posterior (its metadata does not say so)")
    try:
        parameters = tuple(
            Parameter(str(p["path"]), float(p["low"]), float(p["high"]), bool(p["integer"]))
            for p in record["parameters"]
        )
    except (KeyError, TypeError, ValueError):
        raise ResultsError(f"{file}: its parameters' record is damaged") from None
    frame = read_parquet_checked(file, file.parent)
    missing = [c for c in [*(p.path for p in parameters), WEIGHT] if c not in frame.columns]
    if missing or frame.empty:
        what = f"lacks the column(s) {', '.join(missing)}" if missing else "has no rows"
        raise ResultsError(f"{file}: a posterior that {what}")
    weights = frame[WEIGHT].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ResultsError(f"{file}: its weights are not non-negative finite numbers")
    samples = frame.drop(columns=[WEIGHT])
    return Posterior(parameters, samples, weights / weights.sum(), file)
