"""The real regimes' scenarios run, and each arm does what its rules say."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.config.loading import load_scenario
from simulator.experiments.study import run_study

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
REGIMES = [
    SCENARIOS / "upwork_history.yaml",
    SCENARIOS / "regimes" / "freelancer_com.yaml",
    SCENARIOS / "regimes" / "peopleperhour.yaml",
    SCENARIOS / "paid_vs_free.yaml",
]


@pytest.mark.parametrize("path", REGIMES, ids=[p.stem for p in REGIMES])
def test_regime_scenario_runs(path: Path, small_overrides: list[str]) -> None:
    study = run_study(load_scenario(path, small_overrides), replications=1)
    lv = study.levels()
    overall = lv[(lv["segment_kind"] == "overall") & (lv["metric"] == "proposals_per_job")]
    assert set(overall["arm"]) == set(study.arms)
    assert (overall["mean"] > 0).all()


def test_upwork_regimes_differ_as_their_rules_say(small_overrides: list[str]) -> None:
    study = run_study(load_scenario(REGIMES[0], small_overrides), replications=1)
    lv = study.levels()
    overall = lv[lv["segment_kind"] == "overall"].set_index(["arm", "metric"])["mean"]
    # 60 free a month before 2019 against none for Basic from May 2019
    granted = "connects_granted_per_freelancer_month"
    assert overall[("upwork_2016", granted)] > overall[("upwork_2019", granted)]
    # only late 2020 pays Connects for interviews
    earned = "connects_earned_per_freelancer_month"
    assert overall[("upwork_2020", earned)] > 0
    assert overall[("upwork_2019", earned)] == 0
