"""Resource limits: refuse a replication that cannot fit in memory, before it allocates.

A scenario whose fields are each allowed can still ask for more memory than
any machine has: a million entrants a month, a billion posts a day or a
warm-up of a billion days end in a NumPy ``ArrayMemoryError`` traceback (or
in the kernel's out-of-memory killer) minutes into a study. This module
estimates, from the scenario alone and in microseconds, the peak memory of
one replication, and :func:`check_replication_memory` turns an estimate
beyond the memory available into a one-line
:class:`~simulator.errors.ScenarioError` naming what makes it so large.
:class:`~simulator.engine.market.Market` calls it first thing, so every path that
builds a market refuses before allocating; a study runner calls it again
with its number of concurrent workers.

What a replication allocates
----------------------------
The estimate mirrors the engine's own sizing (:mod:`simulator.engine.market`,
:mod:`simulator.engine.population`, :mod:`simulator.engine.jobs`, :mod:`simulator.engine.ledger`,
:mod:`simulator.engine.contracts`, :mod:`simulator.engine.recorder`); every term is a count
times bytes per unit:

* freelancer rows: the market sizes every per-freelancer column for the
  freelancers at the start plus 1.5 times the entrants expected over the whole
  run (warm-up and horizon), ``F x (1 + 1.5 x entrants_per_month_share x
  months) + 64``. Each row costs the population's 34 columns (251 bytes), the
  ledger's 8 counters and its two rings of lots (one int64 per month of
  expiry), the recorder's 10 counters and the market's 3, temporaries of the
  waves and months (256 bytes, an allowance) and the results: the freelancer
  frame and its segments at the end (1,024 bytes, measured at 820);
* post slots: the job board is a ring sized for the posts open at once at the
  peak posting rate, ``jobs_per_day x (1 + weekly_amplitude) x (open_days_max
  + 2 x wave_days + 1)``, with head-room, rounded up to a power of two. Each
  slot holds 13 scalar columns, the open list, and the review lists
  (``max_reviewed`` + boost slots columns of 4 + 8 + 4 bytes) and the boost
  table (40 bytes a boost slot);
* per wave: a wave's new posts and closing posts are drawn and decided in
  bulk (about 300 bytes a post, plus 64 bytes a boost slot where boosts are
  settled and 64 bytes per review column where interviews earn Connects, as
  the closing posts' review lists are then ranked);
* the feeds: one ring per category, of twice the browsing lookback;
* browsing buffers: room for every proposal a wave's sessions could write
  (sessions x jobs viewed per session, 4 int64 columns, doubled as they grow,
  twice with boosts for the outbid list);
* contracts in progress (Little's law: posts a day x mean contract length,
  at most every freelancer's capacity) and the refund log of proposals on
  open posts (policies that refund only), each doubled as they grow;
* the daily records: one row per day of the run, warm-up included;
* the process itself: the interpreter, NumPy, pandas, SimPy and the compiled
  engine (a fixed :data:`PROCESS_BASE_BYTES`, measured at 260 MiB with numba's
  cache warm and 354 MiB while it compiles).

Only the refund log rests on an assumption about behaviour rather than on
sizes: it counts at most :data:`PROPOSALS_PER_FREELANCER_DAY` proposals a
freelancer-day (sessions x jobs viewed if that is fewer), over three times the
most measured in the shipped scenarios (1.1, upwork_history).

Calibration
-----------
Peak resident memory (``ru_maxrss``) of a fresh process running one
replication, against the estimate, on this project's 2-core, 24 GiB machine
(numba cache warm; ``benchmarks/bench_memory_estimate.py`` reproduces it;
"ref." is ``scenarios/reference_market.yaml``, arm ``paid`` unless named)::

    scenario                                        estimate  measured  ratio
    ref. 2,000 freelancers, 150 posts a day          394 MiB   266 MiB   1.48
    paid_vs_free (3,000, 225, 270 days)              399 MiB   271 MiB   1.48
    ref. (20,000, 1,500, 425 days)                   475 MiB   320 MiB   1.48
    ref., 1,825-day horizon                          536 MiB   352 MiB   1.52
    ref., 30 % entrants a month                      724 MiB   442 MiB   1.64
    ref., max_reviewed 200                           673 MiB   500 MiB   1.35
    ref. 100,000, 7,500 posts a day                  921 MiB   638 MiB   1.44
    ref. 200,000, 1,500 posts a day                 1013 MiB   616 MiB   1.64
    ref. 100,000, expiry 120 months (both books)     985 MiB   675 MiB   1.46
    upwork_history at ref. size (refunds)            518 MiB   319 MiB   1.62
    boosts at ref. size, arm boosted                 484 MiB   330 MiB   1.47
    upwork_history at ref. size, interviews, K 200  2257 MiB  1934 MiB   1.17
    textbook rounds, 10,000 x 10,000 posts a day     641 MiB   461 MiB   1.39

The estimate was never below the measured peak and at most 1.64 times it. It
is tightest (1.17) where one structure it counts exactly dominates (the job
board with 200-proposal review lists: 1.6 GiB of 1.9), loosest where the
allowances for freelancer rows (temporaries, results) and the refund log
dominate; :data:`ALLOCATOR_MARGIN` keeps the tight cases above the peak.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.errors import ConnectsimError, ScenarioError

if TYPE_CHECKING:
    from simulator.config.policy import CreditPolicy
    from simulator.config.scenario import Scenario

MEMORY_LIMIT_ENV = "CONNECTSIM_MEMORY_LIMIT_BYTES"
"""Environment variable: the bytes of memory connectsim may use, instead of what the
machine reports as available (an integer such as ``8000000000`` or ``8e9``). For
tests, for machines whose reported memory is wrong (a container's limit), or to
override a refusal at one's own risk."""

GIB = 1024**3

PROCESS_BASE_BYTES = 384 * 1024**2
"""The process before any replication: interpreter, NumPy, pandas, SimPy and the compiled
engine (measured: 260 MiB with numba's cache warm, 354 MiB while numba compiles)."""

COUNT_LIMIT = 2**53
"""Counts above this are refused as not representable: past 2**53 a float no longer
holds every integer, so float-to-int conversions and the wave clock (a float
number of days) would silently lose units, and int64 index arithmetic on such
counts is a few doublings from overflowing."""

ALLOCATOR_MARGIN = 1.1
"""Multiplies the arrays' bytes: the allocator's overhead and fragmentation, and
temporaries not itemised (where one structure dominates, as the job board with long
review lists, the estimate is otherwise within a few percent of the measured peak)."""

PROPOSALS_PER_FREELANCER_DAY = 4.0
"""Proposals a freelancer-day assumed at most when sizing the refund log (measured in
the shipped scenarios: 1.1 at most)."""

# Mirrors of engine constants. Importing them would import the engine (and
# simulator.engine.market imports this module); tests check they are still equal.
DAYS_PER_MONTH = 30.0
"""As :data:`simulator.engine.ledger.DAYS_PER_MONTH`."""
MAX_SESSIONS_PER_WAVE = 8
"""As :data:`simulator.engine.market.MAX_SESSIONS_PER_WAVE`."""
ENTRANT_HEADROOM = 1.5
"""The market sizes freelancer columns for this many times the expected entrants."""
BOOST_FIELDS = 5
"""As :data:`simulator.engine.jobs.BOOST_FIELDS`."""

# Bytes per unit (see the module docstring for what each counts).
_POPULATION_ROW = 15 * 8 + 15 * 8 + 8 + 3  # float, int and key columns, 3 bools
_LEDGER_ROW = 8 * 8  # counters and balances; the lots are added per arm
_RECORDER_ROW = 10 * 8
_MARKET_ROW = 3 * 8  # weekly interview Connects, session rates, P(no session)
_TEMPORARY_ROW = 256  # draws and masks of a wave or a month, an allowance
_RESULT_ROW = 1024  # the freelancer frame and its segments (measured 820)
_SLOT_SCALARS = 10 * 8 + 3 + 2 * 8 + 2  # columns, open list, the closing masks
_SLOT_PER_REVIEW_COLUMN = 4 + 8 + 4  # reviewed agent (int32), score, quality (float32)
_WAVE_POST = 300  # a new or closing post's draws and decision arrays
_WAVE_POST_PER_INTERVIEW_COLUMN = 64  # ranking the review lists (arms that pay interviews)
_WAVE_POST_PER_BOOST_SLOT = 64  # settling the boosts (arms with boosts)
_PROPOSAL_BUFFER = 4 * 8 * 2  # 4 int64 columns, doubled when they grow
_CONTRACT = 4 * 8 * 2 + 3 * 8 + 5 * 8  # book doubled, the due split, a start's output
_LOG_ENTRY = 33 * 2 + 33  # 4 int64 and a bool, doubled when grown, and the closing copy
_DAY = 256  # the daily table, its frame, the survival curve's days


@dataclass(frozen=True, slots=True)
class _Term:
    """A count or a term of the estimate (bytes), and what drives it.

    The description is made only for a message: formatting it every time
    would cost more than the arithmetic of the estimate.
    """

    value: float
    describe: Callable[[], str]


def _num(x: float) -> str:
    """A count or setting, short: ``1e6`` rather than ``1e+06``, ``3000`` and ``1218``
    rather than ``3e+03`` and ``1.22e+03``, ``22.2`` and ``0.02`` as they are."""
    if math.isfinite(x) and (x == round(x) or abs(x) >= 1000) and abs(x) < 1e6:
        return str(round(x))
    text = f"{x:.3g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _next_pow2(n: float) -> float:
    """As :func:`simulator.engine.jobs._next_pow2`, in floats (so that an enormous count stays
    a float, not a huge integer)."""
    if not math.isfinite(n):
        return math.inf
    exponent = max(4, math.ceil(math.log2(max(n, 2.0))))
    # 2.0 ** 1024 raises OverflowError rather than giving inf
    return 2.0**exponent if exponent < 1024 else math.inf


def _run_days(scenario: Scenario) -> float:
    return scenario.run.warmup_days + scenario.run.horizon_days


def _run_text(scenario: Scenario) -> str:
    run = scenario.run
    return f"run.warmup_days={_num(run.warmup_days)} + run.horizon_days={_num(run.horizon_days)}"


def _waves_per_day(scenario: Scenario) -> float:
    # as the market: a whole number of waves a day
    return float(max(round(1.0 / scenario.run.wave_days), 1))


def _freelancers_over_run(scenario: Scenario) -> _Term:
    """Rows every per-freelancer column is sized for, as the market computes them."""
    p = scenario.world.population
    months = _run_days(scenario) / DAYS_PER_MONTH
    entrants = p.freelancers * ENTRANT_HEADROOM * p.entrants_per_month_share * months
    rows = p.freelancers + entrants + 64.0

    def describe() -> str:
        if entrants > p.freelancers:
            return (
                f"world.population.entrants_per_month_share={_num(p.entrants_per_month_share)}"
                f" of world.population.freelancers={_num(p.freelancers)} over {_num(months)}"
                f" months ({_run_text(scenario)}) makes {_num(rows)} freelancers over the run"
            )
        return (
            f"world.population.freelancers={_num(p.freelancers)} makes {_num(rows)} "
            "freelancers over the run"
        )

    return _Term(rows, describe)


def _post_slots(scenario: Scenario) -> _Term:
    """Slots of the job board's ring, as :class:`~simulator.engine.jobs.JobBoard` sizes it."""
    s = scenario.world.jobs
    wave_days = 1.0 / _waves_per_day(scenario)
    expected_open = (
        s.jobs_per_day * (1.0 + s.weekly_amplitude) * (s.open_days_max + 2.0 * wave_days + 1.0)
    )
    slots = _next_pow2(1.2 * expected_open + 8.0 * math.sqrt(expected_open) + 64.0)
    return _Term(
        slots,
        lambda: (
            f"world.jobs.jobs_per_day={_num(s.jobs_per_day)} with world.jobs.open_days_max="
            f"{_num(s.open_days_max)} makes {_num(slots)} post slots"
        ),
    )


def _posts_per_wave(scenario: Scenario) -> _Term:
    s = scenario.world.jobs
    mean = s.jobs_per_day * (1.0 + s.weekly_amplitude) / _waves_per_day(scenario)
    if scenario.world.textbook is not None:
        mean = s.jobs_per_day / _waves_per_day(scenario)
    posts = mean + 8.0 * math.sqrt(mean) + 8.0  # a Poisson draw's tail
    return _Term(
        posts,
        lambda: (
            f"world.jobs.jobs_per_day={_num(s.jobs_per_day)} x run.wave_days="
            f"{_num(scenario.run.wave_days)} makes {_num(posts)} posts a wave"
        ),
    )


def _posts_over_run(scenario: Scenario) -> _Term:
    s = scenario.world.jobs
    days = _run_days(scenario)
    posts = s.jobs_per_day * (1.0 + s.weekly_amplitude) * days
    return _Term(
        posts,
        lambda: (
            f"world.jobs.jobs_per_day={_num(s.jobs_per_day)} over {_num(days)} days "
            f"({_run_text(scenario)}) makes {_num(posts)} posts over the run"
        ),
    )


def _waves_over_run(scenario: Scenario) -> _Term:
    waves = _run_days(scenario) * _waves_per_day(scenario)
    return _Term(
        waves,
        lambda: (
            f"{_run_text(scenario)} days at run.wave_days={_num(scenario.run.wave_days)}"
            f" makes {_num(waves)} waves"
        ),
    )


def _days_recorded(scenario: Scenario) -> _Term:
    run_days = _run_days(scenario)
    days = math.ceil(run_days) + 1.0 if math.isfinite(run_days) else math.inf
    return _Term(days, lambda: f"{_run_text(scenario)} makes {_num(days)} daily records")


def _check_counts(scenario: Scenario) -> None:
    """Refuse counts that cannot be represented, before any float becomes an int."""
    # the run's length first: an infinite run makes every other count infinite (or
    # NaN, as 0 entrants x infinite months) and is the one to name
    counts = (
        _days_recorded(scenario),
        _waves_over_run(scenario),
        _freelancers_over_run(scenario),
        _post_slots(scenario),
        _posts_per_wave(scenario),
        _posts_over_run(scenario),
    )
    for count in counts:
        # "not <=" also catches NaN
        if not count.value <= COUNT_LIMIT:
            raise ScenarioError(
                f"scenario {scenario.name!r}: {count.describe()}, more than a replication "
                f"can count (at most 2**53 = {_num(COUNT_LIMIT)})"
            )


def _feed_lookback(scenario: Scenario) -> float:
    """As :class:`~simulator.engine.market.Market` passes it to the job board."""
    world = scenario.world
    lookback = float(world.population.jobs_viewed_per_session * MAX_SESSIONS_PER_WAVE)
    if world.textbook is not None:
        posts = world.jobs.jobs_per_day / _waves_per_day(scenario)
        lookback = max(lookback, round(posts) + 1.0)
    return lookback


def _mean_contract_days(scenario: Scenario) -> float:
    """Mean length of a contract: hours (budget over the client's rate, lognormal
    budgets) over hours worked a day; a round's half for textbook rounds."""
    world = scenario.world
    wave_days = 1.0 / _waves_per_day(scenario)
    if world.textbook is not None:
        return wave_days
    hours = sum(
        t.share
        * t.budget_median_usd
        * math.exp(0.5 * t.budget_sigma**2)
        / t.client_rate_usd_per_hour
        for t in world.jobs.tiers.values()
    )
    # a contract ends at the wave boundary after its due day
    return hours / world.contracts.hours_per_day + wave_days


def _mean_open_days(scenario: Scenario, ghosts_only: bool) -> float:
    """Mean days a post stays open: its client decides after an exponential time (at
    most ``open_days_max``); ghost posts not removed stay open until then."""
    s = scenario.world.jobs
    decided = s.decision_days_mean * -math.expm1(-s.open_days_max / s.decision_days_mean)
    if ghosts_only:
        return s.ghost_removed_share * decided + (1.0 - s.ghost_removed_share) * s.open_days_max
    expiring = s.ghost_share * (1.0 - s.ghost_removed_share)
    return (1.0 - expiring) * decided + expiring * s.open_days_max


def _arm_terms(scenario: Scenario, policy: CreditPolicy) -> list[_Term]:
    """The terms of the estimate for one arm, in bytes (the process base apart)."""
    world = scenario.world
    p, s, cl = world.population, world.jobs, world.clients
    wave_days = 1.0 / _waves_per_day(scenario)
    boost_slots = policy.boosts.slots if policy.boosts.enabled else 0
    review_columns = cl.max_reviewed + boost_slots

    rows = _freelancers_over_run(scenario)
    lots = (policy.free_expiry_months or 1) + (policy.purchased_expiry_months or 1)
    row_bytes = (
        _POPULATION_ROW
        + _LEDGER_ROW
        + 8 * lots
        + _RECORDER_ROW
        + _MARKET_ROW
        + _TEMPORARY_ROW
        + _RESULT_ROW
    )
    terms = [_Term(rows.value * row_bytes, rows.describe)]

    slots = _post_slots(scenario)
    slot_bytes = (
        _SLOT_SCALARS + _SLOT_PER_REVIEW_COLUMN * review_columns + 8 * BOOST_FIELDS * boost_slots
    )

    def describe_slots() -> str:
        text = slots.describe()
        if _SLOT_PER_REVIEW_COLUMN * review_columns > _SLOT_SCALARS:
            # the review lists, not the scalar columns, make a slot large
            text += (
                f" of {_num(review_columns)} review columns each (world.clients.max_reviewed="
                f"{_num(cl.max_reviewed)})"
            )
        return text

    terms.append(_Term(slots.value * slot_bytes, describe_slots))

    wave = _posts_per_wave(scenario)
    per_wave_post = _WAVE_POST + _WAVE_POST_PER_BOOST_SLOT * boost_slots
    if policy.earning.per_interview > 0:
        # the market ranks every closing post's whole review list for interviews
        per_wave_post += _WAVE_POST_PER_INTERVIEW_COLUMN * review_columns
    terms.append(_Term(wave.value * per_wave_post, wave.describe))

    feed_capacity = _next_pow2(2.0 * _feed_lookback(scenario) + 64.0)
    terms.append(
        _Term(
            8.0 * p.categories * feed_capacity,
            lambda: (
                f"world.population.categories={_num(p.categories)} feeds of "
                f"{_num(feed_capacity)} posts each"
            ),
        )
    )

    # freelancers in the market at once: at most everyone who ever joined
    alive = rows.value
    if world.textbook is not None:
        per_session = max(p.jobs_viewed_per_session, world.textbook.applications_per_freelancer)
        sessions = alive
    else:
        per_session = p.jobs_viewed_per_session
        per_freelancer = min(p.sessions_per_day_mean * wave_days, float(MAX_SESSIONS_PER_WAVE))
        sessions = alive * per_freelancer + 8.0 * math.sqrt(alive * per_freelancer)
    room = sessions * per_session
    buffers = (2 if boost_slots > 0 else 1) * _PROPOSAL_BUFFER
    terms.append(
        _Term(
            room * buffers,
            lambda: (
                f"{_num(alive)} freelancers x world.population.jobs_viewed_per_session="
                f"{_num(p.jobs_viewed_per_session)} makes room for {_num(room)} proposals a wave"
            ),
        )
    )

    # Little's law, with every post hired; never more than every freelancer's capacity
    contracts = min(
        s.jobs_per_day * (1.0 + s.weekly_amplitude) * _mean_contract_days(scenario),
        p.capacity_contracts * rows.value,
    )
    terms.append(
        _Term(
            (contracts + 1024.0) * _CONTRACT,
            lambda: f"{_num(contracts)} contracts in progress",
        )
    )

    refunds = policy.refunds
    if refunds.on_cancel or refunds.on_removed or refunds.on_expired:
        # the log keeps every proposal when cancelled posts refund, else ghost posts' only
        ghosts_only = not refunds.on_cancel
        traced = s.ghost_share if ghosts_only else 1.0
        per_day = min(
            p.sessions_per_day_mean * p.jobs_viewed_per_session, PROPOSALS_PER_FREELANCER_DAY
        )
        entries = alive * per_day * traced * _mean_open_days(scenario, ghosts_only)
        terms.append(
            _Term(
                (entries + 4096.0) * _LOG_ENTRY,
                lambda: f"{_num(entries)} refundable proposals on open posts",
            )
        )

    days = _days_recorded(scenario)
    terms.append(_Term(days.value * _DAY, days.describe))
    return terms


def _estimate(scenario: Scenario, arm: str | None) -> tuple[float, _Term]:
    """The estimate in bytes (the largest over arms when ``arm`` is None) and its
    largest term."""
    if arm is not None and arm not in scenario.arms:
        raise KeyError(f"arm {arm!r} is not in scenario {scenario.name!r}")
    _check_counts(scenario)
    best_total = -1.0
    best_term = _Term(0.0, str)
    for name in [arm] if arm is not None else list(scenario.arms):
        terms = _arm_terms(scenario, scenario.arms[name])
        total = PROCESS_BASE_BYTES + ALLOCATOR_MARGIN * sum(term.value for term in terms)
        if total > best_total:
            best_total = total
            best_term = max(terms, key=lambda term: term.value)
    return best_total, best_term


def estimate_replication_bytes(scenario: Scenario, arm: str | None = None) -> int:
    """Estimate the peak memory of one replication, from the scenario alone.

    Nothing is allocated: the estimate is arithmetic on the scenario's fields
    (a few microseconds), term by term what the engine sizes its arrays for
    (see the module docstring), plus the process's fixed base. It is meant
    to be on the high side: calibrated against measured peaks, it was 1.17
    to 1.64 times them and never below.

    Parameters
    ----------
    scenario
        A validated scenario.
    arm
        The arm to estimate; None (the default) gives the largest estimate
        over the scenario's arms (arms differ in their ledgers' expiry rings,
        boost slots and refund logs).

    Returns
    -------
    int
        Bytes.

    Raises
    ------
    ScenarioError
        If a count the replication would use (freelancers over the run, post
        slots, posts a wave or over the run, waves, days) is not finite or
        exceeds :data:`COUNT_LIMIT`, so that it cannot be represented.
    KeyError
        If ``arm`` is not an arm of the scenario.
    """
    total, _ = _estimate(scenario, arm)
    return math.ceil(total)


def available_memory_bytes() -> tuple[int | None, str]:
    """The bytes of memory this process may use, and where that figure comes from.

    In order: the environment variable :data:`MEMORY_LIMIT_ENV`; ``MemAvailable``
    of ``/proc/meminfo`` (Linux: free memory plus what the kernel can reclaim);
    the machine's physical memory (``os.sysconf``); None when none can be read.

    Returns
    -------
    tuple of (int or None, str)
        The bytes, and a short description of the source for messages.

    Raises
    ------
    ConnectsimError
        If the environment variable is set but is not a non-negative number of
        bytes.
    """
    text = os.environ.get(MEMORY_LIMIT_ENV)
    if text is not None and text.strip():
        try:
            limit = float(text.strip())
        except ValueError:
            limit = math.nan
        if not (math.isfinite(limit) and limit >= 0):
            raise ConnectsimError(
                f"{MEMORY_LIMIT_ENV}={text!r}: expected a number of bytes, e.g. 8000000000"
            )
        return int(limit), MEMORY_LIMIT_ENV
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                # "MemAvailable:   23329956 kB"
                return int(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo"
    except (OSError, ValueError, IndexError):
        pass
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None, "unknown"
    return (total, "physical memory") if total > 0 else (None, "unknown")


def check_replication_memory(
    scenario: Scenario, concurrent: int = 1, available_bytes: int | None = None
) -> None:
    """Refuse a scenario whose replications would not fit in the memory available.

    Parameters
    ----------
    scenario
        A validated scenario.
    concurrent
        Replications that will run at once (a study's workers), each in a
        process of its own.
    available_bytes
        The memory they may use; None (the default) reads it with
        :func:`available_memory_bytes` (the environment variable
        ``CONNECTSIM_MEMORY_LIMIT_BYTES``, else the machine's available memory).
        When it cannot be read, nothing is refused for memory.

    Raises
    ------
    ScenarioError
        In one line naming the scenario, the estimate, the memory available and
        the largest term of the estimate with the settings that drive it, when
        ``concurrent`` times :func:`estimate_replication_bytes` exceeds the
        memory available; or when a count cannot be represented (see
        :func:`estimate_replication_bytes`).
    """
    total, largest = _estimate(scenario, None)
    # the bytes estimate_replication_bytes gives, so that the two agree to the byte
    each = math.ceil(total)
    source = "available_bytes"
    if available_bytes is None:
        available_bytes, source = available_memory_bytes()
        if available_bytes is None:
            return
    concurrent = max(int(concurrent), 1)
    need = each * concurrent
    if need <= available_bytes:
        return
    what = (
        f"one replication needs about {_num(each / GIB)} GiB"
        if concurrent == 1
        else f"{concurrent} concurrent replications need about {_num(need / GIB)} GiB "
        f"({_num(each / GIB)} GiB each)"
    )
    raise ScenarioError(
        f"scenario {scenario.name!r}: {what} of memory (estimated), more than the "
        f"{_num(available_bytes / GIB)} GiB available ({source}); the largest part: "
        f"{largest.describe()} (set {MEMORY_LIMIT_ENV} to override the limit)"
    )
