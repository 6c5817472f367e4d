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

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

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


def draw_keys(rng: np.random.Generator, n: int) -> U64:
    """Fresh 64-bit keys for ``n`` new entities."""
    return rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: U64) -> U64:
    # splitmix64 finaliser: a bijection with good avalanche, so neighbouring keys
    # give unrelated outputs.
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def pair_uniform(key_a: U64, key_b: U64) -> npt.NDArray[np.float64]:
    """Uniform(0, 1) values determined by two keys (open interval)."""
    with np.errstate(over="ignore"):
        h = _mix(key_a ^ _mix(key_b + _GOLDEN))
    # 52 bits, so that the largest value plus one half is still below 2**52 exactly
    return ((h >> np.uint64(12)).astype(np.float64) + 0.5) * (1.0 / 4503599627370496.0)


def pair_normal(key_a: U64, key_b: U64) -> npt.NDArray[np.float64]:
    """Standard normal values determined by two keys."""
    return np.asarray(ndtri(pair_uniform(key_a, key_b)), dtype=np.float64)
