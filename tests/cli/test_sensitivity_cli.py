"""``connectsim sensitivity``: bad input gives one line and exit 2; a tiny run writes everything."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from simulator import cli

REPO_ROOT = Path(__file__).resolve().parents[2]
PAID_VS_FREE = REPO_ROOT / "scenarios" / "paid_vs_free.yaml"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--param", "world.jobs.ghost_share"], ("expected PATH=LOW:HIGH",)),
        (["--param", "world.jobs.ghost_share=0.3:0.1"], ("LOW < HIGH",)),
        (["--param", "world.jobs.ghosts=0:1"], ("world.jobs.ghosts", "not a field")),
        (["--param", "world.jobs.ghost_share=0:2"], ("world.jobs.ghost_share", "got 2")),
        (
            ["--param", "arms.paid.price_usd_per_connect=0.1:0.2", "--arm", "free", "--arm-only"],
            ("arm 'paid' is not run",),
        ),
        (["--param", "world.jobs.ghost_share=0:0.3", "--arm", "nope"], ("--arm 'nope'",)),
        (["--param", "world.jobs.ghost_share=0:0.3", "--samples", "50"], ("power of 2",)),
        (["--param", "world.jobs.ghost_share=0:0.3", "--method", "fast"], ("sobol or morris",)),
        (
            ["--param", "world.jobs.ghost_share=0:0.3", "--metric", "nope"],
            ("--metric 'nope'", "not a metric", "fill_rate"),
        ),
        # a misspelt name gets the name meant
        (
            ["--param", "world.jobs.ghost_share=0:0.3", "--metric", "fillrate"],
            ("--metric 'fillrate': not a metric; did you mean fill_rate?",),
        ),
        (
            ["--param", "world.jobs.ghost_share=0:0.3", "--arm", "fre"],
            ("--arm 'fre'", "did you mean free?"),
        ),
        (
            ["--param", "world.jobs.ghost_share=0:0.3", "--method", "sobl"],
            ("--method must be sobol or morris (got 'sobl'); did you mean sobol?",),
        ),
        (
            ["--param", "world.jobs.ghost_shar=0:0.3"],
            ("world.jobs.ghost_shar is not a field; did you mean ghost_share?",),
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
    code, stdout, stderr = run_main(["sensitivity", str(PAID_VS_FREE), *args, "--out", str(out)])
    assert code == 2
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for text in expected:
        assert text in lines[0], (text, lines[0])
    assert stdout.strip() == ""
    assert not out.exists()


def test_a_misspelt_metric_is_not_answered_with_every_metric(
    run_main: Callable[[list[str]], tuple[int, str, str]], tmp_path: Path
) -> None:
    from simulator.catalog import METRIC_DESCRIPTIONS

    args = ["--param", "world.jobs.ghost_share=0:0.3", "--metric", "fillrate"]
    code, _, stderr = run_main(["sensitivity", str(PAID_VS_FREE), *args])
    assert code == 2
    named = [m for m in METRIC_DESCRIPTIONS if m in stderr]
    assert named == ["fill_rate"], stderr


def test_the_indices_table_shows_an_arm_label_as_written(
    tiny_sensitivity_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An arm's label in square brackets is printed, not read as rich markup."""
    import dataclasses

    from simulator.cli.console import print_indices
    from simulator.experiments.sensitivity import load_sensitivity

    monkeypatch.setenv("COLUMNS", "120")
    result = load_sensitivity(tiny_sensitivity_dir)
    assert result.scenario is not None
    arm = next(o for o, _ in result.outputs)
    arms = dict(result.scenario.arms)
    arms[arm] = arms[arm].model_copy(update={"label": "[bold]Free[/bold]"})
    labelled = dataclasses.replace(
        result, scenario=result.scenario.model_copy(update={"arms": arms})
    )
    print_indices(labelled)
    assert "[bold]Free[/bold]" in capsys.readouterr().out


def test_a_tiny_analysis_writes_indices_charts_and_report(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    small_overrides: list[str],
) -> None:
    out = tmp_path / "out"
    args = ["sensitivity", str(PAID_VS_FREE), "--param", "world.jobs.ghost_share=0.0:0.3"]
    args += ["--method", "morris", "--samples", "2", "--replications", "2", "--arm-only"]
    args += ["--out", str(out), "--workers", "1"]
    args += ["--metric", "earnings_usd_per_freelancer_month", "--metric", "fill_rate"]
    for text in small_overrides:
        args += ["--set", text]
    monkeypatch.setattr(sys, "argv", ["connectsim", *args])
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 0
    stdout = capsys.readouterr().out
    assert "morris sensitivity of free" in stdout
    assert "mu* [95% CI]" in stdout and "noise share" in stdout and "dummy" in stdout
    report = (out / "report" / "sensitivity.md").read_text()
    assert "world.jobs.ghost_share" in report and "Noise share" in report
    assert "connectsim sensitivity" in report
    for ext in ("png", "svg"):
        assert (out / "report" / "charts" / f"indices_free.{ext}").stat().st_size > 0
    indices = pd.read_csv(out / "summary" / "indices.csv")
    assert set(indices["metric"]) == {"earnings_usd_per_freelancer_month", "fill_rate"}
    assert "--metric earnings_usd_per_freelancer_month --metric fill_rate" in report
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"].startswith(f"connectsim sensitivity {PAID_VS_FREE} --param")
    assert manifest["command"] in report
    assert not list(out.rglob("*.tmp"))
