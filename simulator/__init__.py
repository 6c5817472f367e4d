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

if TYPE_CHECKING:
    from simulator.executors import (
        DaskExecutor,
        Executor,
        InProcessExecutor,
        LocalPoolExecutor,
    )
    from simulator.loading import load_scenario, scenario_from_dict
    from simulator.market import Market, run_replication
    from simulator.metrics import ReplicationResult
    from simulator.scenario import Scenario
    from simulator.study import Study, load_study, run_study
    from simulator.sweep import Sweep, load_sweep

__version__ = "0.1.0"

# Loaded on first use, so that `import simulator` (and `connectsim validate`)
# does not pay for the engine's compiled code.
_LAZY = {
    "DaskExecutor": "simulator.executors",
    "Executor": "simulator.executors",
    "InProcessExecutor": "simulator.executors",
    "LocalPoolExecutor": "simulator.executors",
    "load_scenario": "simulator.loading",
    "scenario_from_dict": "simulator.loading",
    "Market": "simulator.market",
    "run_replication": "simulator.market",
    "ReplicationResult": "simulator.metrics",
    "Scenario": "simulator.scenario",
    "Study": "simulator.study",
    "load_study": "simulator.study",
    "run_study": "simulator.study",
    # not the sweep() function: its name is the module's, which an import would rebind
    "Sweep": "simulator.sweep",
    "load_sweep": "simulator.sweep",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
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
