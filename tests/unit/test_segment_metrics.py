"""The segment metrics, computed on NumPy columns, equal pandas' own group sums bit for
bit: the recorder's totals round exactly as a pandas ``groupby`` would make them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulator.config.scenario import Scenario
from simulator.engine.market import Market


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("arm", ["paid", "free"])
def test_segment_metrics_match_pandas_groups(small_scenario: Scenario, arm: str) -> None:
    market = Market(small_scenario, arm, replication=2)
    result = market.run()
    frame = market.metrics.freelancer_frame()
    metrics = result.metrics.set_index(["segment_kind", "segment", "metric"])["value"]
    parts: list[tuple[str, str, pd.DataFrame]] = [("overall", "all", frame)]
    for kind in ("region", "membership", "cohort"):
        parts += [(kind, str(name), g) for name, g in frame.groupby(kind, observed=False)]
    assert len(parts) > 4
    checked = 0
    for kind, name, g in parts:
        months = float(g["months"].sum())
        per_month = months if months > 0 else float("nan")
        new = g[g["cohort"] == "new"]
        hired_new = new[np.isfinite(new["first_hire_day"])]
        expected = {
            "freelancers": float(len(g)),
            "freelancer_months": months,
            "proposals_per_freelancer_month": float(g["proposals"].sum()) / per_month,
            "connects_spend_usd_per_freelancer_month": float(g["connects_usd"].sum()) / per_month,
            "connects_spend_share_of_income": float((g["connects_usd"] / g["income_usd"]).sum())
            / per_month,
            "days_to_first_hire": float(
                (hired_new["first_hire_day"] - hired_new["joined_day"]).mean()
            )
            if len(hired_new)
            else float("nan"),
        }
        for metric, value in expected.items():
            got = float(metrics[(kind, name, metric)])
            assert _same(got, value), (kind, name, metric, got, value)
            checked += 1
    assert checked == 6 * len(parts)
