"""connectsim: Monte Carlo comparison of application-credit (Connects) policies.

The public API for scripts and notebooks::

    import simulator
    study = simulator.run_study("scenarios/paid_vs_free.yaml", replications=10)
    study.levels(); study.differences(); study.frame()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from simulator.errors import (
    ConnectsimError,
    ExecutorError,
    PolicyError,
    ResultsError,
    ScenarioError,
)
from simulator.moved import MOVED_MODULES
from simulator.moved import install as install_moved_modules

if TYPE_CHECKING:
    from simulator.config.loading import load_scenario, scenario_from_dict
    from simulator.config.scenario import Scenario
    from simulator.engine.market import Market, run_replication
    from simulator.engine.recorder import ReplicationResult
    from simulator.experiments.executors import (
        DaskExecutor,
        Executor,
        InProcessExecutor,
        LocalPoolExecutor,
    )
    from simulator.experiments.study import Study, load_study, run_study
    from simulator.experiments.sweep import Sweep, load_sweep

__version__ = "0.1.0"

# Loaded on first use, so that `import simulator` (and `connectsim validate`)
# does not pay for the engine's compiled code.
_LAZY = {
    "DaskExecutor": "simulator.experiments.executors",
    "Executor": "simulator.experiments.executors",
    "InProcessExecutor": "simulator.experiments.executors",
    "LocalPoolExecutor": "simulator.experiments.executors",
    "load_scenario": "simulator.config.loading",
    "scenario_from_dict": "simulator.config.loading",
    "Market": "simulator.engine.market",
    "run_replication": "simulator.engine.market",
    "ReplicationResult": "simulator.engine.recorder",
    "Scenario": "simulator.config.scenario",
    "Study": "simulator.experiments.study",
    "load_study": "simulator.experiments.study",
    "run_study": "simulator.experiments.study",
    # not the sweep() function: its name is the module's, which an import would rebind
    "Sweep": "simulator.experiments.sweep",
    "load_sweep": "simulator.experiments.sweep",
}


install_moved_modules()


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if f"simulator.{name}" in MOVED_MODULES:
        return importlib.import_module(f"simulator.{name}")
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")


__all__ = [
    "ConnectsimError",
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "InProcessExecutor",
    "LocalPoolExecutor",
    "Market",
    "PolicyError",
    "ReplicationResult",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "Study",
    "Sweep",
    "__version__",
    "load_scenario",
    "load_study",
    "load_sweep",
    "run_replication",
    "run_study",
    "scenario_from_dict",
]
