"""Shared fixtures: a tiny, fast version of the seed scenario and a YAML writer."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator import cli
from simulator.config.loading import load_scenario
from simulator.config.scenario import Scenario

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = REPO_ROOT / "scenarios"
PAID_VS_FREE = SCENARIOS_DIR / "paid_vs_free.yaml"

SMALL_OVERRIDES: tuple[str, ...] = (
    "world.population.freelancers=300",
    "world.jobs.jobs_per_day=25",
    "run.warmup_days=15",
    "run.horizon_days=45",
)
"""``--set`` overrides that shrink paid_vs_free.yaml to ~0.3 s a replication."""

YamlWriter = Callable[[str, str | Mapping[str, Any]], Path]


@pytest.fixture(scope="session")
def paid_vs_free_path() -> Path:
    """The seed scenario file."""
    return PAID_VS_FREE


@pytest.fixture(scope="session")
def small_overrides() -> list[str]:
    """The overrides of :func:`small_scenario`, as ``--set`` texts."""
    return list(SMALL_OVERRIDES)


@pytest.fixture(scope="session")
def small_scenario() -> Scenario:
    """paid_vs_free.yaml shrunk to 300 freelancers, 25 posts a day, 15 + 45 days.

    Session-scoped: a Scenario is frozen, so sharing it between tests is safe
    (and Hypothesis tests may use it without a function-scoped fixture).
    """
    return load_scenario(PAID_VS_FREE, SMALL_OVERRIDES)


@pytest.fixture
def tiny_yaml(tmp_path: Path) -> YamlWriter:
    """Write a YAML file into ``tmp_path``: ``tiny_yaml("a.yaml", text_or_mapping)``."""

    def write(name: str, content: str | Mapping[str, Any]) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            content if isinstance(content, str) else yaml.safe_dump(dict(content), sort_keys=False)
        )
        path.write_text(text, encoding="utf-8")
        return path

    return write


RunMain = Callable[[list[str]], tuple[int, str, str]]


@pytest.fixture
def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunMain:
    """Call the entry point in process, as the script does: ``run_main(args)`` gives
    (exit code, stdout, stderr), uncoloured and 120 columns wide."""

    def run(args: list[str]) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["connectsim", *args])
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.setenv("COLUMNS", "120")
        with pytest.raises(SystemExit) as exc:
            cli.main()
        captured = capsys.readouterr()
        code = exc.value.code
        assert isinstance(code, int)
        return code, captured.out, captured.err

    return run
