"""The sensitivity plumbing on a model whose answers are known: the Ishigami function.

:func:`simulator.experiments.sensitivity.estimate` is the machinery ``connectsim
sensitivity`` runs (SALib design, one executor over every (point,
replication), the analysis of the means over replications and the noise
share); here its model is the Ishigami function with a = 7, b = 0.1 plus
Gaussian noise of known variance, so every index and the noise share have a
closed form to be checked against.

Tolerances. SALib reports a 95% interval as the index plus or minus 1.96
bootstrap standard deviations. Each check allows 3.29 of them (the two-sided
99.9% normal quantile): were the bootstrap's standard deviation right, a check
would fail by chance once in a thousand seeds. The bootstrap resamples design
rows as if they were independent draws, which overstates the error of a
scrambled Sobol' design, so the allowance is if anything generous in the
right direction (it never hides a bias as large as the estimator's own error).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami
from scipy.stats import norm

from simulator.experiments.sensitivity import (
    DUMMY,
    MORRIS_LEVELS,
    Output,
    Parameter,
    Sensitivity,
    estimate,
    noise_share,
)

A, B = 7.0, 0.1
NOISE_SD = 1.0
REPLICATIONS = 2
OUTPUT: Output = ("ishigami", "y")

# the closed form (Sobol' and Levitan 1999): variance and its partial variances
V1 = 0.5 * (1.0 + B * math.pi**4 / 5.0) ** 2
V2 = A**2 / 8.0
V13 = 8.0 * B**2 * math.pi**8 / 225.0
V = V1 + V2 + V13
SIGMA2 = NOISE_SD**2 / REPLICATIONS
"""The variance of a point's mean over its replications: what the noise adds to it."""

WIDEN = norm.ppf(0.9995) / norm.ppf(0.975)
"""From SALib's 95% half-width to 3.29 bootstrap standard deviations."""

PROBLEM = {
    "num_vars": 4,
    "names": ["x1", "x2", "x3", DUMMY],
    "bounds": [[-math.pi, math.pi]] * 3 + [[0.0, 1.0]],
}


@dataclass(frozen=True)
class NoisyIshigami:
    """Ishigami of x1..x3 (the dummy is ignored) plus N(0, sd^2) noise.

    The noise of each (point, replication) comes from its own seed, so it is
    independent across points and replications, with a known variance.
    """

    sd: float
    seed: int
    outputs: tuple[Output, ...] = (OUTPUT,)

    def __call__(self, point: int, x: np.ndarray, replication: int) -> Mapping[Output, float]:
        rng = np.random.default_rng(
            np.random.SeedSequence(self.seed, spawn_key=(point, replication))
        )
        y = float(Ishigami.evaluate(x[None, :3], A=A, B=B)[0])
        return {OUTPUT: y + self.sd * float(rng.standard_normal())}


@pytest.fixture(scope="module")
def sobol() -> Sensitivity:
    return estimate(
        PROBLEM,
        NoisyIshigami(NOISE_SD, seed=5),
        method="sobol",
        samples=1024,
        replications=REPLICATIONS,
        seed=11,
        executor="in-process",
    )


def test_closed_form_matches_the_published_indices() -> None:
    # the values every Ishigami reference quotes (noise-free)
    first = [V1 / V, V2 / V, 0.0]
    total = [(V1 + V13) / V, V2 / V, V13 / V]
    assert first == pytest.approx([0.314, 0.442, 0.0], abs=1e-3)
    assert total == pytest.approx([0.558, 0.442, 0.244], abs=1e-3)


def _index(result: Sensitivity, parameter: str, index: str) -> pd.Series:
    i = result.indices
    hit = i[(i["parameter"] == parameter) & (i["index"] == index)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_sobol_indices_match_the_closed_form_with_noise(sobol: Sensitivity) -> None:
    """S1 and ST within 3.29 bootstrap standard deviations of their expected values.

    Independent noise of variance SIGMA2 on each point's mean adds SIGMA2 to
    the output's variance, nothing to the first-order numerator
    E[f(B) (f(AB_i) - f(A))], and SIGMA2 to the total-order numerator
    E[(f(A) - f(AB_i))^2] / 2, whose two terms carry independent noise.
    """
    total = V + SIGMA2
    expected = {
        ("x1", "S1"): V1 / total,
        ("x2", "S1"): V2 / total,
        ("x3", "S1"): 0.0,
        (DUMMY, "S1"): 0.0,
        ("x1", "ST"): (V1 + V13 + SIGMA2) / total,
        ("x2", "ST"): (V2 + SIGMA2) / total,
        ("x3", "ST"): (V13 + SIGMA2) / total,
        (DUMMY, "ST"): SIGMA2 / total,
    }
    for (parameter, index), value in expected.items():
        row = _index(sobol, parameter, index)
        half = (row["ci_high"] - row["ci_low"]) / 2.0
        assert 0.0 < half < 0.1, (parameter, index, half)  # informative, not vacuous
        assert abs(row["value"] - value) <= WIDEN * half, (parameter, index, row["value"], value)


def test_the_dummy_is_inert(sobol: Sensitivity) -> None:
    # its first-order interval holds 0; its total index is the noise alone, so
    # below 0.05: SIGMA2 / (V + SIGMA2) = 0.035 plus 3.29 SDs of at most 0.003
    s1 = _index(sobol, DUMMY, "S1")
    assert s1["ci_low"] <= 0.0 <= s1["ci_high"]
    assert _index(sobol, DUMMY, "ST")["value"] < 0.05


def test_noise_share_matches_the_known_value(sobol: Sensitivity) -> None:
    """within / R over the variance of point means: SIGMA2 / (V + SIGMA2).

    Every row of a Sobol' design is uniform on the cube, so the variance of
    the rows' means estimates V + SIGMA2; the within-point variance estimates
    NOISE_SD^2. The tolerance widens the bootstrap interval of the share as
    above.
    """
    noise = sobol.noise.iloc[0]
    known = SIGMA2 / (V + SIGMA2)
    assert noise["within_variance"] == pytest.approx(NOISE_SD**2, rel=0.05)
    assert noise["replications"] == REPLICATIONS
    assert noise["rows"] == 1024 * (4 + 2)
    half = (noise["noise_share_ci_high"] - noise["noise_share_ci_low"]) / 2.0
    assert 0.0 < half < 0.2 * known
    assert abs(noise["noise_share"] - known) <= WIDEN * half
    # the dummy's total index measures the same noise, by another estimator
    assert _index(sobol, DUMMY, "ST")["value"] == pytest.approx(noise["noise_share"], abs=0.01)


def test_morris_sees_the_noise_on_the_dummy() -> None:
    """The dummy's elementary effect is pure noise: (e1 - e2) / delta.

    With e1, e2 independent N(0, SIGMA2) and delta = 2/3 (4 levels), its mean
    absolute value is 2 sqrt(SIGMA2 / pi) / delta; the real parameters' mu*
    are far above it.
    """
    result = estimate(
        PROBLEM,
        NoisyIshigami(NOISE_SD, seed=6),
        method="morris",
        samples=200,
        replications=REPLICATIONS,
        seed=12,
    )
    delta = MORRIS_LEVELS / (2.0 * (MORRIS_LEVELS - 1))
    known = 2.0 * math.sqrt(SIGMA2 / math.pi) / delta
    dummy = _index(result, DUMMY, "mu_star")
    half = (dummy["ci_high"] - dummy["ci_low"]) / 2.0
    assert abs(dummy["value"] - known) <= WIDEN * half
    for name in ("x1", "x2", "x3"):
        assert _index(result, name, "mu_star")["ci_low"] > dummy["ci_high"]
    # x1's effect is monotone (sin), x2's symmetric (sin^2): mu tells them apart
    assert _index(result, "x1", "mu")["value"] > 0.8 * _index(result, "x1", "mu_star")["value"]
    assert abs(_index(result, "x2", "mu")["value"]) < 0.2 * _index(result, "x2", "mu_star")["value"]


def test_estimate_is_a_pure_function_of_its_seeds() -> None:
    model = NoisyIshigami(NOISE_SD, seed=7)
    first = estimate(PROBLEM, model, method="sobol", samples=64, seed=3)
    again = estimate(PROBLEM, model, method="sobol", samples=64, seed=3)
    other = estimate(PROBLEM, model, method="sobol", samples=64, seed=4)
    pd.testing.assert_frame_equal(first.indices, again.indices)
    pd.testing.assert_frame_equal(first.noise, again.noise)
    assert not np.array_equal(first.design.rows, other.design.rows)


def test_noise_share_needs_two_replications() -> None:
    values = np.arange(10.0).reshape(10, 1)
    within, _, between, share, low, _ = noise_share(values)
    assert math.isnan(within) and math.isnan(share) and math.isnan(low)
    assert between == pytest.approx(np.var(np.arange(10.0), ddof=1))


def test_noise_share_definition() -> None:
    # two rows, two replications: within = mean of (var(1, 3), var(10, 14)) = (2 + 8) / 2
    values = np.array([[1.0, 3.0], [10.0, 14.0], [5.0, 5.0]])
    within, noise, between, share, _, _ = noise_share(values)
    assert within == pytest.approx((2.0 + 8.0 + 0.0) / 3)
    assert noise == pytest.approx(within / 2)
    assert between == pytest.approx(np.var([2.0, 12.0, 5.0], ddof=1))
    assert share == pytest.approx(noise / between)


def test_integer_parameters_give_every_integer_an_equal_share() -> None:
    p = Parameter("arms.free.monthly_grant.basic", 5.0, 8.0, integer=True)
    x = np.linspace(5.0, 8.0, 4001)
    values = [p.value(float(v)) for v in x]
    assert all(isinstance(v, int) for v in values)
    counts = np.bincount(np.asarray(values) - 5)
    assert counts.tolist() == pytest.approx([1000, 1000, 1000, 1001], abs=2)
    assert p.value(5.0) == 5 and p.value(8.0) == 8
    assert Parameter("world.jobs.ghost_share", 0.0, 0.3).value(0.125) == 0.125
