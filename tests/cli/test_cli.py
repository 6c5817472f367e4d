"""The ``connectsim`` command line, used as a user uses it.

Happy paths go through typer's CliRunner on :data:`simulator.cli.app`. Bad
input goes through the real error boundary, :func:`simulator.cli.main`: in
process (``sys.argv`` patched, ``SystemExit`` caught) for every kind of bad
input, and as a real subprocess of the installed ``connectsim`` script for a
representative subset. Every bad input must give exit code 2, exactly one
line on stderr naming the file, the field path and the bad value, no
traceback, and no results directory.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator import cli
from simulator.config.loading import resolve_file
from simulator.errors import ScenarioError

REPO_ROOT = Path(__file__).resolve().parents[2]
PAID_VS_FREE = REPO_ROOT / "scenarios" / "paid_vs_free.yaml"
# every shipped scenario; base/ holds shared parts, not scenarios
SCENARIO_FILES = sorted(
    p
    for p in (REPO_ROOT / "scenarios").rglob("*.yaml")
    if not {"base", "targets"} & set(p.parent.parts)
)

YamlWriter = Callable[[str, str | Mapping[str, Any]], Path]


def connectsim_script() -> Path:
    """The installed console script (the virtualenv's, else the one on PATH)."""
    beside = Path(sys.executable).parent / "connectsim"
    if beside.is_file():
        return beside
    found = shutil.which("connectsim")
    if found is None:
        pytest.fail("the connectsim script is not installed (pip install -e .)")
    return Path(found)


def run_script(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real ``connectsim`` script, without colours, in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "COLUMNS"}}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [str(connectsim_script()), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def assert_one_line_error(stdout: str, stderr: str, expected: tuple[str, ...]) -> None:
    """Exactly one line on stderr, starting 'error:', naming everything expected."""
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{stderr}"
    line = lines[0]
    assert line.startswith("error: "), line
    for text in expected:
        assert text in line, f"{text!r} not in {line!r}"
    assert stdout.strip() == "", f"nothing should be printed on stdout, got {stdout!r}"


def scenario_data() -> dict[str, Any]:
    """The seed scenario as plain data (``extends:`` resolved), to be spoiled by a test."""
    return resolve_file(PAID_VS_FREE)


# ----------------------------------------------------------------- bad input
@dataclass(frozen=True)
class BadInput:
    """One kind of bad input: the files to write, the arguments, what the error names."""

    files: dict[str, str | dict[str, Any]]
    scenario: str
    extra_args: tuple[str, ...] = ()
    expected: tuple[str, ...] = field(default_factory=tuple)


def _spoil(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = scenario_data()
    change(data)
    return data


def _unknown_field(d: dict[str, Any]) -> None:
    d["world"]["population"]["freelancer"] = 10


def _wrong_type(d: dict[str, Any]) -> None:
    d["world"]["population"]["freelancers"] = "many"


def _negative_rate(d: dict[str, Any]) -> None:
    d["world"]["regions"]["south_asia"]["typical_rate_usd_per_hour"] = -3


def _bad_shares(d: dict[str, Any]) -> None:
    d["world"]["regions"]["south_asia"]["share"] = 0.6  # total 1.1


def _barter(d: dict[str, Any]) -> None:
    d["arms"]["free"]["kind"] = "barter"


BAD_INPUTS: dict[str, BadInput] = {
    "missing_file": BadInput(
        files={}, scenario="missing.yaml", expected=("missing.yaml", "file not found")
    ),
    "malformed_yaml": BadInput(
        files={"broken.yaml": "name: broken\nworld:\n  regions: [1, 2\narms: {}\n"},
        scenario="broken.yaml",
        expected=("broken.yaml:4:", "malformed YAML"),
    ),
    "unknown_field": BadInput(
        files={"typo.yaml": _spoil(_unknown_field)},
        scenario="typo.yaml",
        expected=("typo.yaml", "world.population.freelancer:", "no such field", "10"),
    ),
    "wrong_type": BadInput(
        files={"many.yaml": _spoil(_wrong_type)},
        scenario="many.yaml",
        expected=("many.yaml", "world.population.freelancers:", "integer", "'many'"),
    ),
    "negative_rate": BadInput(
        files={"negative.yaml": _spoil(_negative_rate)},
        scenario="negative.yaml",
        expected=(
            "negative.yaml",
            "world.regions.south_asia.typical_rate_usd_per_hour",
            "greater than 0",
            "-3",
        ),
    ),
    "region_shares": BadInput(
        files={"shares.yaml": _spoil(_bad_shares)},
        scenario="shares.yaml",
        expected=("shares.yaml", "world.regions:", "region shares must sum to 1", "1.1"),
    ),
    "unknown_policy_kind": BadInput(
        files={"barter.yaml": _spoil(_barter)},
        scenario="barter.yaml",
        expected=("barter.yaml", "arms.free.kind:", "'barter' is not one of paid, free"),
    ),
    "extends_cycle": BadInput(
        files={
            "a.yaml": "extends: b.yaml\nname: a\n",
            "b.yaml": "extends: a.yaml\nname: b\n",
        },
        scenario="a.yaml",
        expected=("b.yaml", "extends", "cycle", "a.yaml -> b.yaml -> a.yaml"),
    ),
    "set_bad_path": BadInput(
        files={"good.yaml": scenario_data()},
        scenario="good.yaml",
        extra_args=("--set", "world.population.nonexistent=3"),
        expected=("good.yaml", "--set", "world.population.nonexistent", "no such field", "3"),
    ),
    "set_bad_value": BadInput(
        files={"good.yaml": scenario_data()},
        scenario="good.yaml",
        extra_args=("--set", "run.horizon_days=abc"),
        expected=("good.yaml", "--set", "run.horizon_days", "'abc'"),
    ),
    "set_without_equals": BadInput(
        files={"good.yaml": scenario_data()},
        scenario="good.yaml",
        extra_args=("--set", "run.horizon_days"),
        expected=("--set", "'run.horizon_days'", "PATH=VALUE"),
    ),
}

# a representative subset through the real script (each run costs a Python start-up)
SUBPROCESS_CASES = ("missing_file", "wrong_type", "extends_cycle", "set_without_equals")


def _prepare(case: BadInput, tiny_yaml: YamlWriter, tmp_path: Path) -> tuple[list[str], Path]:
    for name, content in case.files.items():
        tiny_yaml(name, content)
    out = tmp_path / "results"
    args = ["run", str(tmp_path / case.scenario), *case.extra_args, "--out", str(out)]
    args += ["-n", "1", "--workers", "1"]
    return args, out


def _assert_nothing_written(tmp_path: Path, out: Path) -> None:
    assert not out.exists(), "a failed run must not create its results directory"
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_bad_input_in_process_boundary(
    kind: str,
    tiny_yaml: YamlWriter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    run_main: Callable[[list[str]], tuple[int, str, str]],
) -> None:
    case = BAD_INPUTS[kind]
    args, out = _prepare(case, tiny_yaml, tmp_path)
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run_main(args)
    assert code == 2
    assert_one_line_error(stdout, stderr, case.expected)
    _assert_nothing_written(tmp_path, out)


@pytest.mark.parametrize("kind", SUBPROCESS_CASES)
def test_bad_input_real_script(kind: str, tiny_yaml: YamlWriter, tmp_path: Path) -> None:
    case = BAD_INPUTS[kind]
    args, out = _prepare(case, tiny_yaml, tmp_path)
    proc = run_script(args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert_one_line_error(proc.stdout, proc.stderr, case.expected)
    _assert_nothing_written(tmp_path, out)


OPTION_ERRORS = {
    "replications_over_cap": (["run", "{s}", "-n", "1000000"], ("--replications", "10000")),
    "seed_over_64_bits": (
        ["run", "{s}", "--seed", "18446744073709551616"],
        ("--seed", "9223372036854775807"),
    ),
    "unknown_option": (["run", "{s}", "--bogus"], ("--bogus", "connectsim run --help")),
    "missing_argument": (["run"], ("Missing argument", "connectsim run --help")),
    "unknown_command": (["runn"], ("No such command", "'run'")),
}


@pytest.mark.parametrize("kind", list(OPTION_ERRORS))
def test_option_errors_are_one_line(
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_main: Callable[[list[str]], tuple[int, str, str]],
) -> None:
    """Errors that click finds while parsing options get the same single line as
    every other refusal, not a boxed panel."""
    args, expected = OPTION_ERRORS[kind]
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run_main([a.format(s=PAID_VS_FREE) for a in args])
    assert code == 2
    assert_one_line_error(stdout, stderr, expected)
    assert not (tmp_path / "reports").exists()


def test_debug_shows_the_traceback(tiny_yaml: YamlWriter, tmp_path: Path) -> None:
    tiny_yaml("typo.yaml", BAD_INPUTS["unknown_field"].files["typo.yaml"])
    out = tmp_path / "results"
    proc = run_script(["--debug", "run", str(tmp_path / "typo.yaml"), "--out", str(out)], tmp_path)
    assert proc.returncode not in (0, 2)
    assert "Traceback" in proc.stderr
    assert "ScenarioError" in proc.stderr
    assert "world.population.freelancer" in proc.stderr
    assert not out.exists()


def test_debug_in_process_reraises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_yaml: YamlWriter
) -> None:
    tiny_yaml("typo.yaml", BAD_INPUTS["unknown_field"].files["typo.yaml"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["connectsim", "--debug", "run", "typo.yaml"])
    with pytest.raises(ScenarioError, match=r"world\.population\.freelancer"):
        cli.main()


def test_debug_applies_to_validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_yaml: YamlWriter
) -> None:
    tiny_yaml("typo.yaml", BAD_INPUTS["unknown_field"].files["typo.yaml"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["connectsim", "--debug", "validate", "typo.yaml"])
    with pytest.raises(ScenarioError, match=r"world\.population\.freelancer"):
        cli.main()


# ------------------------------------------------------------------ validate
@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.name for p in SCENARIO_FILES])
def test_validate_every_shipped_scenario(path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok ")
    assert path.name in result.stdout
    assert result.stderr == ""


def test_validate_all_shipped_files_real_script(tmp_path: Path) -> None:
    """Every shipped YAML file passes, the base files that scenarios extend included,
    each said to be a base in its ok line."""
    shipped = sorted((REPO_ROOT / "scenarios").rglob("*.yaml"))
    targets = [p for p in shipped if "targets" in p.parent.parts]
    bases = [p for p in shipped if p not in SCENARIO_FILES and p not in targets]
    assert targets
    assert len(SCENARIO_FILES) >= 2 and bases
    proc = run_script(["validate", *map(str, shipped)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ok_lines = [line for line in proc.stdout.splitlines() if line.startswith("ok ")]
    assert len(ok_lines) == len(shipped), proc.stdout
    assert proc.stderr == ""
    for base in bases:
        assert f"ok {base}: a base file to extend (no arms): world and run valid" in ok_lines
    for path in targets:
        assert any(line.startswith(f"ok {path}: a targets file: ") for line in ok_lines)


def test_validate_ok_line_is_one_line_for_a_long_path(tmp_path: Path) -> None:
    deep = tmp_path / ("a_directory_with_a_rather_long_name_" * 3)
    # the whole directory: the scenario extends a file beside it
    shutil.copytree(PAID_VS_FREE.parent, deep)
    copy = deep / "paid_vs_free.yaml"
    proc = run_script(["validate", str(copy)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"ok {copy}: paid_vs_free (2 arms)"]


def test_validate_bad_file_exits_2(tiny_yaml: YamlWriter, tmp_path: Path) -> None:
    bad = tiny_yaml("many.yaml", BAD_INPUTS["wrong_type"].files["many.yaml"])
    proc = run_script(["validate", str(PAID_VS_FREE), str(bad)], cwd=tmp_path)
    assert proc.returncode == 2
    assert_one_line_error("", proc.stderr, BAD_INPUTS["wrong_type"].expected)
    # the good file is still reported as fine
    assert proc.stdout.strip().splitlines() == [
        f"ok {PAID_VS_FREE}: paid_vs_free (2 arms)",
    ]


def test_validate_bad_file_in_process(tiny_yaml: YamlWriter) -> None:
    bad = tiny_yaml("negative.yaml", BAD_INPUTS["negative_rate"].files["negative.yaml"])
    result = CliRunner().invoke(cli.app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert_one_line_error(result.stdout, result.stderr, BAD_INPUTS["negative_rate"].expected)


def test_validate_applies_set_overrides() -> None:
    result = CliRunner().invoke(
        cli.app, ["validate", str(PAID_VS_FREE), "--set", "run.horizon_days=-1"]
    )
    assert result.exit_code == 2
    assert "run.horizon_days" in result.stderr
    assert "-1" in result.stderr


def test_validate_shows_every_problem_once(tiny_yaml: YamlWriter, tmp_path: Path) -> None:
    """Three problems, three error lines (none swallowed as markup), each once."""
    proc = run_script(
        [
            "validate",
            str(PAID_VS_FREE),
            "--set",
            "arms.paid.price_usd_per_conect=0.3",
            "--set",
            "arms.free.kind=fre",
            "--set",
            "run.horizon_days=-1",
        ],
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    source = f"{PAID_VS_FREE} (with --set)"
    lines = proc.stderr.strip().splitlines()
    assert sorted(lines) == sorted(
        [
            f"error: {source}: arms.paid.price_usd_per_conect: no such field (got 0.3); "
            "did you mean price_usd_per_connect?",
            f"error: {source}: arms.free.kind: 'fre' is not one of paid, free; did you mean free?",
            f"error: {source}: run.horizon_days: Input should be greater than 0 (got -1)",
        ]
    ), proc.stderr
    assert proc.stdout == ""


def test_validate_a_base_file_with_problems_names_them_all(tmp_path: Path) -> None:
    base = REPO_ROOT / "scenarios" / "base" / "default_world.yaml"
    result = CliRunner().invoke(
        cli.app,
        ["validate", str(base), "--set", "world.regions.south_asia.shar=3", "--set", "nme=x"],
    )
    assert result.exit_code == 2
    source = f"{base} (with --set)"
    assert result.stderr.strip().splitlines() == [
        f"error: {source}: world.regions.south_asia.shar: no such field (got 3); "
        "did you mean share?",
        f"error: {source}: nme: no such field; did you mean name?",
    ]


def test_validate_shows_user_text_that_looks_like_markup(tmp_path: Path) -> None:
    """A value in square brackets is printed as written, not read as rich markup."""
    result = CliRunner().invoke(
        cli.app, ["validate", str(PAID_VS_FREE), "--set", "name='[bold]x[/bold]'"]
    )
    assert result.exit_code == 2
    assert "(got '[bold]x[/bold]')" in result.stderr, result.stderr


def test_validate_set_error_names_the_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["validate", str(PAID_VS_FREE), "--set", "oops"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --set 'oops': expected PATH=VALUE, e.g. run.horizon_days=90"
    ]


def test_run_on_a_base_file_says_how_many_more_problems(
    run_main: Callable[[list[str]], tuple[int, str, str]], tmp_path: Path
) -> None:
    """One line, its count of further problems shown (rich once ate it as markup)."""
    base = REPO_ROOT / "scenarios" / "base" / "default_world.yaml"
    code, stdout, stderr = run_main(["run", str(base), "--out", str(tmp_path / "out")])
    assert code == 2
    assert_one_line_error(stdout, stderr, (str(base), "name: Field required"))
    assert stderr.strip().endswith("[and 2 more problems]"), stderr
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------- happy path
def reproduce_words(report: str) -> list[str]:
    """The command under the report's 'Reproduce' heading, split as a shell would."""
    assert "## Reproduce" in report
    section = report.split("## Reproduce", 1)[1]
    line = next(text for text in section.splitlines() if text.strip())
    return shlex.split(line)


def option_values(words: list[str], option: str) -> list[str]:
    """Every value given to ``option`` in a command."""
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == option]


def _run_small(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_overrides: list[str],
    leading: list[str],
    replications: int,
) -> tuple[int, str, Path]:
    """``connectsim [leading] run <small scenario> ...`` through CliRunner, with
    ``sys.argv`` set as the script would see it."""
    out = tmp_path / "results"
    sets = [a for s in small_overrides for a in ("--set", s)]
    args = [*leading, "run", str(PAID_VS_FREE), *sets]
    args += ["-n", str(replications), "--workers", "1", "--out", str(out)]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["connectsim", *args])
    result = CliRunner().invoke(cli.app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, out


def test_run_small_scenario_writes_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_overrides: list[str]
) -> None:
    code, stdout, out = _run_small(tmp_path, monkeypatch, small_overrides, [], 2)
    assert code == 0, stdout
    assert (out / "manifest.json").is_file()
    for arm in ("paid", "free"):
        for rep in ("00000", "00001"):
            assert (out / "replications" / arm / f"{rep}.metrics.parquet").is_file()
    assert not list((out / "replications").glob("*/00002.*"))
    assert (out / "summary" / "levels.csv").is_file()
    assert (out / "summary" / "differences.csv").is_file()
    assert (out / "report" / "index.html").is_file()
    assert (out / "report" / "report.md").is_file()
    assert (out / "report" / "charts" / "region_comparison.png").stat().st_size > 1000
    assert (out / "report" / "charts" / "region_comparison.svg").is_file()
    assert not (out / "report.md").exists() and not (out / "charts").exists()
    assert not list(out.rglob("*.tmp")), "atomic writes left temporary files behind"
    assert not (tmp_path / "reports").exists(), "--out must be honoured"

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["replications"] == 2
    assert manifest["finished"] is not None
    world = manifest["scenario"]["world"]
    assert world["population"]["freelancers"] == 300  # the --set overrides were applied
    assert world["jobs"]["jobs_per_day"] == 25
    assert manifest["scenario"]["run"]["horizon_days"] == 45

    levels = pd.read_csv(out / "summary" / "levels.csv")
    assert set(levels["arm"]) == {"paid", "free"}
    differences = pd.read_csv(out / "summary" / "differences.csv")
    assert set(differences["arm"]) == {"free"}

    metrics = pd.read_parquet(out / "replications" / "paid" / "00001.metrics.parquet")
    assert set(metrics["replication"]) == {1}
    assert "proposals_per_job" in set(metrics["metric"])

    report = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "](charts/region_comparison.png)" in report
    words = reproduce_words(report)
    assert words[:3] == ["connectsim", "run", str(PAID_VS_FREE)]
    assert option_values(words, "--replications") == ["2"]
    assert option_values(words, "--seed") == [str(manifest["root_seed"])]
    assert option_values(words, "--out") == [str(out)]
    assert option_values(words, "--set") == small_overrides
    assert "paid_vs_free" in stdout
    assert f"report: {out / 'report' / 'index.html'}" in stdout


def test_report_reproduce_command_reproduces_the_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_overrides: list[str]
) -> None:
    """The Reproduce line of report/report.md, run again, gives the same results; a global
    option before the subcommand (``connectsim --debug run``) must not leak into it."""
    code, stdout, out = _run_small(tmp_path, monkeypatch, small_overrides, ["--debug"], 1)
    assert code == 0, stdout
    words = reproduce_words((out / "report" / "report.md").read_text(encoding="utf-8"))
    assert words[:2] == ["connectsim", "run"]
    assert "run" not in words[2:] and "--debug" not in words
    # the manifest keeps the command, so a report written later shows it too
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == shlex.join(words)
    (out / "report" / "report.md").unlink()
    assert CliRunner().invoke(cli.app, ["report", str(out)]).exit_code == 0
    later = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert reproduce_words(later) == words
    again = tmp_path / "again"
    i = words.index("--out")
    rerun = [*words[1:i], "--out", str(again), *words[i + 2 :], "--workers", "1"]
    result = CliRunner().invoke(cli.app, rerun)
    assert result.exit_code == 0, result.output
    for part in ("metrics", "daily"):
        for arm in ("paid", "free"):
            name = f"replications/{arm}/00000.{part}.parquet"
            assert pd.read_parquet(out / name).equals(pd.read_parquet(again / name)), name
    levels = (out / "summary" / "levels.csv").read_text(encoding="utf-8")
    assert levels == (again / "summary" / "levels.csv").read_text(encoding="utf-8")


def test_run_without_arguments_shows_help() -> None:
    result = CliRunner().invoke(cli.app, [])
    assert "run" in result.output
    assert "validate" in result.output
