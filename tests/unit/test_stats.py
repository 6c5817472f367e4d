"""Unit tests of simulator.experiments.stats: the vectorised levels and paired differences
give what the group-by-group computation they replaced gave, bit for bit.

The reference below is the earlier implementation (a pandas ``apply`` of one
Python function per group, commit d457f05), kept here as the specification:
every figure is compared exactly (the bytes of each float, so that -0.0 and
0.0 or two NaNs of different payloads would differ too), and so are the
columns, their types, the row order and the CSV a study writes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from simulator.experiments import stats

KEYS = ["segment_kind", "segment", "metric"]


def _reference_interval(values: pd.Series) -> pd.Series:
    x = values.to_numpy(dtype=np.float64)
    x = x[np.isfinite(x)]
    n = x.size
    mean = float(x.mean()) if n else float("nan")
    if n >= 2:
        sd = float(x.std(ddof=1))
        half = float(scipy_stats.t.ppf(0.5 + 0.95 / 2.0, n - 1)) * sd / np.sqrt(n)
    else:
        sd = half = float("nan")
    return pd.Series(
        {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "sd": sd, "n": n}
    )


def reference_levels(metrics: pd.DataFrame) -> pd.DataFrame:
    grouped = metrics.groupby(["arm", *KEYS], sort=False, observed=True)["value"]
    out = grouped.apply(_reference_interval).unstack()
    out["n"] = out["n"].astype(np.int64)
    return out.reset_index()


def reference_differences(metrics: pd.DataFrame, baseline: str) -> pd.DataFrame:
    base = metrics[metrics["arm"] == baseline][["replication", *KEYS, "value"]]
    others = metrics[metrics["arm"] != baseline]
    merged = others.merge(base, on=["replication", *KEYS], suffixes=("", "_baseline"))
    merged["difference"] = merged["value"] - merged["value_baseline"]
    grouped = merged.groupby(["arm", *KEYS], sort=False, observed=True)
    out = grouped["difference"].apply(_reference_interval).unstack()
    out["n"] = out["n"].astype(np.int64)
    out["baseline_mean"] = grouped["value_baseline"].mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = out["baseline_mean"].where(out["baseline_mean"] != 0)
        out["relative"] = out["mean"] / scale
        out["relative_ci_low"] = out["ci_low"] / scale
        out["relative_ci_high"] = out["ci_high"] / scale
        arm_var = grouped["value"].var(ddof=1)
        base_var = grouped["value_baseline"].var(ddof=1)
        out["unpaired_sd"] = np.sqrt(arm_var + base_var)
        out["variance_reduction"] = (arm_var + base_var) / (out["sd"] ** 2).where(out["sd"] > 0)
    return out.reset_index()


def assert_identical(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns, types, rows and order, and every float the same bytes."""
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    for column in expected.columns:
        if expected[column].dtype.kind == "f":
            assert got[column].to_numpy().tobytes() == expected[column].to_numpy().tobytes(), column
    assert got.to_csv(index=False) == expected.to_csv(index=False)


def metrics_frame(
    rng: np.random.Generator,
    arms: list[str],
    replications: int,
    metrics: int,
    segments: int = 2,
    holes: float = 0.0,
    shuffle: bool = False,
) -> pd.DataFrame:
    """A tidy metrics frame like a study's, with values over many magnitudes; ``holes``
    of the values are NaN or infinite (left out of their group's statistics)."""
    rows = [
        (arm, r, kind, f"s{s}" if kind == "segment" else "all", f"metric_{m}")
        for r in range(replications)
        for arm in arms
        for kind in ("overall", "segment")
        for s in range(segments if kind == "segment" else 1)
        for m in range(metrics)
    ]
    frame = pd.DataFrame(rows, columns=["arm", "replication", *KEYS])
    frame["root_seed"] = 7
    scale = 10.0 ** rng.integers(-6, 7, size=len(frame))
    frame["value"] = rng.normal(size=len(frame)) * scale + rng.integers(0, 3, size=len(frame))
    if holes:
        hit = rng.random(len(frame)) < holes
        frame.loc[hit, "value"] = rng.choice([np.nan, np.inf, -np.inf], size=int(hit.sum()))
    if shuffle:
        frame = frame.sample(frac=1.0, random_state=int(rng.integers(1 << 31)))
        frame = frame.reset_index(drop=True)
    return frame


CASES = {
    "one replication": dict(replications=1, metrics=5),
    "two replications": dict(replications=2, metrics=5),
    "a study's 20": dict(replications=20, metrics=30),
    "missing values": dict(replications=12, metrics=20, holes=0.2),
    "mostly missing": dict(replications=3, metrics=40, holes=0.7),
    "rows shuffled": dict(replications=9, metrics=10, holes=0.1, shuffle=True),
    # past NumPy's pairwise-summation blocks (8 and 128 values)
    "300 replications": dict(replications=300, metrics=3),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("arms", [["paid", "free"], ["free", "paid", "cheap"]], ids=len)
def test_levels_and_differences_are_the_reference_bit_for_bit(
    case: dict[str, object], arms: list[str]
) -> None:
    rng = np.random.default_rng(20_190_501)
    frame = metrics_frame(rng, arms, **case)  # type: ignore[arg-type]
    assert_identical(stats.levels(frame), reference_levels(frame))
    for baseline in arms:
        assert_identical(
            stats.paired_differences(frame, baseline), reference_differences(frame, baseline)
        )


def test_many_replications_one_group() -> None:
    """Beyond NumPy's buffer of 8192 values: one group of 9000 replications."""
    rng = np.random.default_rng(3)
    frame = metrics_frame(rng, ["paid", "free"], replications=9000, metrics=1, segments=0)
    assert_identical(stats.levels(frame), reference_levels(frame))
    assert_identical(stats.paired_differences(frame, "paid"), reference_differences(frame, "paid"))


def test_a_studys_metrics(tiny_study_dir: object) -> None:
    """The metrics of a real (small) study, as read back from its directory."""
    from pathlib import Path

    from simulator.experiments.study import load_study

    study = load_study(Path(str(tiny_study_dir)))
    frame = study.metrics
    assert_identical(stats.levels(frame), reference_levels(frame))
    assert_identical(
        stats.paired_differences(frame, study.baseline),
        reference_differences(frame, study.baseline),
    )


def test_group_intervals_by_hand() -> None:
    values = np.array([1.0, 5.0, np.nan, 2.0, 4.0, np.inf, 7.0])
    codes = np.array([0, 1, 1, 0, 1, 2, 3], dtype=np.intp)
    out = stats.group_intervals(values, codes, 5)
    assert out["n"].tolist() == [2, 2, 0, 1, 0]
    assert out["mean"].tolist()[:2] == [1.5, 4.5]
    assert out["mean"].tolist()[3] == 7.0
    assert np.isnan(out["mean"].to_numpy()[[2, 4]]).all()
    half = scipy_stats.t.ppf(0.975, 1) * np.sqrt(0.5) / np.sqrt(2)
    assert out["ci_high"][0] == pytest.approx(1.5 + half)
    # one value: a mean, no interval
    assert np.isnan(out.loc[3, ["ci_low", "ci_high", "sd"]].to_numpy(dtype=float)).all()


def test_levels_of_nothing_is_an_empty_table() -> None:
    empty = metrics_frame(np.random.default_rng(1), ["paid"], replications=0, metrics=1)
    out = stats.levels(empty)
    assert out.empty
    assert list(out.columns) == ["arm", *KEYS, "mean", "ci_low", "ci_high", "sd", "n"]


def per_point_reference(frame: pd.DataFrame, compute: Any) -> pd.DataFrame:
    """What a sweep computed before: each point's rows alone, ``point`` inserted first,
    the points in the order they first appear."""
    parts = []
    for point in pd.unique(frame["point"]):
        out = compute(frame[frame["point"] == point].drop(columns="point"))
        out.insert(0, "point", point)
        parts.append(out)
    return pd.concat(parts, ignore_index=True)


def test_by_point_is_each_points_own_table_bit_for_bit() -> None:
    """Every point at once gives each point's table as computed alone, even when the
    points list their arms, segments and metrics in different orders."""
    rng = np.random.default_rng(5)
    points = []
    for j, arms in enumerate([["paid", "free"], ["free", "paid"], ["paid", "free", "cheap"]]):
        part = metrics_frame(rng, arms, replications=4, metrics=6, holes=0.1, shuffle=j == 1)
        if j == 2:
            # a metric only this point has, and the rest in another order
            part = part.iloc[::-1].reset_index(drop=True)
            part.loc[part["metric"] == "metric_0", "metric"] = "only_here"
        points.append(part.assign(point=f"p{j}"))
    frame = pd.concat(points, ignore_index=True)
    frame = frame[["point", *[c for c in frame.columns if c != "point"]]]
    assert_identical(stats.levels(frame, by="point"), per_point_reference(frame, reference_levels))
    assert_identical(
        stats.paired_differences(frame, "paid", by="point"),
        per_point_reference(frame, lambda part: reference_differences(part, "paid")),
    )


def test_a_sweeps_levels_and_differences(tiny_sweep_dir: object) -> None:
    """A sweep's tables, every point at once, as its points' own tables were."""
    from pathlib import Path

    from simulator.experiments.sweep import load_sweep

    result = load_sweep(Path(str(tiny_sweep_dir)))
    frame = result.metrics
    baseline = result.plan.base.baseline
    parameters = result.points()
    for got, compute in (
        (result.levels(), reference_levels),
        (result.differences(), lambda part: reference_differences(part, baseline)),
    ):
        expected = parameters.merge(
            per_point_reference(frame, compute), on="point", how="right", validate="one_to_many"
        ).reset_index(drop=True)
        assert_identical(got, expected)


@pytest.mark.parametrize(
    ("rows", "radices"),
    [(500, (3, 7, 1, 40)), (1, (1,)), (2000, (64, 2, 5, 13, 60)), (300, (2**40, 2**30))],
)
def test_unique_rows_is_numpy_unique_of_the_stacked_rows(
    rows: int, radices: tuple[int, ...]
) -> None:
    # the last case's codes span more than 63 bits together: the sorted-rows fallback
    rng = np.random.default_rng(rows)
    columns = [rng.integers(0, radix, size=rows).astype(np.intp) for radix in radices]
    expected_rows, expected_inverse = np.unique(
        np.stack(columns, axis=1), axis=0, return_inverse=True
    )
    got_rows, got_inverse = stats._unique_rows(columns)
    np.testing.assert_array_equal(got_rows, expected_rows)
    np.testing.assert_array_equal(got_inverse, expected_inverse.reshape(-1))
