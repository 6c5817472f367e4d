"""Cold start: the commands that run nothing load none of the engine's heavy modules.

``connectsim --help`` and ``connectsim validate`` answer at once because they
import only typer, rich, PyYAML and pydantic; numba, pandas, SciPy and the
other packages the engine, the statistics, the charts and the store need are
loaded by the commands that use them. Each case runs the CLI in a fresh
interpreter (this test process has long loaded them all) and lists which
heavy modules are in ``sys.modules`` afterwards. This is a behaviour test,
not a timing test: the times are measured by ``benchmarks/bench_cold_start.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

HEAVY = (
    "numba",
    "llvmlite",
    "numpy",
    "pandas",
    "matplotlib",
    "scipy",
    "simpy",
    "pyarrow",
    "pyabc",
    "SALib",
    "ema_workbench",
    "dask",
    "distributed",
    "ruamel",
    "simulator.engine.market",
    "simulator.experiments.store",
    "simulator.experiments.stats",
)
"""What ``--help`` and ``validate`` must not load: NumPy too, as nothing they do
computes on arrays, and the modules of connectsim that load the rest."""

PROBE = """
import json, sys
args, heavy, preload = (json.loads(a) for a in sys.argv[1:4])
for name in preload:
    __import__(name)
from simulator.cli.commands import main
sys.argv = ["connectsim", *args]
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
print("PROBE " + json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}))
"""
"""Runs ``connectsim ARGS`` (after importing PRELOAD) through the error boundary and
prints its exit code and the HEAVY modules then loaded."""


def loaded_after(args: list[str], preload: tuple[str, ...] = ()) -> tuple[int, list[str], str]:
    """Run ``connectsim ARGS`` in a fresh interpreter from the checkout: its exit code,
    the heavy modules it loaded, and what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *(json.dumps(x) for x in (args, HEAVY, preload))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    probes = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert probes, f"the probe printed nothing; stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    report = json.loads(probes[-1].removeprefix("PROBE "))
    return int(report["code"] or 0), list(report["loaded"]), done.stdout + done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["validate", "--help"],
        ["run", "--help"],
        ["sweep", "--help"],
        ["validate", "scenarios/paid_vs_free.yaml"],
        ["validate", "scenarios/break_even.yaml", "scenarios/base/default_world.yaml"],
        ["validate", "scenarios/paid_vs_free.yaml", "--set", "arms.paid.price_usd_per_connect=0.3"],
        ["validate", "scenarios/targets/market.yaml"],
    ],
    ids=" ".join,
)
def test_help_and_validate_load_no_heavy_module(args: list[str]) -> None:
    code, loaded, output = loaded_after(args)
    assert code == 0, output
    assert loaded == [], f"connectsim {' '.join(args)} loaded {loaded}"


def test_a_refused_scenario_loads_no_heavy_module(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    # the scenario's own file, extended from elsewhere, with one unknown field
    bad.write_text(f"extends: {ROOT / 'scenarios/paid_vs_free.yaml'}\nbogus_field: 1\n")
    code, loaded, output = loaded_after(["validate", str(bad)])
    assert code == 2, output
    assert "bogus_field" in output
    assert loaded == []


def test_the_probe_sees_a_loaded_module() -> None:
    """The probe is not blind: what was imported shows in its list."""
    preload = ("numpy", "scipy.stats", "simulator.experiments.stats")
    code, loaded, _ = loaded_after(["--help"], preload=preload)
    assert code == 0
    assert {"numpy", "pandas", "scipy", "simulator.experiments.stats"} <= set(loaded)
