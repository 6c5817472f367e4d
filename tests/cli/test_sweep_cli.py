"""``connectsim sweep``: bad input gives one line and exit 2; a tiny sweep writes everything."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator import cli

REPO_ROOT = Path(__file__).resolve().parents[2]
PAID_VS_FREE = REPO_ROOT / "scenarios" / "paid_vs_free.yaml"
SWEEP_SCENARIO = REPO_ROOT / "scenarios" / "sweep_price_allowance.yaml"
PRICE = "arms.allowance.price_usd_per_connect"
GRANT = "arms.allowance.monthly_grant.basic"


def assert_one_line(stdout: str, stderr: str, expected: tuple[str, ...]) -> None:
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for text in expected:
        assert text in lines[0], (text, lines[0])
    assert stdout.strip() == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--vary", PRICE], ("--vary", "expected PATH=V1,V2,...")),
        (["--vary", f"{PRICE}=0.3:0.1:3"], ("--vary", "LOW (0.3) must be below HIGH (0.1)")),
        (["--vary", f"{PRICE}=0.1:0.3"], ("--vary", "a grid needs levels")),
        (["--vary", f"{PRICE}=0.1,zero"], ("--vary", "p001", "price_usd_per_connect", "zero")),
        (["--vary", f"{PRICE}=0.1,-1"], ("--vary", "p001", "got -1")),
        (["--vary", "arms.allowance.prize=1,2"], ("--vary", "prize", "no such field")),
        (["--vary", "run.seed=1,2"], ("--vary 'run.seed=1,2'", "--seed")),
        (["--vary", f"{PRICE}=0.1,0.1"], ("--vary", "given twice")),
        (["--vary", f"{PRICE}=0.1:0.3", "--design", "lhs"], ("--design lhs needs --points",)),
        (["--vary", f"{PRICE}=0.1,0.3", "--design", "cube"], ("--design must be grid or lhs",)),
        (["--vary", f"{PRICE}=0.1,0.3", "--design", "gird"], ("did you mean grid?",)),
        (
            ["--vary", "arms.allowance.price_usd_per_conect=0.1,0.3"],
            (
                "arms.allowance.price_usd_per_conect: no such field",
                "did you mean price_usd_per_connect?",
            ),
        ),
        (
            ["--vary", f"{PRICE}=0.1,0.3", "--scheduler", "tcp://h:1", "--workers", "2"],
            ("--scheduler and --workers exclude each other",),
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str],
    expected: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    run_main: Callable[[list[str]], tuple[int, str, str]],
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run_main(["sweep", str(SWEEP_SCENARIO), *args, "--out", str(out)])
    assert code == 2
    assert_one_line(stdout, stderr, expected)
    assert not out.exists()


def test_a_tiny_sweep_writes_charts_frontier_and_report(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    run_main: Callable[[list[str]], tuple[int, str, str]],
    small_overrides: list[str],
) -> None:
    out = tmp_path / "out"
    args = ["sweep", str(SWEEP_SCENARIO), "--vary", f"{PRICE}=0.15,0.30"]
    args += ["--vary", f"{GRANT}=0,20", "--replications", "2", "--workers", "1"]
    args += ["--out", str(out)]
    for text in small_overrides:
        args += ["--set", text]
    result = CliRunner().invoke(cli.app, args, env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "grid of 4 points x 2 arms x 2 replications = 16 runs" in result.stdout
    assert "trade-off frontier" in result.stdout
    assert f"report: {out / 'report' / 'sweep.md'}" in result.stdout

    charts = out / "report" / "charts"
    for slug in (
        "response_price_usd_per_connect",
        "response_monthly_grant_basic",
        "heatmap",
        "frontier",
    ):
        for ext in ("png", "svg"):
            assert (charts / f"{slug}.{ext}").stat().st_size > 1000, (slug, ext)
    assert not list(out.rglob(".*.tmp"))

    frontier = pd.read_csv(out / "summary" / "frontier.csv")
    assert len(frontier) >= 1
    report = (out / "report" / "sweep.md").read_text(encoding="utf-8")
    assert "## The trade-off frontier" in report
    assert "| points | arm | price_usd_per_connect | monthly_grant.basic |" in report
    # one table row per frontier policy, and every chart embedded
    rows = [line for line in report.splitlines() if line.startswith("| ")]
    assert sum(1 for line in rows if "allowance" in line or "| paid |" in line) >= len(frontier)
    for slug in ("response_price_usd_per_connect", "heatmap", "frontier"):
        assert f"](charts/{slug}.png)" in report
    assert "connectsim sweep" in report and "--vary" in report
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"].startswith(f"connectsim sweep {SWEEP_SCENARIO} --vary")
    assert manifest["command"] in report
    points = pd.read_csv(out / "summary" / "points.csv")
    assert points.columns.tolist() == ["point", PRICE, GRANT]
    assert len(points) == 4

    # another design into the same directory is refused, with nothing written
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    code, stdout, stderr = run_main(
        ["sweep", str(SWEEP_SCENARIO), "--vary", f"{PRICE}=0.2,0.4", "--out", str(out)]
    )
    assert code == 2
    assert_one_line(stdout, stderr, ("another sweep", "--overwrite"))
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_the_sweep_scenario_is_a_valid_study() -> None:
    result = CliRunner().invoke(cli.app, ["validate", str(SWEEP_SCENARIO)])
    assert result.exit_code == 0, result.output
    assert "price_allowance (2 arms)" in result.stdout
