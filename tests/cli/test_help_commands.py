"""Help that helps: placeholders in ``--help``, and the commands that show, compare,
start and estimate scenarios and experiments (show, diff, init, --dry-run), and
the per-batch lines of ``--precision``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from simulator import cli

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
