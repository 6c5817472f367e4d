"""Shared fixtures: a tiny, fast version of the seed scenario, a YAML writer, and tiny
finished study, sweep and sensitivity directories."""

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
SWEEP_SCENARIO = SCENARIOS_DIR / "sweep_price_allowance.yaml"

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


@pytest.fixture(scope="session")
def tiny_study_dir(tmp_path_factory: pytest.TempPathFactory, small_scenario: Scenario) -> Path:
    """A finished study directory of :func:`small_scenario`, 2 replications (~2 s).

    Shared by the session: tests that change it must work on a copy.
    """
    from simulator.experiments.study import run_study

    out = tmp_path_factory.mktemp("tiny") / "study"
    run_study(small_scenario, replications=2, workers=1, out=out)
    return out


@pytest.fixture(scope="session")
def tiny_sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sweep directory: two prices of sweep_price_allowance.yaml shrunk as
    :func:`small_scenario`, 2 arms x 2 replications (~5 s).

    Shared by the session: tests that change it must work on a copy.
    """
    from simulator.experiments.sweep import sweep

    out = tmp_path_factory.mktemp("tiny") / "sweep"
    vary = ["arms.allowance.price_usd_per_connect=0.15,0.30"]
    sweep(SWEEP_SCENARIO, vary, replications=2, workers=1, out=out, overrides=SMALL_OVERRIDES)
    return out


@pytest.fixture(scope="session")
def tiny_sensitivity_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sensitivity directory: Morris, 2 trajectories of the ghost share,
    paid_vs_free.yaml shrunk as :func:`small_scenario`, 2 replications (~5 s).

    Shared by the session: tests that change it must work on a copy.
    """
    from simulator.experiments.sensitivity import sensitivity

    out = tmp_path_factory.mktemp("tiny") / "sensitivity"
    sensitivity(
        PAID_VS_FREE,
        ["world.jobs.ghost_share=0.0:0.3"],
        method="morris",
        samples=2,
        replications=2,
        workers=1,
        out=out,
        paired=False,
        overrides=SMALL_OVERRIDES,
        metrics=["fill_rate", "proposals_per_job"],
    )
    return out
