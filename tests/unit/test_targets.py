"""Calibration targets files: the shipped ones load against their scenarios, and bad
input is one line naming the file and the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.catalog import METRICS
from simulator.config.targets import load_targets
from simulator.errors import ScenarioError

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGETS = sorted((REPO_ROOT / "scenarios" / "targets").glob("*.yaml"))
PAID_VS_FREE = REPO_ROOT / "scenarios" / "paid_vs_free.yaml"


def a_target(**changes: Any) -> dict[str, Any]:
    target: dict[str, Any] = {
        "name": "fill",
        "metric": "fill_rate",
        "arm": "paid",
        "regime": "a market and period",
        "value": 0.35,
        "low": 0.30,
        "high": 0.40,
        "range_basis": "the source's own range",
        "source": {"citation": "A. Author (2003), A title", "locator": "p. 1", "quote": "30-40%"},
    }
    target.update(changes)
    return {key: value for key, value in target.items() if value is not None}


def write(tmp_path: Path, data: Any, text: str | None = None) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text if text is not None else yaml.safe_dump(data), encoding="utf-8")
    return path


def a_file(*targets: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "scenario": str(PAID_VS_FREE), "targets": list(targets)}


@pytest.mark.parametrize("path", TARGETS, ids=lambda p: p.name)
def test_every_shipped_targets_file_loads_with_sources(path: Path) -> None:
    targets, scenario = load_targets(path)
    for target in targets.targets:
        assert target.metric in METRICS and target.arm in scenario.arms
        assert target.source.quote and target.source.citation and target.source.locator


def test_a_good_file_loads(tmp_path: Path) -> None:
    targets, scenario = load_targets(write(tmp_path, a_file(a_target())))
    assert [t.name for t in targets.targets] == ["fill"]
    assert scenario.name == "paid_vs_free"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            a_target(metric="fillrate"),
            "targets[fill].metric: 'fillrate' is not a metric; did you mean fill_rate?",
        ),
        (a_target(arm="payed"), "targets[fill].arm: 'payed' is not an arm"),
        (a_target(source=None), "targets[fill].source: Field required"),
        (
            a_target(source={"citation": "x", "locator": "y"}),
            "targets[fill].source.quote: Field required",
        ),
        (a_target(low=None, high=None), "a value needs its uncertainty"),
        (a_target(range_basis=None), "a range needs its range_basis"),
        (a_target(value=0.5), "value 0.5 is outside its range [0.3, 0.4]"),
        (a_target(kind="at_most"), "a bound (at_most) takes no standard error or range"),
        (a_target(colour="red"), "targets[fill].colour: no such field"),
    ],
)
def test_bad_targets_are_one_line_naming_the_field(
    tmp_path: Path, target: dict[str, Any], expected: str
) -> None:
    path = write(tmp_path, a_file(target))
    with pytest.raises(ScenarioError) as caught:
        load_targets(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and expected in message
    assert len(message.splitlines()) == 1


def test_two_targets_of_one_name_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, a_file(a_target(), a_target()))
    with pytest.raises(ScenarioError, match=r"targets\[fill\]: a second target of this name"):
        load_targets(path)


def test_a_bound_needs_no_uncertainty(tmp_path: Path) -> None:
    bound = a_target(kind="at_most", low=None, high=None, range_basis=None, value=5.0)
    targets, _ = load_targets(write(tmp_path, a_file(bound)))
    assert targets.targets[0].kind == "at_most"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("targets: [", "not valid YAML"),
        ("- just\n- a list\n", "Input should be a valid dictionary"),
        (
            "schema_version: 1\nscenario: x.yaml\ntargets: []\n",
            "targets: List should have at least 1 item",
        ),
    ],
)
def test_a_malformed_file_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_targets(write(tmp_path, None, text))
    assert expected in str(caught.value) and len(str(caught.value).splitlines()) == 1


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_targets(tmp_path / "nope.yaml")


def test_validate_checks_a_targets_file(
    tmp_path: Path, run_main: Callable[[list[str]], tuple[int, str, str]]
) -> None:
    good = write(tmp_path, a_file(a_target()))
    code, out, err = run_main(["validate", str(good)])
    assert (code, err) == (0, "")
    assert out.strip() == f"ok {good}: a targets file: 1 target for paid_vs_free"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(a_file(a_target(arm="payed"))), encoding="utf-8")
    code, out, err = run_main(["validate", str(bad)])
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"error: {bad}: targets[fill].arm: 'payed' is not an arm of {PAID_VS_FREE}; "
        "did you mean paid?"
    ]
