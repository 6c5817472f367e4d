"""Schema version 2: version-1 files and study directories still load, migrated in
memory with a one-line notice, and ``connectsim migrate`` rewrites files in place."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
import yaml

from simulator.config.loading import load_scenario, scenario_from_dict
from simulator.config.migration import SchemaMigrationWarning, migrate
from simulator.config.rewrite import migrate_file
from simulator.config.scenario import (
    SCHEMA_VERSION,
    FirstKScreening,
    IncomeShareBudget,
    SequentialScreening,
    WalletBudget,
)
from simulator.errors import ScenarioError
from simulator.experiments.study import load_study

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
V1_DIR = FIXTURES / "v1"
V1_STUDY = FIXTURES / "v1_study"


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    """The version-1 fixture files (a scenario and the world it extends), copied."""
    target = tmp_path / "v1"
    shutil.copytree(V1_DIR, target)
    return target / "paid_vs_free.yaml"


def test_a_version_1_file_loads_with_one_line_notice() -> None:
    with pytest.warns(SchemaMigrationWarning) as caught:
        scenario = load_scenario(V1_DIR / "paid_vs_free.yaml")
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "\n" not in text
    assert "schema version 1 migrated to 2" in text
    assert "income_share" in text and "connectsim migrate" in text
    assert scenario.schema_version == SCHEMA_VERSION
    # version 1's rules and their defaults: the file means what it meant
    assert scenario.world.population.budget == IncomeShareBudget(share_of_income=0.08)
    assert scenario.world.clients.screening == FirstKScreening(cost_per_read=0.0)


def test_a_version_1_share_is_kept() -> None:
    data = yaml.safe_load((V1_DIR / "paid_vs_free.yaml").read_text())
    data.pop("extends")
    data["world"] = {
        **yaml.safe_load((V1_DIR / "base" / "default_world.yaml").read_text())["world"],
    }
    data["world"]["population"] = {"platform_budget_share_of_income": 0.03}
    with pytest.warns(SchemaMigrationWarning, match=r"\(0\.03\)"):
        scenario = scenario_from_dict(data, "x")
    assert scenario.world.population.budget == IncomeShareBudget(share_of_income=0.03)


def test_data_without_a_version_is_current_and_takes_the_wallet() -> None:
    data = yaml.safe_load((V1_DIR / "paid_vs_free.yaml").read_text())
    world = yaml.safe_load((V1_DIR / "base" / "default_world.yaml").read_text())["world"]
    data.pop("extends")
    data.pop("schema_version")
    data["world"] = world
    with warnings.catch_warnings():
        warnings.simplefilter("error", SchemaMigrationWarning)
        scenario = scenario_from_dict(data, "x")
    assert isinstance(scenario.world.population.budget, WalletBudget)
    assert isinstance(scenario.world.clients.screening, SequentialScreening)


@pytest.mark.parametrize(
    ("version", "problem"),
    [(7, "unknown version 7"), (0, "unknown version 0"), ("two", "not a whole number")],
)
def test_an_unknown_version_is_refused(version: object, problem: str) -> None:
    with pytest.raises(ScenarioError, match=f"schema_version: {problem}"):
        migrate({"schema_version": version}, "f.yaml")


def test_migration_does_not_change_its_input() -> None:
    data = {"schema_version": 1, "world": {"population": {"platform_budget_share_of_income": 0.1}}}
    migrated, changes = migrate(data, "f.yaml")
    assert data["world"]["population"] == {"platform_budget_share_of_income": 0.1}
    assert migrated["world"]["population"] == {
        "budget": {"rule": "income_share", "share_of_income": 0.1}
    }
    # version 1's screening rule, which the file left to its default, is kept too
    assert migrated["world"]["clients"] == {"screening": {"rule": "first_k", "cost_per_read": 0.0}}
    assert migrated["schema_version"] == 2 and len(changes) == 2


def test_migrate_rewrites_in_place_keeping_comments_and_a_backup(v1_copy: Path) -> None:
    original = v1_copy.read_text()
    with pytest.warns(SchemaMigrationWarning):
        before = load_scenario(v1_copy)
    changes = migrate_file(v1_copy)
    assert changes
    text = v1_copy.read_text()
    assert "schema_version: 2" in text
    # the comments that hold the figures' sources survive the rewrite
    assert text.splitlines()[0] == original.splitlines()[0]
    assert (v1_copy.parent / "paid_vs_free.yaml.bak").read_text() == original
    with warnings.catch_warnings():
        warnings.simplefilter("error", SchemaMigrationWarning)
        after = load_scenario(v1_copy)
    assert after == before
    # a second run finds nothing to do and leaves the file alone
    assert migrate_file(v1_copy) == []
    assert v1_copy.read_text() == text


def test_a_study_directory_of_version_1_still_opens() -> None:
    with pytest.warns(SchemaMigrationWarning, match="manifest.json: schema version 1"):
        study = load_study(V1_STUDY)
    assert study.scenario.world.population.budget == IncomeShareBudget(share_of_income=0.08)
    assert study.replications == 2
    assert set(study.levels()["arm"]) == {"paid", "free"}
