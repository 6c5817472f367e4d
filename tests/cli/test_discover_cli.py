"""``connectsim discover``: bad input is one line and exit 2 with nothing written; a tiny
discovery writes its points, boxes, charts and report, resumes from its runs, and gives
the same bytes in one process and on a process pool."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.experiments.designs import Parameter
from simulator.experiments.discovery import BOX_COLUMNS, CONCLUSIONS
from simulator.experiments.posterior import write_posterior

REPO_ROOT = Path(__file__).resolve().parents[2]
PAID_VS_FREE = REPO_ROOT / "scenarios" / "paid_vs_free.yaml"

TINY = (
    "world.population.freelancers=100",
    "world.jobs.jobs_per_day=8",
    "run.warmup_days=15",
    # long enough for newcomers' 60-day hire rate to be measured
    "run.horizon_days=75",
)
"""A world small enough for a point (both arms) in under a second."""

CASH = "world.population.budget.outside_cash_share_median"
PARAMS = ("--param", f"{CASH}=0.002:0.05", "--param", "arms.free.monthly_grant.basic=0:40")

RunMain = Callable[[list[str]], tuple[int, str, str]]


def _args(out: Path, *extra: str) -> list[str]:
    sets = [a for s in TINY for a in ("--set", s)]
    return [
        "discover",
        str(PAID_VS_FREE),
        *PARAMS,
        *sets,
        "--points",
        "10",
        "--out",
        str(out),
        *extra,
    ]


@pytest.fixture(scope="module")
def posterior_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hand-made calibration posterior of the outside cash and a parameter discover does
    not explore."""
    root = tmp_path_factory.mktemp("calibration")
    rng = np.random.default_rng(0)
    parameters = [
        Parameter(CASH, 0.002, 0.05),
        Parameter("world.population.budget.earnings_kept_share", 0.1, 0.3),
    ]
    samples = pd.DataFrame(
        {CASH: rng.uniform(0.004, 0.03, 40), parameters[1].path: rng.uniform(0.1, 0.3, 40)}
    )
    write_posterior(root, parameters, samples, rng.random(40))
    return root


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (("--param", "world.jobs.ghosts=0:1"), ("world.jobs.ghosts", "not a field")),
        (("--param", "world.jobs.ghost_share=0.3:0.1"), ("LOW < HIGH",)),
        (("--points", "4"), ("--points must be at least 8",)),
        (("--paid", "nope"), ("--paid 'nope': not an arm",)),
        (("--free", "fre"), ("--free 'fre'", "did you mean free?")),
        (("--paid", "free", "--free", "free"), ("--paid and --free must be two arms",)),
        (("--threshold", "1.5"), ("--threshold must be a density in (0, 1]",)),
        (("--posterior", "MISSING"), ("not a calibration directory",)),
        (("--posterior", "EMPTY"), ("not a calibration directory",)),
    ],
)
def test_bad_input_is_one_line_and_exit_2_with_nothing_written(
    extra: tuple[str, ...], expected: tuple[str, ...], tmp_path: Path, run_main: RunMain
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    words = [{"MISSING": str(tmp_path / "missing"), "EMPTY": str(empty)}.get(w, w) for w in extra]
    out = tmp_path / "out"
    code, stdout, stderr = run_main([*_args(out), *words])
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for text in expected:
        assert text in lines[0], (text, lines[0])
    assert "Traceback" not in stdout + stderr
    assert not out.exists()


def test_without_the_workbench_it_says_what_to_install(
    tmp_path: Path, run_main: RunMain, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "ema_workbench" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    out = tmp_path / "out"
    code, _, stderr = run_main(_args(out))
    assert code == 2
    assert stderr.strip().splitlines() == [
        "error: ema_workbench not installed: pip install 'connectsim[calibration]'"
    ]
    assert not out.exists()


@pytest.fixture(scope="module")
def tiny_discovery(tmp_path_factory: pytest.TempPathFactory, posterior_dir: Path) -> Path:
    """A finished tiny discovery over the hand-made posterior, run in one process."""
    from simulator import cli

    out = tmp_path_factory.mktemp("discovery") / "out"
    argv = sys.argv
    sys.argv = ["connectsim", *_args(out, "--posterior", str(posterior_dir), "--workers", "1")]
    try:
        with pytest.raises(SystemExit) as exc:
            cli.main()
    finally:
        sys.argv = argv
    assert exc.value.code == 0
    return out


def test_a_tiny_discovery_writes_everything(tiny_discovery: Path) -> None:
    out = tiny_discovery
    for name in (
        "manifest.json",
        "summary/points.csv",
        "summary/boxes.csv",
        "summary/runs.parquet",
        "summary/posterior.csv",
        "report/index.html",
        "report/discovery.md",
        *(f"report/charts/box_{c.name}.png" for c in CONCLUSIONS),
    ):
        assert (out / name).is_file(), name
    boxes = pd.read_csv(out / "summary" / "boxes.csv")
    assert list(boxes.columns) == list(BOX_COLUMNS)
    assert list(dict.fromkeys(boxes["conclusion"])) == [c.name for c in CONCLUSIONS]
    points = pd.read_csv(out / "summary" / "points.csv")
    assert len(points) == 10
    assert {CASH, "arms.free.monthly_grant.basic"} <= set(points.columns)
    for c in CONCLUSIONS:
        assert {f"{c.name}_difference", f"{c.name}_holds"} <= set(points.columns)
        # a share of the points where it holds, as PRIM was given them
        judged = points[f"{c.name}_holds"].dropna().astype(bool)
        share = boxes.loc[boxes["conclusion"] == c.name, "share"].iloc[0]
        if len(judged):
            assert share == pytest.approx(judged.mean())
    # a box's posterior share is a share; a box restricting only the grant has none
    placed = boxes.dropna(subset=["posterior_share"])
    assert ((placed["posterior_share"] >= 0) & (placed["posterior_share"] <= 1)).all()
    markdown = (out / "report" / "discovery.md").read_text(encoding="utf-8")
    assert "Where free beats paid" in markdown
    assert markdown.count("- Free ") == len(CONCLUSIONS)
    assert "calibrated posterior" in markdown


def test_report_dir_writes_the_discovery_report_again(
    tiny_discovery: Path, run_main: RunMain
) -> None:
    out = tiny_discovery
    before = (out / "report" / "discovery.md").read_text(encoding="utf-8")
    code, stdout, stderr = run_main(["report", str(out)])
    assert code == 0, stderr
    assert "discovery report of" in stderr
    assert stdout.strip().endswith("index.html")
    html = (out / "report" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Where free beats paid" in html
    after = (out / "report" / "discovery.md").read_text(encoding="utf-8")
    # the same page, bar the command (the report of a directory shows the one recorded)
    assert after.split("## Reproduce")[0] == before.split("## Reproduce")[0]


def test_a_rerun_resumes_from_the_stored_runs(
    tiny_discovery: Path, posterior_dir: Path, run_main: RunMain
) -> None:
    out = tiny_discovery
    before = (out / "summary" / "points.csv").read_bytes()
    code, stdout, stderr = run_main(_args(out, "--posterior", str(posterior_dir), "--workers", "1"))
    assert code == 0, stderr
    assert "reused 10 finished runs of 10" in " ".join(stdout.split())
    assert (out / "summary" / "points.csv").read_bytes() == before


def test_a_process_pool_gives_the_same_points_as_one_process(
    tiny_discovery: Path, posterior_dir: Path, tmp_path: Path, run_main: RunMain
) -> None:
    out = tiny_discovery
    pooled = tmp_path / "pooled"
    code, _, stderr = run_main(_args(pooled, "--posterior", str(posterior_dir), "--workers", "2"))
    assert code == 0, stderr
    for name in ("points.csv", "boxes.csv"):
        assert (pooled / "summary" / name).read_bytes() == (out / "summary" / name).read_bytes()


def test_another_discovery_in_the_directory_needs_overwrite(
    tiny_discovery: Path, run_main: RunMain
) -> None:
    out = tiny_discovery
    code, _, stderr = run_main([*_args(out), "--seed", "99"])
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "--overwrite" in stderr


def test_a_new_threshold_reuses_every_run(
    tiny_discovery: Path, posterior_dir: Path, tmp_path: Path, run_main: RunMain
) -> None:
    """The threshold and the posterior are analysis: the runs do not depend on them."""
    import json
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(tiny_discovery, out)
    code, stdout, stderr = run_main(_args(out, "--threshold", "0.6", "--workers", "1"))
    assert code == 0, stderr
    assert "reused 10 finished runs of 10" in " ".join(stdout.split())
    record = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert record["threshold"] == 0.6
    assert record["posterior_dir"] is None
    assert not (out / "summary" / "posterior.csv").exists()
    boxes = pd.read_csv(out / "summary" / "boxes.csv")
    assert boxes["posterior_share"].isna().all()
