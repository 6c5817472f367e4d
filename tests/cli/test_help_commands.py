"""Help that helps: placeholders in ``--help``, and the commands that show, compare,
start and estimate scenarios and experiments (show, diff, init, --dry-run), and
the per-batch lines of ``--precision``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from simulator import cli
from simulator.catalog import fmt
from simulator.config.loading import load_scenario
from simulator.experiments import stats
from tests.conftest import PAID_VS_FREE, RunMain, YamlWriter

COMMANDS = sorted(typer.main.get_command(cli.app).commands)  # type: ignore[attr-defined]
TYPE_PLACEHOLDER = re.compile(r"<(bool|str|int|float|path|list\[[^\]]*\]|[a-z]+ range)>")


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(cli.app, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_shows_words_not_python_types(command: str) -> None:
    text = _help([command, "--help"] if command else ["--help"])
    assert TYPE_PLACEHOLDER.findall(text) == [], text


def test_help_names_what_each_option_takes() -> None:
    text = _help(["run", "--help"])
    rows = {line.split()[1]: line for line in text.splitlines() if line.startswith("│ --")}
    assert "PATH=VALUE" in rows["--set"]
    assert "DIR" in rows["--out"]
    assert re.search(r"--replications\s+-n\s+N\b", rows["--replications"])
    # a flag takes no value: nothing between its name and its help
    assert re.search(r"--overwrite\s+Replace", rows["--overwrite"])
    assert "{SCENARIO}" in text


# ------------------------------------------------------------------ init


def test_init_writes_a_commented_scenario_that_validates(
    run_main: RunMain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["init", "my_market"])
    assert (code, err) == (0, "")
    written = tmp_path / "my_market.yaml"
    assert f"scenario: {written.name}" in out
    text = written.read_text(encoding="utf-8")
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 5
    code, out, err = run_main(["validate", str(written)])
    assert (code, err) == (0, "")
    assert "my_market (2 arms)" in out
    assert load_scenario(written).name == "my_market"


def test_init_refuses_an_existing_file_and_an_unsafe_name(
    run_main: RunMain, tmp_path: Path
) -> None:
    target = tmp_path / "mine.yaml"
    target.write_text("keep me", encoding="utf-8")
    code, _, err = run_main(["init", "mine", "--out", str(target)])
    assert code == 2 and "already exists" in err and len(err.splitlines()) == 1
    assert target.read_text(encoding="utf-8") == "keep me"
    code, _, err = run_main(["init", "mine", "--out", str(target), "--overwrite"])
    assert code == 0 and load_scenario(target).name == "mine"
    code, _, err = run_main(["init", "../escape", "--out", str(tmp_path / "x.yaml")])
    assert code == 2 and "not a safe file name" in err
    assert not (tmp_path / "x.yaml").exists()


# ------------------------------------------------------------------ show


def test_show_prints_the_resolved_scenario_and_where_each_value_comes_from(
    run_main: RunMain, tmp_path: Path
) -> None:
    code, out, err = run_main(["show", str(PAID_VS_FREE), "--set", "run.horizon_days=45"])
    assert (code, err) == (0, "")
    # the output is itself the resolved scenario, --set applied and defaults written out
    shown = tmp_path / "shown.yaml"
    shown.write_text(out, encoding="utf-8")
    assert load_scenario(shown) == load_scenario(PAID_VS_FREE, ["run.horizon_days=45"])
    comments = out[out.index("# differences from") :].splitlines()
    set_at = comments.index("# --set run.horizon_days=45 (1 field):")
    assert comments[set_at + 1] == "#   run.horizon_days: 45.0 (without it: 180.0)"
    # paid_vs_free.yaml does not write its regions: base/default_world.yaml does
    assert any(line.startswith("# extends base/default_world.yaml (") for line in comments)
    assert "#   world.regions.africa.monthly_income_usd: 120.0" in comments
    # nor the clients' noise: the schema's default
    default_at = comments.index(next(c for c in comments if c.startswith("# default (")))
    assert "#   world.clients.noise_sd: 0.25" in comments[default_at:]
    # a field the file writes itself is not a difference
    assert not any(line.startswith("#   arms.paid.price_usd_per_connect") for line in comments)


def test_show_refuses_a_bad_override(run_main: RunMain) -> None:
    code, out, err = run_main(["show", str(PAID_VS_FREE), "--set", "run.horizon_days=-1"])
    assert code == 2 and out == "" and "run.horizon_days" in err


# ------------------------------------------------------------------ diff


def test_diff_of_two_scenarios_lists_the_fields_that_differ(
    run_main: RunMain, tiny_yaml: YamlWriter
) -> None:
    other = tiny_yaml(
        "other.yaml",
        {
            "extends": str(PAID_VS_FREE),
            "world": {"jobs": {"ghost_share": 0.25}},
            "arms": {"paid": {"price_usd_per_connect": 0.3}},
        },
    )
    code, out, err = run_main(["diff", str(PAID_VS_FREE), str(other)])
    assert (code, err) == (0, "")
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert set(rows) == {"world.jobs.ghost_share", "arms.paid.price_usd_per_connect"}
    assert "0.25" in rows["world.jobs.ghost_share"] and "0.1" in rows["world.jobs.ghost_share"]
    assert "2 fields differ" in out
    code, out, _ = run_main(["diff", str(PAID_VS_FREE), str(PAID_VS_FREE)])
    assert code == 0 and out.strip().endswith("no field differs") and "│" not in out


def test_diff_refuses_a_file_against_a_directory(run_main: RunMain, tmp_path: Path) -> None:
    code, out, err = run_main(["diff", str(PAID_VS_FREE), str(tmp_path)])
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "two scenario files or two study directories" in err


def test_diff_of_two_studies_shows_fields_then_metrics_side_by_side(
    run_main: RunMain, tiny_study_dir: Path, tmp_path: Path, small_overrides: list[str]
) -> None:
    from simulator.experiments.study import load_study, run_study

    other = tmp_path / "other"
    cheaper = load_scenario(PAID_VS_FREE, [*small_overrides, "arms.paid.price_usd_per_connect=0.3"])
    run_study(cheaper, replications=2, seed=5, workers=1, out=other)
    code, out, err = run_main(["diff", str(tiny_study_dir), str(other)])
    assert (code, err) == (0, "")
    fields, metrics = out.split("headline metrics")
    # a long value folds onto more lines, whose field column is empty
    cells = [line.split("│")[1].strip() for line in fields.splitlines() if "│" in line]
    rows = [name for name in cells if name]
    # the --set price also marks the arm's label as modified (it would state $0.15)
    assert rows == ["arms.paid.label", "arms.paid.price_usd_per_connect", "study.root_seed"]
    a, b = load_study(tiny_study_dir), load_study(other)
    for study, column in ((a, 3), (b, 4)):
        mean = stats.row(study.levels(), "paid", "proposals_per_job")["mean"]
        row = next(line for line in metrics.splitlines() if "proposals per post" in line)
        assert row.split("│")[column].strip().startswith(fmt("proposals_per_job", mean))


# ------------------------------------------------------------------ --precision


def test_precision_prints_a_line_per_batch(
    run_main: RunMain, tmp_path: Path, small_overrides: list[str]
) -> None:
    out_dir = tmp_path / "study"
    sets = [word for text in small_overrides for word in ("--set", text)]
    args = ["run", str(PAID_VS_FREE), *sets, "-n", "2", "--precision", "0.001"]
    args += ["--max-replications", "4", "--workers", "1", "--no-report", "--out", str(out_dir)]
    code, out, err = run_main(args)
    assert code == 0, err
    batches = [line for line in out.splitlines() if line.startswith("batch ")]
    pattern = re.compile(
        r"batch (\d+): (\d+) replications per arm, (\d) of (\d) headline differences within "
        r"target; widest \w+ \(free\) at [\d.]+ of its target; (?:next batch to (\d+) per arm"
        r"|done|--max-replications reached)$"
    )
    found = [pattern.match(line) for line in batches]
    assert all(found), batches
    numbers = [m.groups() for m in found if m is not None]
    # a 0.1% target is out of reach in 4 replications: two batches, then the cap
    assert [(n[0], n[1], n[4]) for n in numbers] == [("1", "2", "4"), ("2", "4", None)]
    assert batches[-1].endswith("--max-replications reached")
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["replications"] == 4


# ------------------------------------------------------------------ --dry-run

DRY_TIME = re.compile(
    r"^time: (?P<runs>[\d to]+) runs: (?:about )?.*; about (?P<each>[\d.]+) s a run: one "
    r"replication of each arm timed here over (?P<timed>[\d.]+) of its (?P<total>[\d.]+) "
    r"simulated days \((?P<arms>[^)]*)\), scaled to the whole run$"
)


def _dry_lines(out: str) -> dict[str, str]:
    return {line.split(":")[0]: line for line in out.splitlines() if ":" in line}


def test_run_dry_run_counts_the_runs_and_writes_nothing(
    run_main: RunMain, tmp_path: Path, small_overrides: list[str]
) -> None:
    from simulator.engine.resources import estimate_replication_bytes

    target = tmp_path / "study"
    sets = [word for text in small_overrides for word in ("--set", text)]
    args = ["run", str(PAID_VS_FREE), *sets, "-n", "3", "--out", str(target), "--workers", "1"]
    code, out, err = run_main([*args, "--dry-run"])
    assert code == 0, err
    assert not target.exists()
    lines = _dry_lines(out)
    assert lines["dry run, nothing run or written"].endswith(": 6 runs (arm x replication)")
    timed = DRY_TIME.match(lines["time"])
    assert timed is not None, lines["time"]
    assert timed["runs"] == "6"
    # the small world runs 15 + 45 days, timed over the first 30
    assert (timed["timed"], timed["total"]) == ("30", "60")
    assert [part.split()[0] for part in timed["arms"].split(", ")] == ["paid", "free"]
    mib = estimate_replication_bytes(load_scenario(PAID_VS_FREE, small_overrides)) / 1024**2
    assert lines["memory"].startswith(f"memory: about {mib:.0f} MiB a run")


def test_run_dry_run_with_a_precision_target_gives_the_range(
    run_main: RunMain, small_overrides: list[str], tmp_path: Path
) -> None:
    sets = [word for text in small_overrides for word in ("--set", text)]
    args = ["run", str(PAID_VS_FREE), *sets, "-n", "2", "--precision", "0.05"]
    args += ["--max-replications", "5", "--dry-run", "--out", str(tmp_path / "s")]
    code, out, err = run_main(args)
    assert code == 0, err
    timed = DRY_TIME.match(_dry_lines(out)["time"])
    assert timed is not None and timed["runs"] == "4 to 10"


def test_sweep_dry_run_counts_a_shared_arm_once(
    run_main: RunMain, small_overrides: list[str], tmp_path: Path
) -> None:
    from tests.conftest import SWEEP_SCENARIO

    target = tmp_path / "sweep"
    sets = [word for text in small_overrides for word in ("--set", text)]
    args = ["sweep", str(SWEEP_SCENARIO), *sets, "-n", "2", "--out", str(target), "--dry-run"]
    code, out, err = run_main([*args, "--vary", "arms.allowance.price_usd_per_connect=0.15,0.3"])
    assert code == 0, err
    # 2 points x 2 arms x 2 replications, the baseline's 2 shared by both points
    assert "= 8 runs" in out
    assert _dry_lines(out)["dry run, nothing run or written"].endswith(
        ": 6 runs (arm x replication)"
    )
    assert not target.exists()


def test_sensitivity_dry_run_times_only_the_arms_it_runs(
    run_main: RunMain, small_overrides: list[str], tmp_path: Path
) -> None:
    target = tmp_path / "sa"
    sets = [word for text in small_overrides for word in ("--set", text)]
    args = ["sensitivity", str(PAID_VS_FREE), *sets, "--param", "world.jobs.ghost_share=0:0.3"]
    args += ["--method", "morris", "--samples", "2", "--arm-only", "--dry-run"]
    code, out, err = run_main([*args, "--out", str(target), "--workers", "1"])
    assert code == 0, err
    timed = DRY_TIME.match(_dry_lines(out)["time"])
    assert timed is not None
    # 2 distinct points x 2 replications, the free arm only
    assert timed["runs"] == "4"
    assert [part.split()[0] for part in timed["arms"].split(", ")] == ["free"]
    assert not target.exists()
