"""Scenario errors as a user reads them: field paths as written, every problem, the name meant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.config.loading import (
    check_base,
    check_file,
    field_path,
    load_scenario,
    resolve_file,
    scenario_from_dict,
)
from simulator.config.policy import PaidPolicy
from simulator.config.scenario import FirstKScreening, Scenario, WalletBudget
from simulator.errors import PlanError, ScenarioError, did_you_mean, nearest

REPO_ROOT = Path(__file__).resolve().parents[2]
PAID_VS_FREE = REPO_ROOT / "scenarios" / "paid_vs_free.yaml"
DEFAULT_WORLD = REPO_ROOT / "scenarios" / "base" / "default_world.yaml"


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("fillrate", ["fill_rate", "proposals_per_job"], "fill_rate"),
        (
            "price_usd_per_conect",
            ["price_usd_per_connect", "regional_pricing"],
            "price_usd_per_connect",
        ),
        ("fre", ["paid", "free"], "free"),
        ("gird", ["grid", "lhs"], "grid"),
        ("zzzz", ["fill_rate", "proposals_per_job"], None),
        ("anything", [], None),
    ],
)
def test_nearest_finds_the_name_meant_or_nothing(
    word: str, choices: list[str], expected: str | None
) -> None:
    assert nearest(word, choices) == expected
    assert did_you_mean(word, choices) == (
        "" if expected is None else f"; did you mean {expected}?"
    )


@pytest.mark.parametrize(
    ("loc", "parts", "parent"),
    [
        # pydantic names the arm, then its kind's tag: the tag is not the user's
        (
            ("arms", "paid", "paid", "price_usd_per_conect"),
            "arms.paid.price_usd_per_conect",
            PaidPolicy,
        ),
        # a choice of rules by a callable discriminator (the default rule, not written)
        (
            ("world", "population", "budget", "wallet", "sharre"),
            "world.population.budget.sharre",
            WalletBudget,
        ),
        (
            ("world", "clients", "screening", "first_k", "x"),
            "world.clients.screening.x",
            FirstKScreening,
        ),
        # a model-level error inside a tagged member ends on the tag
        (("arms", "free", "free"), "arms.free", dict),
        # an arm named like its kind keeps its name: only the tag after it goes
        (("arms", "free", "free", "free", "kind"), "arms.free.free.kind", None),
    ],
)
def test_field_path_leaves_out_union_tags(loc: tuple[str, ...], parts: str, parent: Any) -> None:
    shown, holder, _ = field_path(loc)
    assert ".".join(shown) == parts
    if parent is dict:
        assert holder is not None and getattr(holder, "__origin__", None) is dict
    elif parent is not None:
        assert holder is parent


def _refused(data: dict[str, Any]) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, "f.yaml")
    return info.value


def test_every_problem_is_kept_and_the_message_counts_them() -> None:
    data = resolve_file(PAID_VS_FREE)
    data["arms"]["paid"]["price_usd_per_conect"] = 0.3
    data["arms"]["free"]["kind"] = "fre"
    data["run"]["horizon_days"] = -1
    error = _refused(data)
    assert len(error.problems) == 3
    assert str(error) == f"{error.problems[0]} [and 2 more problems]"
    joined = "\n".join(error.problems)
    assert "arms.paid.paid" not in joined
    assert (
        "f.yaml: arms.paid.price_usd_per_conect: no such field (got 0.3); "
        "did you mean price_usd_per_connect?" in error.problems
    )
    assert "f.yaml: arms.free.kind: 'fre' is not one of paid, free; did you mean free?" in (
        error.problems
    )
    assert any(p.startswith("f.yaml: run.horizon_days: ") for p in error.problems)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["world"]["population"].update(budget={"rule": "walet"}),
            "world.population.budget.rule: 'walet' is not one of income_share, wallet; "
            "did you mean wallet?",
        ),
        (
            lambda d: d.update(baseline="pade"),
            "f.yaml: baseline 'pade' is not an arm (arms: paid, free); did you mean paid?",
        ),
        (
            lambda d: d["arms"].update(pade={"price_usd_per_connect": 0.3}),
            "arms.pade: kind missing (paid or free); did you mean paid?",
        ),
        (
            lambda d: d["arms"]["paid"].update(monthly_grant={"plsu": 3}),
            "names unknown membership 'plsu' (memberships: basic, plus); did you mean plus?",
        ),
        (
            lambda d: d["world"]["regions"]["south_asia"].update(shar=0.5),
            "world.regions.south_asia.shar: no such field (got 0.5); did you mean share?",
        ),
    ],
)
def test_a_misspelt_name_gets_the_name_meant(change: Any, expected: str) -> None:
    data = resolve_file(PAID_VS_FREE)
    change(data)
    error = _refused(data)
    assert len(error.problems) == 1, error.problems
    assert expected in str(error)
    assert "Value error" not in str(error)


def test_a_field_near_no_valid_one_gets_no_suggestion() -> None:
    data = resolve_file(PAID_VS_FREE)
    data["world"]["population"]["zzzzzz"] = 1
    assert "did you mean" not in str(_refused(data))


def test_a_set_path_is_shown_as_written() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(PAID_VS_FREE, ["arms.paid.price_usd_per_conect=0.3"])
    assert str(info.value) == (
        f"{PAID_VS_FREE} (with --set): arms.paid.price_usd_per_conect: no such field "
        "(got 0.3); did you mean price_usd_per_connect?"
    )


def test_the_shipped_base_file_is_checked_as_a_base() -> None:
    assert check_file(DEFAULT_WORLD) == ["world", "run"]
    # a whole scenario still loads as one
    scenario = check_file(PAID_VS_FREE)
    assert isinstance(scenario, Scenario) and scenario.name == "paid_vs_free"


def test_a_base_file_shows_every_problem_of_what_it_has() -> None:
    with pytest.raises(ScenarioError) as info:
        check_file(
            DEFAULT_WORLD,
            ["world.regions.south_asia.shar=3", "run.horizon_days=-1", "nme=x"],
        )
    source = f"{DEFAULT_WORLD} (with --set)"
    problems = info.value.problems
    assert len(problems) == 3, problems
    assert (
        f"{source}: world.regions.south_asia.shar: no such field (got 3); did you mean share?"
        in (problems)
    )
    assert any(p.startswith(f"{source}: run.horizon_days: ") for p in problems)
    assert f"{source}: nme: no such field; did you mean name?" in problems


def test_a_base_file_is_checked_section_by_section() -> None:
    data = resolve_file(DEFAULT_WORLD)
    # a region's share the world refuses: the world's own checks run on a base too
    data["world"]["regions"]["south_asia"]["share"] = 0.9
    with pytest.raises(ScenarioError, match=r"world\.regions: .*sum to 1"):
        check_base(data, "base.yaml")


def test_a_set_error_in_validate_is_a_plan_error() -> None:
    with pytest.raises(PlanError) as info:
        check_file(DEFAULT_WORLD, ["no_equals_sign"])
    assert info.value.render({"overrides": "--set"}).startswith("--set 'no_equals_sign'")
