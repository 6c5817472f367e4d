"""``connectsim calibrate``: bad input is one line and exit 2 with nothing written; a tiny
calibration writes its posterior, fit, report and calibrated scenario, resumes from its
runs, and gives the same posterior on every executor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PAID_VS_FREE = REPO_ROOT / "scenarios" / "paid_vs_free.yaml"

TINY = (
    "world.population.freelancers=100",
    "world.jobs.jobs_per_day=8",
    "run.warmup_days=15",
    "run.horizon_days=30",
)
"""A world small enough for a calibration of a few hundred runs in seconds."""

SOURCE = {"citation": "a test", "locator": "here", "quote": "a figure"}

RunMain = Callable[[list[str]], tuple[int, str, str]]


def _target(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "spend",
        "metric": "median_connects_spend_usd_per_freelancer_month",
        "arm": "paid",
        "regime": "a test",
        "kind": "at_most",
        "value": 5,
        "source": SOURCE,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def _targets_file(tmp_path: Path, targets: list[dict[str, object]]) -> Path:
    path = tmp_path / "targets.yaml"
    body = {"schema_version": 1, "scenario": str(PAID_VS_FREE), "targets": targets}
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def _args(targets: Path, out: Path, *extra: str) -> list[str]:
    sets = [a for s in TINY for a in ("--set", s)]
    return [
        "calibrate",
        str(PAID_VS_FREE),
        "--targets",
        str(targets),
        *sets,
        "--population",
        "20",
        "--generations",
        "3",
        "--replications",
        "1",
        "--draws",
        "4",
        "--out",
        str(out),
        *extra,
    ]


PARAM = ("--param", "world.population.budget.outside_cash_share_median=0.002:0.05")


@pytest.mark.parametrize(
    ("targets", "params", "expected"),
    [
        ([_target(metric="fillrate")], PARAM, ("not a metric; did you mean fill_rate?",)),
        ([_target(arm="bid_allowance")], PARAM, ("'bid_allowance' is not an arm",)),
        ([_target(source=None)], PARAM, ("source",)),
        (
            [_target()],
            ("--param", "world.population.budget.outside_cash_share_median=0.05:0.002"),
            ("LOW < HIGH",),
        ),
        ([_target()], ("--param", "world.population.budget.nope=0:1"), ("not a field",)),
    ],
)
def test_bad_input_is_one_line_and_exit_2_with_nothing_written(
    targets: list[dict[str, object]],
    params: tuple[str, ...],
    expected: tuple[str, ...],
    tmp_path: Path,
    run_main: RunMain,
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run_main(_args(_targets_file(tmp_path, targets), out, *params))
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for text in expected:
        assert text in lines[0], (text, lines[0])
    assert "Traceback" not in stdout + stderr
    assert not out.exists()


def test_a_malformed_targets_file_is_one_line(tmp_path: Path, run_main: RunMain) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("targets: [name: x\n", encoding="utf-8")
    out = tmp_path / "out"
    code, _, stderr = run_main(_args(path, out, *PARAM))
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "not valid YAML" in stderr
    assert not out.exists()


@pytest.fixture(scope="module")
def tiny_calibration(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A finished tiny calibration (its targets file, its directory), run in process."""
    import sys

    from simulator import cli

    root = tmp_path_factory.mktemp("calibration")
    targets = _targets_file(
        root,
        [
            _target(),
            _target(
                name="proposals",
                metric="proposals_per_job",
                kind="value",
                value=4.0,
                standard_error=0.3,
            ),
        ],
    )
    out = root / "out"
    argv = sys.argv
    sys.argv = ["connectsim", *_args(targets, out, *PARAM, "--workers", "1")]
    try:
        with pytest.raises(SystemExit) as exc:
            cli.main()
    finally:
        sys.argv = argv
    assert exc.value.code == 0
    return targets, out


def test_a_tiny_calibration_writes_everything(tiny_calibration: tuple[Path, Path]) -> None:
    _, out = tiny_calibration
    for name in (
        "posterior.parquet",
        "calibrated.yaml",
        "manifest.json",
        "summary/fit.csv",
        "summary/identification.csv",
        "summary/generations.csv",
        "report/index.html",
        "report/calibration.md",
        "report/charts/marginals.png",
        "report/charts/pairs.png",
        "report/charts/fit.png",
    ):
        assert (out / name).is_file(), name
    fit = pd.read_csv(out / "summary" / "fit.csv")
    assert list(fit["target"]) == ["spend", "proposals"]
    calibrated = yaml.safe_load((out / "calibrated.yaml").read_text(encoding="utf-8"))
    median = calibrated["world"]["population"]["budget"]["outside_cash_share_median"]
    assert 0.002 <= median <= 0.05
    # the calibrated file opens as a scenario, from where it was written
    from simulator.config.loading import load_scenario

    scenario = load_scenario(out / "calibrated.yaml")
    assert scenario.world.population.budget.outside_cash_share_median == pytest.approx(median)


def test_a_rerun_resumes_from_the_stored_runs_and_gives_the_same_posterior(
    tiny_calibration: tuple[Path, Path], run_main: RunMain
) -> None:
    targets, out = tiny_calibration
    before = (out / "posterior.parquet").read_bytes()
    code, stdout, stderr = run_main(_args(targets, out, *PARAM, "--workers", "1"))
    assert code == 0, stderr
    assert "reused" in stdout
    assert (out / "posterior.parquet").read_bytes() == before


def test_a_process_pool_gives_the_same_posterior_as_one_process(
    tiny_calibration: tuple[Path, Path], tmp_path: Path, run_main: RunMain
) -> None:
    targets, out = tiny_calibration
    pooled = tmp_path / "pooled"
    code, _, stderr = run_main(_args(targets, pooled, *PARAM, "--workers", "2"))
    assert code == 0, stderr
    assert (pooled / "posterior.parquet").read_bytes() == (out / "posterior.parquet").read_bytes()
    pd.testing.assert_frame_equal(
        pd.read_csv(pooled / "summary" / "fit.csv"), pd.read_csv(out / "summary" / "fit.csv")
    )


def test_run_over_the_posterior_splits_each_interval(
    tiny_calibration: tuple[Path, Path], tmp_path: Path, run_main: RunMain
) -> None:
    _, calibration = tiny_calibration
    out = tmp_path / "posterior"
    sets = [a for s in TINY for a in ("--set", s)]
    code, _, stderr = run_main(
        [
            "run",
            str(PAID_VS_FREE),
            "--posterior",
            str(calibration),
            "--draws",
            "3",
            "--replications",
            "2",
            *sets,
            "--out",
            str(out),
            "--workers",
            "1",
        ]
    )
    assert code == 0, stderr
    differences = pd.read_csv(out / "summary" / "differences.csv")
    assert set(differences["metric"]) >= {"proposals_per_job", "fill_rate"}
    # a metric that is undefined in so short a run (newcomers need 60 days) has no split
    split = differences.dropna(subset=["noise_share"])
    assert "proposals_per_job" in set(split["metric"])
    shares = split["parameter_share"] + split["noise_share"]
    assert ((shares - 1.0).abs() < 1e-12).all()
    assert (split["low"] <= split["mean"]).all()
    assert (split["mean"] <= split["high"]).all()
    assert "from the parameters" in (out / "report" / "posterior.md").read_text(encoding="utf-8")


def test_run_over_a_directory_without_a_posterior_is_one_line(
    tmp_path: Path, run_main: RunMain
) -> None:
    code, _, stderr = run_main(
        ["run", str(PAID_VS_FREE), "--posterior", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "not a calibration directory" in stderr
