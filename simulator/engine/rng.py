"""Seeds and random streams.

A study has one root seed. Replication ``r`` uses
``SeedSequence(root, spawn_key=(r,))`` and every stochastic source gets its own
``np.random.Generator`` spawned from it by name, in the fixed order of
:data:`STREAMS`. Every arm of a replication uses the same seeds (common random
numbers).

For draws that belong to a *pair* of entities (a client's taste for one
freelancer's proposal, the review of one contract), the value is a hash of
two 64-bit keys that were themselves drawn from generators when the entities
were created. The same client therefore judges the same freelancer the same
way under every policy, however many other proposals each policy produced.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

STREAMS: tuple[str, ...] = (
    "population",
    "jobs",
    "browsing",
    "activity",
    "entry",
    "exit",
)
"""Named random sources of a replication, in spawn order (append only)."""

U64 = npt.NDArray[np.uint64]


def replication_seed(root_seed: int, replication: int) -> np.random.SeedSequence:
    """The seed sequence of one replication of a study."""
    return np.random.SeedSequence(root_seed, spawn_key=(replication,))


def spawn_streams(seed: np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """One generator per named source, spawned in the fixed order of :data:`STREAMS`."""
    children = [
        np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i))
        for i in range(len(STREAMS))
    ]
    return {
        name: np.random.Generator(np.random.PCG64(c))
        for name, c in zip(STREAMS, children, strict=True)
    }


_U64_MAX = int(np.iinfo(np.uint64).max)


def draw_keys(rng: np.random.Generator, n: int) -> U64:
    """Fresh 64-bit keys for ``n`` new entities."""
    return rng.integers(0, _U64_MAX, size=n, dtype=np.uint64, endpoint=True)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S12 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(12)
_TWO_POW_52 = 4503599627370496.0


# Every constant and shift is a uint64: numba turns a uint64 mixed with an int64
# into a float64, which would silently break the hash.
@numba.njit(cache=True, inline="always")
def mix_one(x: np.uint64) -> np.uint64:
    """splitmix64's finaliser: a bijection of 64-bit integers with good avalanche."""
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    return x ^ (x >> _S31)


@numba.njit(cache=True, inline="always")
def pair_uniform_one(key_a: np.uint64, key_b: np.uint64) -> float:
    """A Uniform(0, 1) value determined by two keys (open interval)."""
    h = mix_one(key_a ^ mix_one(key_b + _GOLDEN))
    # 52 bits, so that the largest value plus one half is still below 2**52 exactly
    return (float(h >> _S12) + 0.5) / _TWO_POW_52


# Acklam's rational approximation of the normal quantile (relative error below
# 1.2e-9 over (0, 1)). It is used instead of scipy.special.ndtri because compiled
# code cannot call scipy, and instead of Box-Muller because it needs one uniform
# (one hash) and, for 95% of values, no logarithm: it runs for every proposal.
_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


@numba.njit(cache=True, inline="always")
def normal_quantile_one(p: float) -> float:
    """The standard normal quantile of ``p`` in (0, 1) (Acklam's approximation)."""
    if p < _P_LOW or p > 1.0 - _P_LOW:
        q = math.sqrt(-2.0 * math.log(p if p < 0.5 else 1.0 - p))
        x = (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
        )
        return x if p < 0.5 else -x
    q = p - 0.5
    r = q * q
    return (
        (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
        * q
        / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
    )


@numba.njit(cache=True, inline="always")
def pair_normal_one(key_a: np.uint64, key_b: np.uint64) -> float:
    """A standard normal value determined by two keys (the quantile of their uniform)."""
    z: float = normal_quantile_one(pair_uniform_one(key_a, key_b))
    return z


_mix_ufunc = numba.vectorize(["uint64(uint64)"], cache=True)(mix_one)
_uniform_ufunc = numba.vectorize(["float64(uint64, uint64)"], cache=True)(pair_uniform_one)
_normal_ufunc = numba.vectorize(["float64(uint64, uint64)"], cache=True)(pair_normal_one)


def _mix(x: U64) -> U64:
    """:func:`mix_one` over an array."""
    return np.asarray(_mix_ufunc(x), dtype=np.uint64)


def pair_uniform(key_a: U64, key_b: U64) -> npt.NDArray[np.float64]:
    """Uniform(0, 1) values determined by two keys (open interval)."""
    return np.asarray(_uniform_ufunc(key_a, key_b), dtype=np.float64)


def pair_normal(key_a: U64, key_b: U64) -> npt.NDArray[np.float64]:
    """Standard normal values determined by two keys."""
    return np.asarray(_normal_ufunc(key_a, key_b), dtype=np.float64)
