"""The scenario's ``sweep:`` block: parsing and its errors, ``--vary`` replacing it, and
scenario hashes it leaves alone. Nothing runs here."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from simulator.cli import OPTION_NAMES
from simulator.config.loading import load_scenario, resolve_file, scenario_hash
from simulator.config.scenario import SCHEMA_VERSION, BreakEvenSpec
from simulator.errors import PlanError, ScenarioError
from simulator.experiments.study import plan_study, study_record
from simulator.experiments.sweep import SweepRun, design_words, plan_sweep

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = REPO_ROOT / "scenarios"
BREAK_EVEN = SCENARIOS / "break_even.yaml"
PAID_VS_FREE = SCENARIOS / "paid_vs_free.yaml"
GRANT = "arms.free.monthly_grant.basic"
CASH = "world.population.budget.outside_cash_share_median"
PRICE = "arms.paid.price_usd_per_connect"
GHOST = "world.jobs.ghost_share"

PAID_VS_FREE_HASH = "56419d32545c13cc"
"""scenario_hash(paid_vs_free.yaml) recorded at 454a3c2, before the sweep block existed.
A deliberate change to that file or to the schema's defaults changes it; the block must not."""

YamlWriter = Callable[[str, str | Mapping[str, Any]], Path]


def as_the_cli_says(error: Exception) -> str:
    """The message as the CLI prints it: settings named by their options."""
    return error.render(OPTION_NAMES) if isinstance(error, PlanError) else str(error)


def with_block(
    tiny_yaml: YamlWriter, block: Mapping[str, Any] | None, name: str = "s.yaml"
) -> Path:
    """paid_vs_free.yaml with a sweep block of its own."""
    data: dict[str, Any] = {"extends": str(PAID_VS_FREE), "schema_version": SCHEMA_VERSION}
    if block is not None:
        data["sweep"] = dict(block)
    return tiny_yaml(name, data)


BLOCK: dict[str, Any] = {
    "vary": [f"{GRANT}=10,40", f"{GHOST}=0.05,0.1"],
    "break_even": {"arm": "free", "metric": "proposals_per_job", "along": GRANT},
}


# ------------------------------------------------------------------ hashes


def test_the_shipped_scenario_hash_is_unchanged() -> None:
    assert scenario_hash(load_scenario(PAID_VS_FREE)) == PAID_VS_FREE_HASH


def test_a_block_changes_no_hash_and_is_never_dumped(tiny_yaml: YamlWriter) -> None:
    plain = load_scenario(with_block(tiny_yaml, None, "plain.yaml"))
    blocked = load_scenario(with_block(tiny_yaml, BLOCK, "blocked.yaml"))
    assert blocked.sweep is not None and plain.sweep is None
    assert "sweep" not in blocked.model_dump(mode="json")
    assert (
        scenario_hash(blocked) == scenario_hash(plain) == scenario_hash(load_scenario(PAID_VS_FREE))
    )
    # connectsim run of the file is the study of the file without the block: the same
    # directory identity, the same scenario recorded in its manifest
    assert plan_study(blocked).identity() == plan_study(plain).identity()
    assert study_record(blocked, 1, 2) == study_record(plain, 1, 2)


def test_the_shipped_break_even_file_parses_and_runs_its_own_values_as_a_study() -> None:
    scenario = load_scenario(BREAK_EVEN)
    block = scenario.sweep
    assert block is not None and block.design == "grid" and block.points is None
    assert block.break_even == BreakEvenSpec(arm="free", metric="proposals_per_job", along=GRANT)
    assert scenario.world.population.budget.rule == "wallet"
    assert scenario.baseline == "paid"
    assert scenario.arms["free"].monthly_grant["basic"] == 10
    plan = plan_sweep(BREAK_EVEN)
    assert plan.parameters == [GRANT, CASH]
    levels = sorted({p.values[GRANT] for p in plan.points})
    assert levels[0] < 10 + 1 and len(levels) >= 5  # the program's own 10, then the bracket
    assert sorted({p.values[CASH] for p in plan.points}) == [0.005, 0.01, 0.02]


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("block", "field", "problem"),
    [
        ({"vary": []}, "sweep.vary", "at least 1 item"),
        ({"vary": ["arms.free.monthly_grant.basic"]}, "sweep.vary", "is not PATH=V1,V2"),
        ({"vary": [f"{GRANT}=1,2", f"{GRANT}=3"]}, "sweep.vary", "varied twice"),
        ({"vary": [f"{GRANT}=1,2"], "design": "cube"}, "sweep.design", "'grid' or 'lhs'"),
        ({"vary": [f"{GRANT}=1:9"], "design": "lhs"}, "sweep", "design lhs needs points"),
        ({"vary": [f"{GRANT}=1,2"], "points": 4}, "sweep", "points applies to design lhs"),
        ({"vary": [f"{GRANT}=1,2"], "typo": 1}, "sweep.typo", "no such field"),
        (
            {"vary": [f"{GRANT}=1,2"], "break_even": {**BLOCK["break_even"], "metric": "fun"}},
            "sweep.break_even.metric",
            "'fun' is not a metric",
        ),
        (
            {"vary": [f"{CASH}=0.1,0.2"], "break_even": BLOCK["break_even"]},
            "sweep",
            f"break_even.along '{GRANT}' is not varied",
        ),
        (
            {
                "vary": [f"{GRANT}=1:9"],
                "design": "lhs",
                "points": 4,
                "break_even": BLOCK["break_even"],
            },
            "sweep",
            "break_even needs design grid",
        ),
        (
            {"vary": [f"{GRANT}=1,2"], "break_even": {**BLOCK["break_even"], "arm": "paid"}},
            "",
            "sweep.break_even.arm 'paid' is not an arm other than the baseline 'paid'",
        ),
        (
            {"vary": [f"{GRANT}=1,2"], "break_even": {"arm": "free", "metric": "fill_rate"}},
            "sweep.break_even.along",
            "Field required",
        ),
    ],
)
def test_a_bad_block_is_one_line_naming_the_file_and_field(
    tiny_yaml: YamlWriter, block: dict[str, Any], field: str, problem: str
) -> None:
    path = with_block(tiny_yaml, block)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    # a check of the whole scenario names its fields in its own sentence
    assert message.startswith(f"{path}: {field}: " if field else f"{path}: "), message
    assert problem in message
    assert "\n" not in message


def test_an_axis_the_scenario_refuses_is_named_as_the_files_field(tiny_yaml: YamlWriter) -> None:
    # the block's texts are checked against the scenario when a sweep is planned
    cases = [
        (f"{GRANT}=0.3:0.1:3", "LOW (0.3) must be below HIGH (0.1)"),
        ("arms.free.prize=1,2", "prize"),
        (f"{GRANT}=10,-1", "p001"),
    ]
    for text, problem in cases:
        path = with_block(tiny_yaml, {"vary": [text]})
        load_scenario(path)  # the file itself is valid
        with pytest.raises(ScenarioError) as info:
            plan_sweep(path)
        message = as_the_cli_says(info.value)
        assert "sweep.vary" in message and problem in message, message
        assert "--vary" not in message and "\n" not in message
        assert str(path) in message


def test_without_vary_or_block_the_sweep_asks_for_one() -> None:
    with pytest.raises(PlanError) as info:
        plan_sweep(PAID_VS_FREE)
    message = as_the_cli_says(info.value)
    assert message.startswith("--vary: give at least one parameter") and "sweep: block" in message


# ------------------------------------------------------------------ --vary and the block


def test_the_block_gives_axes_design_and_question(tiny_yaml: YamlWriter) -> None:
    plan = plan_sweep(with_block(tiny_yaml, BLOCK))
    assert plan.axes_from == "scenario"
    assert plan.parameters == [GRANT, GHOST]
    assert [tuple(p.values.values()) for p in plan.points] == [
        (10, 0.05),
        (10, 0.1),
        (40, 0.05),
        (40, 0.1),
    ]
    assert plan.break_even == BreakEvenSpec(**BLOCK["break_even"])
    assert plan.break_even_skipped is None
    # a point is a study: no sweep block of its own
    assert all(p.scenario.sweep is None for p in plan.points)
    assert plan.design_record()["break_even"] == BLOCK["break_even"]
    # and the command that runs it again needs no --vary
    assert design_words(plan) == []
    command = SweepRun(plan, 2).command("s.yaml", "out", [])
    assert "--vary" not in command and command.startswith(
        "connectsim sweep s.yaml --replications 2"
    )


def test_vary_replaces_the_blocks_axes(tiny_yaml: YamlWriter) -> None:
    path = with_block(tiny_yaml, BLOCK)
    plan = plan_sweep(path, [f"{GRANT}=20,30,50"])
    assert plan.axes_from == "vary"
    assert plan.parameters == [GRANT]
    assert [p.values[GRANT] for p in plan.points] == [20, 30, 50]
    # the question still applies: its axis is varied on a grid
    assert plan.break_even is not None
    assert design_words(plan) == ["--vary", f"{GRANT}=20,30,50"]
    # its hash is the hash of the same --vary on the file without the block
    plain = with_block(tiny_yaml, None, "plain.yaml")
    assert plan.sweep_hash() == plan_sweep(plain, [f"{GRANT}=20,30,50"]).sweep_hash()


def test_vary_without_the_questions_axis_skips_the_question_with_a_warning(
    tiny_yaml: YamlWriter,
) -> None:
    path = with_block(tiny_yaml, BLOCK)
    with pytest.warns(UserWarning, match=f"sweep.break_even is not answered: .*{GRANT}"):
        plan = plan_sweep(path, [f"{PRICE}=0.1,0.2"])
    assert plan.parameters == [PRICE]
    assert plan.break_even is None
    assert plan.break_even_skipped == f"the axes given do not vary {GRANT}"
    with pytest.warns(UserWarning, match="the design is lhs, not a grid"):
        lhs = plan_sweep(path, [f"{GRANT}=10:40"], design="lhs", points=3)
    assert lhs.break_even is None and len(lhs.points) == 3


def test_design_and_points_replace_the_blocks(tiny_yaml: YamlWriter) -> None:
    block = {"vary": [f"{GRANT}=10:40", f"{PRICE}=0.1:0.3"], "design": "lhs", "points": 5}
    path = with_block(tiny_yaml, block)
    assert len(plan_sweep(path).points) == 5
    assert len(plan_sweep(path, points=3).points) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no question, nothing to skip
        plan = plan_sweep(path, points=3)
    assert design_words(plan) == ["--design", "lhs", "--points", "3"]
    with pytest.raises(ScenarioError, match="a grid needs levels"):
        plan_sweep(path, design="grid")


def test_a_question_along_a_parameter_without_numbers_is_refused(tiny_yaml: YamlWriter) -> None:
    block = {
        "vary": ["arms.free.label=a,b"],
        "break_even": {"arm": "free", "metric": "fill_rate", "along": "arms.free.label"},
    }
    path = with_block(tiny_yaml, block)
    with pytest.raises(ScenarioError) as info:
        plan_sweep(path)
    message = str(info.value)
    assert message.startswith(f"{path}: sweep.break_even.along: ") and "not a number" in message


def test_a_scenario_object_keeps_its_block(tiny_yaml: YamlWriter) -> None:
    path = with_block(tiny_yaml, BLOCK)
    from_object = plan_sweep(load_scenario(path))
    from_file = plan_sweep(path)
    assert from_object.sweep_hash() == from_file.sweep_hash()
    assert from_object.break_even == from_file.break_even


def test_the_shipped_block_reads_as_the_file_says() -> None:
    # what the file declares, read without the schema: the loader must agree with it
    raw = resolve_file(BREAK_EVEN)["sweep"]
    assert load_scenario(BREAK_EVEN).sweep.model_dump(mode="json") == {  # type: ignore[union-attr]
        "vary": raw["vary"],
        "design": raw.get("design", "grid"),
        "points": raw.get("points"),
        "break_even": raw["break_even"],
    }
