"""The memory check: scenarios too large for the machine are refused, in one line,
before anything large is allocated (simulator.engine.resources)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simulator.config.loading import load_scenario
from simulator.config.scenario import Scenario
from simulator.engine import resources
from simulator.engine.jobs import BOOST_FIELDS
from simulator.engine.ledger import DAYS_PER_MONTH
from simulator.engine.market import MAX_SESSIONS_PER_WAVE, Market
from simulator.engine.resources import (
    MEMORY_LIMIT_ENV,
    PROCESS_BASE_BYTES,
    available_memory_bytes,
    check_replication_memory,
    estimate_replication_bytes,
)
from simulator.errors import ConnectsimError, ScenarioError

ROOT = Path(__file__).resolve().parents[2]


RunMain = Callable[[list[str]], tuple[int, str, str]]
SCENARIOS = ROOT / "scenarios"
PAID_VS_FREE = SCENARIOS / "paid_vs_free.yaml"
GIB = 1024**3
SHIPPED = sorted([*SCENARIOS.glob("*.yaml"), *(SCENARIOS / "regimes").glob("*.yaml")])


def tweak(scenario: Scenario, section: str, **fields: Any) -> Scenario:
    """A copy of ``scenario`` with fields of ``run`` or of a ``world`` section replaced,
    without validation: so that values the schema's bounds refuse can still be
    handed to the engine, as a scenario built in code could be."""
    if section == "run":
        return scenario.model_copy(update={"run": scenario.run.model_copy(update=fields)})
    world = scenario.world
    part = getattr(world, section).model_copy(update=fields)
    return scenario.model_copy(update={"world": world.model_copy(update={section: part})})


@pytest.fixture(scope="module")
def paid_vs_free() -> Scenario:
    return load_scenario(PAID_VS_FREE)


# the three reproductions of issue 11: each died in NumPy with ArrayMemoryError
REPRODUCTIONS = [
    pytest.param("jobs", {"jobs_per_day": 1e9}, "world.jobs.jobs_per_day=1e9", id="jobs_per_day"),
    pytest.param("run", {"warmup_days": 1e9}, "run.warmup_days=1e9", id="warmup_days"),
    pytest.param(
        "population",
        {"entrants_per_month_share": 1e6},
        "world.population.entrants_per_month_share=1e6",
        id="entrants",
    ),
]


@pytest.mark.parametrize(("section", "fields", "driver"), REPRODUCTIONS)
def test_reproductions_are_refused_naming_their_driver(
    paid_vs_free: Scenario, section: str, fields: dict[str, float], driver: str
) -> None:
    scenario = tweak(paid_vs_free, section, **fields)
    with pytest.raises(ScenarioError) as exc:
        check_replication_memory(scenario, available_bytes=64 * GIB)
    message = str(exc.value)
    assert "\n" not in message
    assert "'paid_vs_free'" in message
    assert driver in message
    assert "GiB" in message and "64 GiB available" in message


@pytest.mark.parametrize(("section", "fields", "driver"), REPRODUCTIONS)
def test_market_refuses_before_allocating(
    paid_vs_free: Scenario,
    section: str,
    fields: dict[str, float],
    driver: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the limit comes from the environment, and the engine's large structures fail the
    # test if they are ever built: a broken check cannot make this test allocate
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(16 * GIB))

    def built(*args: object, **kwargs: object) -> None:
        raise AssertionError("the market allocated before the memory check refused it")

    for name in ("Population", "ConnectsLedger", "JobBoard", "ContractBook"):
        monkeypatch.setattr(f"simulator.engine.market.{name}", built)
    scenario = tweak(paid_vs_free, section, **fields)
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError, match=driver.replace(".", r"\.")) as exc:
            Market(scenario, "paid")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "\n" not in str(exc.value)
    assert MEMORY_LIMIT_ENV in str(exc.value)
    assert peak < 1024**2


def test_allowed_fields_too_large_together_are_refused() -> None:
    # each value within the schema's bounds; together, 3.7e9 freelancers over the run
    scenario = load_scenario(
        PAID_VS_FREE,
        [
            "world.population.freelancers=2000000",
            "world.population.entrants_per_month_share=1",
            "run.horizon_days=36500",
        ],
    )
    with pytest.raises(ScenarioError, match="entrants_per_month_share=1 ") as exc:
        check_replication_memory(scenario, available_bytes=1024 * GIB)
    assert "freelancers over the run" in str(exc.value)


def test_review_lists_are_named_when_they_make_the_board_large(paid_vs_free: Scenario) -> None:
    scenario = tweak(
        tweak(paid_vs_free, "jobs", jobs_per_day=100_000.0, open_days_max=365.0),
        "clients",
        max_reviewed=1000,
    )
    with pytest.raises(ScenarioError) as exc:
        check_replication_memory(scenario, available_bytes=64 * GIB)
    assert "post slots" in str(exc.value)
    assert "world.clients.max_reviewed=1000" in str(exc.value)


def test_concurrent_replications_multiply_the_need(paid_vs_free: Scenario) -> None:
    each = estimate_replication_bytes(paid_vs_free)
    check_replication_memory(paid_vs_free, concurrent=3, available_bytes=3 * each)
    with pytest.raises(ScenarioError, match="3 concurrent replications need about"):
        check_replication_memory(paid_vs_free, concurrent=3, available_bytes=3 * each - 1)


@pytest.mark.parametrize(
    ("section", "fields", "driver"),
    [
        ("run", {"warmup_days": math.inf}, "run.warmup_days=inf"),
        ("run", {"horizon_days": math.nan}, "run.horizon_days=nan"),
        ("jobs", {"jobs_per_day": math.inf}, "world.jobs.jobs_per_day=inf"),
        ("population", {"entrants_per_month_share": math.inf}, "entrants_per_month_share=inf"),
        ("run", {"warmup_days": 1e17}, "run.warmup_days=1e17"),
    ],
)
def test_counts_that_cannot_be_represented_are_refused(
    paid_vs_free: Scenario, section: str, fields: dict[str, float], driver: str
) -> None:
    scenario = tweak(paid_vs_free, section, **fields)
    # the estimate itself refuses: it never converts such a count to an int
    with pytest.raises(ScenarioError, match="more than a replication can count") as exc:
        estimate_replication_bytes(scenario)
    assert driver in str(exc.value)
    assert "\n" not in str(exc.value)
    with pytest.raises(ScenarioError, match="can count"):
        check_replication_memory(scenario, available_bytes=2**80)


def test_cli_refuses_in_one_line(
    run_main: RunMain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(16 * GIB))
    code, out, err = run_main(
        [
            "run",
            str(PAID_VS_FREE),
            "--set",
            "world.population.entrants_per_month_share=1e6",
            "--out",
            str(tmp_path / "out"),
            "--no-report",
        ]
    )
    assert code == 2
    assert "Traceback" not in out + err
    assert "entrants_per_month_share" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_refuses_allowed_values_too_large_together(
    run_main: RunMain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # values the schema accepts, so that the memory check itself is what refuses
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(16 * GIB))
    code, out, err = run_main(
        [
            "run",
            str(PAID_VS_FREE),
            "--set",
            "world.population.freelancers=2000000",
            "--set",
            "world.population.entrants_per_month_share=1",
            "--set",
            "run.horizon_days=36500",
            "--workers",
            "1",
            "--out",
            str(tmp_path / "out"),
            "--no-report",
        ]
    )
    assert code == 2
    assert "Traceback" not in out + err
    assert "of memory (estimated)" in err
    assert "world.population.entrants_per_month_share=1 " in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_scenarios_pass_on_this_machine(path: Path) -> None:
    scenario = load_scenario(path)
    check_replication_memory(scenario)
    if path.name == "platform_scale.yaml":
        # the whole platform, meant to be run one replication at a time: it fits, but
        # takes several GiB (its measured peak is in docs/architecture.md)
        assert GIB < estimate_replication_bytes(scenario) < 8 * GIB
        return
    # and with room to spare: the largest of the rest (the reference market) needs
    # under 1 GiB
    assert estimate_replication_bytes(scenario) < GIB


@pytest.mark.parametrize(
    ("section", "field", "values"),
    [
        ("population", "freelancers", [100, 2_000, 20_000, 200_000, 2_000_000]),
        ("population", "entrants_per_month_share", [0.0, 0.01, 0.1, 1.0]),
        ("jobs", "jobs_per_day", [1.0, 150.0, 1_500.0, 7_500.0, 100_000.0]),
        ("jobs", "open_days_max", [1.0, 30.0, 365.0]),
        ("run", "horizon_days", [1.0, 180.0, 365.0, 3_650.0, 36_500.0]),
        ("run", "warmup_days", [0.0, 60.0, 600.0, 36_500.0]),
    ],
)
def test_estimate_grows_with_size(
    paid_vs_free: Scenario, section: str, field: str, values: list[float]
) -> None:
    estimates = [
        estimate_replication_bytes(tweak(paid_vs_free, section, **{field: v})) for v in values
    ]
    assert estimates == sorted(estimates)
    assert estimates[0] < estimates[-1]


def test_arm_none_is_the_largest_arm(paid_vs_free: Scenario) -> None:
    scenario = paid_vs_free.model_copy(
        update={
            "arms": {
                **paid_vs_free.arms,
                "long_expiry": paid_vs_free.arms["paid"].model_copy(
                    update={"free_expiry_months": 120, "purchased_expiry_months": 120}
                ),
            }
        }
    )
    per_arm = {arm: estimate_replication_bytes(scenario, arm) for arm in scenario.arms}
    assert estimate_replication_bytes(scenario) == max(per_arm.values())
    assert per_arm["long_expiry"] > per_arm["paid"]
    with pytest.raises(KeyError):
        estimate_replication_bytes(scenario, "nope")


def test_sizes_mirror_the_engine() -> None:
    # the estimate recomputes the engine's capacities; these fail if the engine's change
    assert resources.DAYS_PER_MONTH == DAYS_PER_MONTH
    assert resources.MAX_SESSIONS_PER_WAVE == MAX_SESSIONS_PER_WAVE
    assert resources.BOOST_FIELDS == BOOST_FIELDS
    for path in (
        PAID_VS_FREE,
        SCENARIOS / "reference_market.yaml",
        SCENARIOS / "boosts.yaml",
        SCENARIOS / "checks" / "textbook_matching.yaml",
    ):
        scenario = load_scenario(path)
        market = Market(scenario, scenario.baseline)
        assert int(resources._freelancers_over_run(scenario).value) == len(market.pop.skill)
        assert resources._post_slots(scenario).value == market.board.capacity
        feed = resources._next_pow2(2.0 * resources._feed_lookback(scenario) + 64.0)
        assert feed == market.board.feed_capacity


def test_memory_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "8e9")
    assert available_memory_bytes() == (8_000_000_000, MEMORY_LIMIT_ENV)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1_000")
    assert available_memory_bytes() == (1000, MEMORY_LIMIT_ENV)
    for bad in ("lots", "-1", "inf", "nan"):
        monkeypatch.setenv(MEMORY_LIMIT_ENV, bad)
        with pytest.raises(ConnectsimError, match=MEMORY_LIMIT_ENV):
            available_memory_bytes()


def test_memory_of_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    available, source = available_memory_bytes()
    assert available is not None and available > 0
    if Path("/proc/meminfo").exists():
        assert source == "MemAvailable in /proc/meminfo"


def test_small_limit_refuses_even_the_reference(
    paid_vs_free: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(100 * 1024**2))
    with pytest.raises(ScenarioError, match=f"available \\({MEMORY_LIMIT_ENV}\\)"):
        check_replication_memory(paid_vs_free)


def test_estimate_is_cheap(paid_vs_free: Scenario) -> None:
    import time

    start = time.perf_counter()
    for _ in range(100):
        estimate_replication_bytes(paid_vs_free)
    assert (time.perf_counter() - start) / 100 < 1e-3


_MEASURE = """
import json, sys
from simulator.config.loading import load_scenario
from simulator.engine.market import Market

def high_water():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024

path, arm, *overrides = sys.argv[1:]
# the process's base (imports, compiled code) after a tiny run, then the market's peak
Market(load_scenario(path, ["world.population.freelancers=100", "run.warmup_days=0",
                            "run.horizon_days=5"]), arm).run()
base = high_water()
Market(load_scenario(path, overrides), arm).run()
print(json.dumps({"base": base, "peak": high_water()}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_estimate_is_not_below_a_measured_peak() -> None:
    # large enough that the market's own arrays, not the process base, are measured;
    # small enough to take a few seconds
    overrides = [
        "world.population.freelancers=60000",
        "world.jobs.jobs_per_day=2000",
        "world.population.entrants_per_month_share=0.1",
        "run.warmup_days=0",
        "run.horizon_days=60",
    ]
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(PAID_VS_FREE), "paid", *overrides],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    measured = json.loads(out.stdout.splitlines()[-1])
    estimate = estimate_replication_bytes(load_scenario(PAID_VS_FREE, overrides), "paid")
    assert estimate >= measured["peak"]
    # the market's part alone, without the fixed base on either side
    assert estimate - PROCESS_BASE_BYTES >= measured["peak"] - measured["base"]


@pytest.mark.parametrize("runner", ["study", "sweep", "sensitivity"])
def test_runners_count_their_local_workers_before_writing(
    paid_vs_free: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: str
) -> None:
    """Room for one replication but not two: a two-worker run is refused before the
    directory is created (one in-process replication would pass the Market's own check)."""
    from simulator.experiments.executors import LocalPoolExecutor
    from simulator.experiments.sensitivity import execute
    from simulator.experiments.sensitivity import plan as plan_sensitivity
    from simulator.experiments.study import run_study
    from simulator.experiments.sweep import sweep

    each = estimate_replication_bytes(paid_vs_free)
    monkeypatch.setenv("CONNECTSIM_MEMORY_LIMIT_BYTES", str(2 * each - 1))
    out = tmp_path / "out"
    pool = LocalPoolExecutor(2)
    with pytest.raises(ScenarioError, match="2 concurrent replications need about"):
        if runner == "study":
            run_study(paid_vs_free, replications=2, executor=pool, out=out)
        elif runner == "sweep":
            sweep(
                paid_vs_free,
                vary=["arms.paid.price_usd_per_connect=0.15,0.3"],
                replications=1,
                executor=pool,
                out=out,
            )
        else:
            the_plan = plan_sensitivity(
                paid_vs_free,
                {"arms.paid.price_usd_per_connect": (0.1, 0.3)},
                method="morris",
                samples=2,
                replications=1,
            )
            execute(the_plan, executor=pool, out=out)
    assert not out.exists()
