"""Regression: a small replication's headline numbers, pinned.

These are not validation: they say nothing about whether the numbers are
right, only that they have not changed. The scenario is a version-1 file kept
as a fixture (tests/fixtures/v1): migrated in memory, it must give exactly what
it gave before schema version 2, budget rule and all. When a change to the model is meant
to move them, regenerate the file and say so in the commit:

    CONNECTSIM_REGENERATE_GOLDEN=1 pytest tests/regression
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from simulator.config.loading import load_scenario
from simulator.config.migration import SchemaMigrationWarning
from simulator.config.scenario import Scenario
from simulator.engine.market import run_replication

pytestmark = pytest.mark.regression

GOLDEN = Path(__file__).with_name("golden_small.json")
V1_SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "v1" / "paid_vs_free.yaml"
METRICS = (
    "proposals_per_job",
    "hires_per_proposal",
    "fill_rate",
    "connects_spend_share_of_income",
    "proposals_per_freelancer_month",
    "busy_share_of_reviewed",
    "earnings_usd_per_freelancer_month",
)


def _headline(scenario: Scenario) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for arm in scenario.arms:
        frame = run_replication(scenario, arm, replication=0).metrics
        overall = frame[frame["segment_kind"] == "overall"].set_index("metric")["value"]
        out[arm] = {m: float(overall[m]) for m in METRICS}
    return out


def test_small_scenario_matches_golden(small_overrides: list[str]) -> None:
    with pytest.warns(SchemaMigrationWarning):
        scenario = load_scenario(V1_SCENARIO, small_overrides)
    got = _headline(scenario)
    if os.environ.get("CONNECTSIM_REGENERATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip("golden file regenerated")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got.keys() == expected.keys()
    for arm, values in expected.items():
        for metric, value in values.items():
            assert got[arm][metric] == pytest.approx(value, rel=1e-9, abs=1e-12), (arm, metric)
