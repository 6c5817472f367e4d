"""connectsim: Monte Carlo comparison of application-credit (Connects) policies.

The public API for scripts and notebooks::

    import simulator
    study = simulator.run_study("scenarios/paid_vs_free.yaml", replications=10)
    study.levels(); study.differences(); study.frame()
"""

from __future__ import annotations

from simulator.errors import ConnectsimError, PolicyError, ResultsError, ScenarioError
from simulator.loading import load_scenario, scenario_from_dict
from simulator.market import Market, run_replication
from simulator.metrics import ReplicationResult
from simulator.scenario import Scenario
from simulator.study import Study, load_study, run_study

__version__ = "0.1.0"

__all__ = [
    "ConnectsimError",
    "Market",
    "PolicyError",
    "ReplicationResult",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "Study",
    "__version__",
    "load_scenario",
    "load_study",
    "run_replication",
    "run_study",
    "scenario_from_dict",
]
