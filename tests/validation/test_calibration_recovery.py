"""Parameter recovery: targets made by the model at known values are calibrated back.

The targets are the model's own means at a value of the wallet's outside cash
that is not the default (0.025 against 0.01), on seeds the calibration does not
use, with the Monte Carlo error of both means as their standard error. The
calibration must put the true value inside its 90% posterior interval and
report it as constrained; and a parameter that cannot move any target (the
minutes a read takes, which only converts reads into hours) must come out
unidentified rather than as a confident estimate.

`make test` runs a small version (a 100-freelancer market, 30 particles);
`make validate` (CONNECTSIM_VALIDATION=full) a larger one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from simulator.experiments.calibration import (
    UNIDENTIFIED_ABOVE,
    Calibration,
    calibrate,
    synthetic_targets,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
PAID_VS_FREE = REPO_ROOT / "scenarios" / "paid_vs_free.yaml"
OUTSIDE_CASH = "world.population.budget.outside_cash_share_median"
CONTROL = "world.clients.minutes_per_read"
TRUTH = 0.025

FULL = os.environ.get("CONNECTSIM_VALIDATION") == "full"
SIZES = (
    {"freelancers": 300, "jobs": 25, "population": 80, "replications": 2, "target_runs": 16}
    if FULL
    else {"freelancers": 100, "jobs": 8, "population": 30, "replications": 1, "target_runs": 8}
)


@pytest.fixture(scope="module")
def recovered(tmp_path_factory: pytest.TempPathFactory) -> Calibration:
    world = [
        f"world.population.freelancers={SIZES['freelancers']}",
        f"world.jobs.jobs_per_day={SIZES['jobs']}",
        "run.warmup_days=15",
        "run.horizon_days=30",
    ]
    targets = synthetic_targets(
        PAID_VS_FREE,
        {OUTSIDE_CASH: TRUTH},
        [("paid", "proposals_per_job")],
        replications=SIZES["target_runs"],
        calibration_replications=SIZES["replications"],
        seed=777,
        overrides=world,
    )
    path = tmp_path_factory.mktemp("recovery") / "targets.yaml"
    path.write_text(yaml.safe_dump(targets, sort_keys=False), encoding="utf-8")
    return calibrate(
        PAID_VS_FREE,
        path,
        [f"{OUTSIDE_CASH}=0.002:0.05", f"{CONTROL}=1:10"],
        replications=SIZES["replications"],
        population_size=SIZES["population"],
        generations=6,
        predictive_draws=10,
        overrides=world,
        workers=1,
    )


def test_the_true_value_is_inside_the_90_percent_posterior_interval(recovered: Calibration) -> None:
    table = recovered.identification.set_index("parameter")
    row = table.loc[OUTSIDE_CASH]
    assert row["posterior_low"] <= TRUTH <= row["posterior_high"], row.to_dict()
    assert row["sd_ratio_to_prior"] < UNIDENTIFIED_ABOVE, row.to_dict()
    assert bool(recovered.fit["inside"].all())


def test_a_parameter_the_targets_cannot_see_is_reported_unidentified(
    recovered: Calibration,
) -> None:
    table = recovered.identification.set_index("parameter")
    assert table.loc[CONTROL, "verdict"].startswith("unidentified"), table.loc[CONTROL].to_dict()
