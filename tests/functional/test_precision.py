"""Studies with a precision target: batches until the headline differences are narrow enough."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from simulator.catalog import HEADLINE_METRICS
from simulator.config.scenario import Scenario
from simulator.experiments.study import next_batch, run_study

RunMain = Callable[[list[str]], tuple[int, str, str]]


def test_a_loose_target_stops_on_precision(small_scenario: Scenario) -> None:
    study = run_study(small_scenario, replications=2, seed=5, precision=0.5, max_replications=12)
    assert study.stopped_by == "precision"
    check = study.precision
    assert check is not None
    assert set(check["metric"]) == set(HEADLINE_METRICS)
    assert bool(check["met"].all())
    # the check agrees with the study's own intervals
    diff = study.differences()
    for row in check.itertuples():
        d = diff[
            (diff["arm"] == row.arm)
            & (diff["metric"] == row.metric)
            & (diff["segment_kind"] == "overall")
        ].iloc[0]
        assert row.half_width == pytest.approx((d["ci_high"] - d["ci_low"]) / 2)
        assert row.half_width <= 0.5 * abs(d["baseline_mean"])


def test_an_unreachable_target_stops_at_the_cap(small_scenario: Scenario) -> None:
    study = run_study(small_scenario, replications=2, seed=5, precision=1e-9, max_replications=5)
    assert study.stopped_by == "max_replications"
    assert study.replications == 5
    assert set(study.metrics["replication"]) == set(range(5))
    assert study.precision is not None and not bool(study.precision["met"].all())


def test_precision_study_equals_a_fixed_study_of_the_same_size(
    small_scenario: Scenario,
) -> None:
    adaptive = run_study(small_scenario, replications=2, seed=5, precision=1e-9, max_replications=4)
    fixed = run_study(small_scenario, replications=4, seed=5)
    pd.testing.assert_frame_equal(adaptive.metrics, fixed.metrics, check_exact=True)


def test_next_batch_projects_from_the_worst_ratio() -> None:
    check = pd.DataFrame({"ratio": [0.5, 2.0]})
    # 10 replications at twice the target: about 4 x 10, a tenth more for safety
    assert next_batch(10, check, cap=1000) == 44
    assert next_batch(10, check, cap=30) == 30
    # nearly there: still at least half as many again
    assert next_batch(10, pd.DataFrame({"ratio": [1.01]}), cap=1000) == 15
    # no interval yet (nan): double
    assert next_batch(2, pd.DataFrame({"ratio": [float("nan")]}), cap=1000) == 4


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--precision", "-0.1"], "--precision must be a fraction between 0 and 1"),
        (["--precision", "2"], "--precision must be a fraction between 0 and 1"),
        (["--max-replications", "9"], "--max-replications applies only with --precision"),
        (["-n", "10", "--precision", "0.1", "--max-replications", "4"], "below the first batch"),
    ],
)
def test_bad_precision_options_exit_2_with_one_line(
    tmp_path: Path,
    paid_vs_free_path: Path,
    arguments: list[str],
    expected: str,
    run_main: RunMain,
) -> None:
    """The plan refuses them (in the Python API's words); the CLI names its options."""
    out = tmp_path / "out"
    code, stdout, stderr = run_main(["run", str(paid_vs_free_path), "--out", str(out), *arguments])
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], stderr
    assert lines[0].startswith("error: ") and not stdout.strip()
    assert not out.exists()
