from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from simulator.cli import app


def test_summary_table_shows_levels_differences_and_variance_reduction(
    tmp_path: Path, paid_vs_free_path: Path, small_overrides: list[str]
) -> None:
    sets = [arg for o in small_overrides for arg in ("--set", o)]
    args = ["run", str(paid_vs_free_path), *sets, "-n", "2", "--workers", "1", "--no-report"]
    result = CliRunner().invoke(
        app, [*args, "--out", str(tmp_path / "out")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    for text in ("hires per proposal", "free - paid", "variance", "reduction", "x"):
        assert text in result.output
