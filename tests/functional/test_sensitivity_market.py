"""A small real sensitivity analysis of the market, its directory, resuming, and bad parameters."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.config.scenario import Scenario
from simulator.errors import ResultsError, ScenarioError
from simulator.experiments.sensitivity import (
    DUMMY,
    SENSITIVITY_METRICS,
    Sensitivity,
    SensitivityStore,
    make_parameters,
    plan,
    sensitivity,
)

PARAMS = ["arms.paid.price_usd_per_connect=0.05:0.5", "world.jobs.ghost_share=0.0:0.3"]
PRICE, GHOSTS = (text.partition("=")[0] for text in PARAMS)


@pytest.fixture(scope="module")
def morris_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sensitivity") / "out"


@pytest.fixture(scope="module")
def morris(small_scenario: Scenario, morris_dir: Path) -> Sensitivity:
    # 3 trajectories of 3 points (2 parameters and the dummy), 2 replications,
    # both arms: about 30 replications of the small market
    return sensitivity(
        small_scenario, PARAMS, method="morris", samples=3, replications=2, out=morris_dir
    )


def test_every_metric_and_parameter_has_its_indices(morris: Sensitivity) -> None:
    assert morris.arm == "free" and morris.baseline == "paid"
    outputs = ["free", "free - paid", "paid"]
    assert sorted(set(morris.indices["output"])) == outputs
    for index in ("mu_star", "sigma", "mu"):
        part = morris.indices[morris.indices["index"] == index]
        got = set(zip(part["output"], part["metric"], part["parameter"], strict=True))
        want = {
            (o, m, p) for o in outputs for m in SENSITIVITY_METRICS for p in [PRICE, GHOSTS, DUMMY]
        }
        assert got == want
        assert len(part) == len(want)
    assert set(morris.noise["output"]) == set(outputs)


def test_the_dummy_is_small_beside_the_largest_effect(morris: Sensitivity) -> None:
    mu_star = morris.indices[morris.indices["index"] == "mu_star"]
    for (output, metric), part in mu_star.groupby(["output", "metric"]):
        largest = part["value"].max()
        dummy = float(part.loc[part["parameter"] == DUMMY, "value"].iloc[0])
        # with common random numbers a step of the dummy alone reruns the same
        # point with the same seeds, so its effects are exactly zero
        assert dummy == 0.0, (output, metric)
        assert dummy <= 0.05 * largest or largest == 0.0
    # the headline metrics of the pair move with the two parameters
    diff = mu_star[
        (mu_star["output"] == "free - paid") & (mu_star["metric"] == "proposals_per_job")
    ]
    assert float(diff.loc[diff["parameter"] == PRICE, "value"].iloc[0]) > 0.0


def test_the_paid_price_does_not_touch_the_free_arm(morris: Sensitivity) -> None:
    # metamorphic: the free arm never reads the paid arm's price, and every
    # point runs on the same seeds, so its elementary effects are exactly 0
    i = morris.indices
    free_price = i[(i["output"] == "free") & (i["parameter"] == PRICE)]
    assert (free_price["value"].abs() == 0.0).all()


def test_noise_shares(morris: Sensitivity) -> None:
    noise = morris.noise.set_index(["output", "metric"])
    # nobody buys Connects under the free program: no variance, and it says so
    assert "same at every point" in noise.loc[("free", "connects_spend_share_of_income"), "note"]
    moving = noise[noise["note"] == ""]
    assert len(moving) >= 10
    assert ((moving["noise_share"] >= 0.0) & (moving["noise_share"] < 1.0)).all()
    assert (moving["within_variance"] > 0.0).all()
    assert np.allclose(moving["noise_variance"], moving["within_variance"] / 2)


def test_the_directory_holds_the_analysis(morris: Sensitivity, morris_dir: Path) -> None:
    record = json.loads((morris_dir / "manifest.json").read_text())
    assert record["kind"] == "sensitivity" and record["finished"]
    assert record["method"] == "morris" and record["replications"] == 2
    assert [p["path"] for p in record["parameters"]] == [PRICE, GHOSTS]
    runs = sorted((morris_dir / "runs").glob("*.parquet"))
    assert len(runs) == morris.design.n_points * 2
    assert not list(morris_dir.rglob("*.tmp"))
    indices = pd.read_csv(morris_dir / "summary" / "indices.csv")
    assert len(indices) == len(morris.indices)
    for name in ("noise.csv", "design.csv", "points.csv", "runs.parquet"):
        assert (morris_dir / "summary" / name).is_file()


def test_a_rerun_resumes(small_scenario: Scenario, morris: Sensitivity, morris_dir: Path) -> None:
    again = sensitivity(
        small_scenario, PARAMS, method="morris", samples=3, replications=2, out=morris_dir
    )
    assert again.reused == morris.design.n_points * 2
    pd.testing.assert_frame_equal(again.indices, morris.indices)
    # another design is refused, not mixed in
    other = plan(small_scenario, PARAMS, method="morris", samples=3, seed=1)
    with pytest.raises(ResultsError, match="another sensitivity analysis"):
        SensitivityStore(morris_dir).check_design(other.design_hash, overwrite=False)


def test_integer_fields_stay_integers(small_scenario: Scenario) -> None:
    the_plan = plan(
        small_scenario,
        {"arms.free.monthly_grant.basic": (5, 40), GHOSTS: (0.0, 0.3)},
        method="sobol",
        samples=4,
    )
    grant = the_plan.model.parameters[0]
    assert grant.integer and not the_plan.model.parameters[1].integer
    for row in the_plan.design.rows:
        value = the_plan.model.scenario_at(row).arms["free"].monthly_grant["basic"]
        assert isinstance(value, int) and 5 <= value <= 40


@pytest.mark.parametrize(
    ("params", "arms", "expected"),
    [
        (["world.jobs.ghost_share"], ("free", "paid"), "expected PATH=LOW:HIGH"),
        (["world.jobs.ghost_share=0.3:0.1"], ("free", "paid"), "LOW < HIGH"),
        (["world.jobs.ghost_share=a:b"], ("free", "paid"), "must be numbers"),
        (["world.jobs.ghosts=0:1"], ("free", "paid"), "world.jobs.ghosts is not a field"),
        (["world.jobs.ghost_share=0.0:2.0"], ("free", "paid"), "less than or equal to 1"),
        (["arms.paid.price_usd_per_connect=0.1:0.2"], ("free",), "arm 'paid' is not run"),
        (["arms.free.monthly_grant.basic=1.5:4"], ("free",), "must be whole numbers"),
        (["arms.free.purchase_allowed=0:1"], ("free",), "is not a number"),
        (["run.seed=1:5"], ("free",), "cannot be varied"),
        (["world.jobs.ghost_share=0:0.1", "world.jobs.ghost_share=0:0.2"], ("free",), "twice"),
        ([], ("free",), "at least one"),
    ],
)
def test_bad_parameters_are_refused(
    small_scenario: Scenario, params: list[str], arms: tuple[str, ...], expected: str
) -> None:
    with pytest.raises(ScenarioError, match=re.escape(expected)):
        make_parameters(small_scenario, params, arms)


# ------------------------------------------------------------------ SIGKILL


@pytest.mark.slow
def test_sigkill_then_rerun_recomputes_nothing_finished(
    tmp_path: Path, paid_vs_free_path: Path, small_overrides: list[str]
) -> None:
    """A killed analysis resumes through the runner: every run file that was written
    is reused as it is, and the indices equal those of an uninterrupted analysis."""
    connectsim = Path(sys.executable).parent / "connectsim"
    out = tmp_path / "killed"
    command = [str(connectsim), "sensitivity", str(paid_vs_free_path)]
    command += ["--param", "world.jobs.ghost_share=0.0:0.3", "--method", "morris"]
    command += ["--samples", "4", "--replications", "2", "--arm-only", "--metric", "fill_rate"]
    command += [arg for text in small_overrides for arg in ("--set", text)]
    command += ["--workers", "1", "--out", str(out)]
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120

    def finished_runs() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in out.glob("runs/*.parquet")}

    while len(finished_runs()) < 3:
        assert proc.poll() is None, "the analysis finished before it could be killed"
        assert time.monotonic() < deadline, "no run finished in time"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = finished_runs()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    total = manifest["distinct_points"] * 2
    assert 3 <= len(before) < total
    assert not (out / "summary").exists()

    rerun = subprocess.run(command, capture_output=True, text=True, check=True)
    assert f"reused {len(before)} finished runs" in rerun.stdout
    after = finished_runs()
    assert len(after) == total
    assert {p: after[p] for p in before} == before  # nothing finished was written again
    assert not list(out.rglob(".*.tmp"))

    clean = tmp_path / "clean"
    subprocess.run([*command[:-1], str(clean)], capture_output=True, check=True)
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "summary" / "indices.csv"), pd.read_csv(clean / "summary" / "indices.csv")
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "summary" / "runs.parquet"),
        pd.read_parquet(clean / "summary" / "runs.parquet"),
    )
