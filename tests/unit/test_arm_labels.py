"""Arm labels never state what the policy contradicts; sweep and sensitivity tables read well."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.table import Table

from simulator.cli.console import fit_words
from simulator.config.loading import load_scenario
from simulator.config.policy import changed_fields, modified_label
from simulator.experiments.frontier import show_number, shown_values
from simulator.experiments.sensitivity import default_arm, plan
from tests.conftest import PAID_VS_FREE, SMALL_OVERRIDES

PAID_LABEL = "Paid Connects ($0.15)"


def test_a_price_set_on_the_command_line_marks_the_label() -> None:
    scenario = load_scenario(PAID_VS_FREE, ["arms.paid.price_usd_per_connect=0.30"])
    assert scenario.arms["paid"].price_usd_per_connect == pytest.approx(0.30)
    assert scenario.arms["paid"].label == f"{PAID_LABEL} [modified: price_usd_per_connect=0.3]"
    # the arm the override leaves alone keeps its label
    assert scenario.arms["free"].label == "Free Connects program"


def test_a_kind_set_on_the_command_line_marks_the_label() -> None:
    scenario = load_scenario(PAID_VS_FREE, ["arms.paid.kind=free"])
    assert scenario.arms["paid"].kind == "free"
    assert scenario.arms["paid"].label == f"{PAID_LABEL} [modified: kind=free]"


def test_nested_fields_are_named_by_their_path() -> None:
    scenario = load_scenario(PAID_VS_FREE, ["arms.free.monthly_grant.basic=25"])
    assert scenario.arms["free"].label.endswith("[modified: monthly_grant.basic=25]")


def test_an_override_that_changes_nothing_or_renames_the_arm_leaves_no_mark() -> None:
    same = load_scenario(PAID_VS_FREE, ["arms.paid.price_usd_per_connect=0.15"])
    assert same.arms["paid"].label == PAID_LABEL
    renamed = load_scenario(
        PAID_VS_FREE, ["arms.paid.price_usd_per_connect=0.3", "arms.paid.label=Paid at $0.30"]
    )
    assert renamed.arms["paid"].label == "Paid at $0.30"


def test_changed_fields_and_modified_label() -> None:
    before = {"label": "x", "price": 0.15, "grant": {"basic": 0, "plus": 70}}
    after = {"label": "y", "price": 0.15, "grant": {"basic": 10, "plus": 70}, "new": True}
    assert changed_fields(before, after) == {"grant.basic": 10, "new": True}
    assert modified_label("A", {}) == "A"
    assert modified_label("A", {"p": "1", "q": "2"}) == "A [modified: p=1, q=2]"


def test_latin_hypercube_values_are_shown_to_four_digits() -> None:
    assert show_number(0.175882) == "0.1759"
    assert show_number(10) == "10"
    assert shown_values([0.15, 0.3]) == "0.15/0.3"
    assert shown_values([0.05, 0.6, 0.175882, 0.2, 0.3]) == "0.05 to 0.6"


def test_default_arm_is_one_the_parameters_vary() -> None:
    scenario = load_scenario(PAID_VS_FREE)
    assert scenario.baseline == "paid"
    # only the baseline's field varies: analysing free would give zeros
    assert default_arm(scenario, ["arms.paid.price_usd_per_connect"]) == "paid"
    assert default_arm(scenario, ["arms.free.monthly_grant.basic"]) == "free"
    assert default_arm(scenario, ["arms.paid.price_usd_per_connect", "arms.free.x"]) == "free"
    assert default_arm(scenario, ["world.jobs.ghost_share"]) == "free"
    # a world parameter reaches every arm: the free arm is not all zeros
    assert default_arm(scenario, ["arms.paid.price_usd_per_connect", "world.jobs.ghost_share"]) == (
        "free"
    )
    assert default_arm(scenario, ["arms.*.price_usd_per_connect"]) == "free"


def test_a_sensitivity_of_the_baselines_price_analyses_the_baseline() -> None:
    planned = plan(
        PAID_VS_FREE,
        ["arms.paid.price_usd_per_connect=0.1:0.3"],
        method="morris",
        samples=2,
        replications=1,
        overrides=SMALL_OVERRIDES,
    )
    assert planned.model.arm == "paid"
    assert planned.model.baseline is None


def _render(fit: bool, width: int = 50) -> tuple[list[str], set[str]]:
    headers = [
        "points",
        "arm",
        "price usd per connect",
        "monthly grant basic",
        "proposals per post",
    ]
    rows = [["every point", "allowance", "0.15", "10", "8.11"]] * 3
    table = Table(show_edge=False, pad_edge=False)
    for heading in headers:
        table.add_column(heading, overflow="fold")
    for row in rows:
        table.add_row(*row)
    if fit:
        fit_words(table, [headers, *rows], width)
    console = Console(width=width, record=True, color_system=None)
    console.print(table)
    lines = console.export_text().splitlines()
    cells = [c.strip() for line in lines for c in line.replace("│", "┃").split("┃")]
    found = {w for cell in cells for w in cell.split()}
    return lines, found


def test_fit_words_keeps_every_word_of_the_headers_whole() -> None:
    words = {"points", "arm", "price", "usd", "per", "connect", "monthly", "grant", "basic"}
    words |= {"proposals", "post", "every", "point", "allowance"}
    lines, found = _render(fit=True)
    assert max(len(line) for line in lines) <= 50
    assert words <= found
    # rich alone cuts some word at this width: the test would see it
    _, unfitted = _render(fit=False)
    assert not words <= unfitted
