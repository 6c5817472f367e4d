"""``connectsim sweep FILE`` from the scenario's own ``sweep:`` block: a tiny break-even
sweep end to end (table printed, CSV, report section and chart), and ``--vary``
replacing the block's axes."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from simulator.experiments.break_even import RESULT_COLUMNS, break_even, number
from simulator.experiments.sweep import load_sweep

REPO_ROOT = Path(__file__).resolve().parents[2]
BREAK_EVEN = REPO_ROOT / "scenarios" / "break_even.yaml"
GRANT = "arms.free.monthly_grant.basic"
CASH = "world.population.budget.outside_cash_share_median"

RunMain = Callable[[list[str]], tuple[int, str, str]]
YamlWriter = Callable[[str, str | Mapping[str, Any]], Path]


@pytest.fixture
def tiny_break_even(tiny_yaml: YamlWriter) -> Path:
    """break_even.yaml with a block of 2 allowances at 1 cash level."""
    return tiny_yaml(
        "tiny_break_even.yaml",
        {
            "extends": str(BREAK_EVEN),
            "schema_version": 2,
            "name": "tiny_break_even",
            # lists replace what the file extends: these are the axes
            "sweep": {"vary": [f"{GRANT}=10,240", f"{CASH}=0.01"]},
        },
    )


def sweep_args(path: Path, out: Path, overrides: list[str], *more: str) -> list[str]:
    args = ["sweep", str(path), "--replications", "2", "--workers", "1", "--out", str(out)]
    for text in overrides:
        args += ["--set", text]
    return [*args, *more]


def test_a_sweep_from_the_files_block_answers_its_break_even_question(
    tiny_break_even: Path, tmp_path: Path, run_main: RunMain, small_overrides: list[str]
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run_main(sweep_args(tiny_break_even, out, small_overrides))
    assert code == 0, stderr
    assert "grid of 2 points x 2 arms x 2 replications" in stdout
    assert "break-even, 2 replications, 95% CIs" in stdout
    assert "warning" not in stderr

    table = pd.read_csv(out / "summary" / "break_even.csv")
    assert table.columns.tolist() == [CASH, *RESULT_COLUMNS]
    assert table[CASH].tolist() == [0.01]
    # a crossing exactly when the difference changes sign between the two allowances
    diff = pd.read_csv(out / "summary" / "differences.csv")
    rows = diff[
        (diff["arm"] == "free")
        & (diff["metric"] == "proposals_per_job")
        & (diff["segment_kind"] == "overall")
    ].sort_values(GRANT)
    ends = rows["mean"].tolist()
    found = table.iloc[0]
    if ends[0] * ends[1] < 0:
        assert 10 < found["break_even"] < 240
        assert found["status"] == "crosses zero once"
    else:
        assert math.isnan(found["break_even"]) and found["status"].startswith("no crossing")

    # the manifest records the question and a command without --vary
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["design"]["axes_from"] == "scenario"
    assert manifest["design"]["break_even"]["along"] == GRANT
    assert "--vary" not in manifest["command"]

    report = (out / "report" / "sweep.md").read_text(encoding="utf-8")
    assert "## Break-even" in report
    section = report.split("## Break-even", 1)[1].split("\n## ", 1)[0]
    assert (
        "| outside_cash_share_median | break-even monthly_grant.basic | 95% interval |" in section
    )
    assert "](charts/break_even.png)" in section
    assert str(found["interval"]) in section
    for ext in ("png", "svg"):
        assert (out / "report" / "charts" / f"break_even.{ext}").stat().st_size > 1000
    assert "Break-even" in (out / "report" / "index.html").read_text(encoding="utf-8")

    # read back from the directory, the sweep asks the same question, with the same answer
    again = load_sweep(out)
    assert again.plan.break_even is not None and again.plan.break_even.along == GRANT
    pd.testing.assert_frame_equal(
        break_even(again).reset_index(drop=True), table, check_dtype=False
    )


def test_vary_replaces_the_files_axes_and_skips_a_question_it_no_longer_asks(
    tiny_break_even: Path, tmp_path: Path, run_main: RunMain, small_overrides: list[str]
) -> None:
    out = tmp_path / "other"
    args = sweep_args(tiny_break_even, out, small_overrides, "--vary", "world.jobs.ghost_share=0.1")
    code, stdout, stderr = run_main([*args, "--no-report"])
    assert code == 0, stderr
    assert "grid of 1 points x 2 arms" in stdout
    assert "break-even" not in stdout
    warning = [line for line in stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and f"do not vary {GRANT}" in warning[0]
    points = pd.read_csv(out / "summary" / "points.csv")
    assert points.columns.tolist() == ["point", "world.jobs.ghost_share"]
    assert not (out / "summary" / "break_even.csv").exists()


def test_a_bad_axis_in_the_block_is_one_line_naming_the_files_field(
    tiny_yaml: YamlWriter, tmp_path: Path, run_main: RunMain
) -> None:
    path = tiny_yaml(
        "bad.yaml",
        {"extends": str(BREAK_EVEN), "schema_version": 2, "sweep": {"vary": [f"{GRANT}=10,-5"]}},
    )
    out = tmp_path / "bad_out"
    code, stdout, stderr = run_main(["sweep", str(path), "--out", str(out)])
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert f"{path}: sweep.vary, point p001 ({GRANT}=-5)" in lines[0]
    assert "got -5" in lines[0] and "--vary" not in lines[0]
    assert stdout.strip() == "" and not out.exists()


def test_a_studys_report_gives_the_break_even_of_a_sweep_of_its_scenario(
    tiny_break_even: Path, tmp_path: Path, run_main: RunMain, small_overrides: list[str]
) -> None:
    study, sweep, other = tmp_path / "study", tmp_path / "sweep", tmp_path / "other"
    sets = [arg for text in small_overrides for arg in ("--set", text)]
    code, _, stderr = run_main(
        ["run", str(tiny_break_even), "-n", "2", "--workers", "1", "--out", str(study), *sets]
    )
    assert code == 0, stderr
    code, _, stderr = run_main(sweep_args(tiny_break_even, sweep, small_overrides, "--no-report"))
    assert code == 0, stderr

    code, stdout, stderr = run_main(["report", str(study), "--break-even", str(sweep)])
    assert code == 0, stderr
    assert stdout.strip() == str(study / "report" / "index.html")
    page = (study / "report" / "report.md").read_text(encoding="utf-8")
    section = page[page.index("### Where the answer changes sign") : page.index("## The scenario")]
    answer = break_even(load_sweep(sweep)).iloc[0]
    at = float(answer["break_even"])
    shown = "-" if math.isnan(at) else number(at)
    assert f"| 0.01 | {shown} | {answer['interval']} | {answer['status']} |" in section
    # without --break-even the section is not there, only where to find it
    code, _, stderr = run_main(["report", str(study)])
    assert code == 0, stderr
    page = (study / "report" / "report.md").read_text(encoding="utf-8")
    assert "Where the answer changes sign" not in page and "--break-even" in page

    # a sweep of another world does not answer for the study: exit 2, one line, naming
    # the field, and the study's report is left as it was
    changed = [*small_overrides, "world.jobs.ghost_share=0.3"]
    code, _, stderr = run_main(sweep_args(tiny_break_even, other, changed, "--no-report"))
    assert code == 0, stderr
    before = (study / "report" / "report.md").read_bytes()
    code, _, stderr = run_main(["report", str(study), "--break-even", str(other)])
    assert code == 2
    assert "world.jobs.ghost_share" in stderr and len(stderr.strip().splitlines()) == 1
    assert (study / "report" / "report.md").read_bytes() == before
    # and a study is not a sweep
    code, _, stderr = run_main(["report", str(study), "--break-even", str(study)])
    assert code == 2 and "not a sweep" in stderr
