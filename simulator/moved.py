"""The module paths of the flat layout, kept for one release.

``simulator.study``, ``simulator.market`` and the other modules of the flat
layout moved into layered subpackages. Importing an old path still works: it
gives a module that forwards every attribute to the new one, and warns
(:class:`DeprecationWarning`) with the new path. The next release drops them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any

MOVED_MODULES: dict[str, str] = {
    "simulator.scenario": "simulator.config.scenario",
    "simulator.policy": "simulator.config.policy",
    "simulator.loading": "simulator.config.loading",
    "simulator.market": "simulator.engine.market",
    "simulator.bidding": "simulator.engine.bidding",
    "simulator.jobs": "simulator.engine.jobs",
    "simulator.ledger": "simulator.engine.ledger",
    "simulator.contracts": "simulator.engine.contracts",
    "simulator.boosts": "simulator.engine.boosts",
    "simulator.population": "simulator.engine.population",
    "simulator.behaviour": "simulator.engine.behaviour",
    "simulator.rng": "simulator.engine.rng",
    "simulator.resources": "simulator.engine.resources",
    "simulator.scatter": "simulator.engine.kernels",
    "simulator.metrics": "simulator.engine.recorder",
    "simulator.executors": "simulator.experiments.executors",
    "simulator.results": "simulator.experiments.store",
    "simulator.study": "simulator.experiments.study",
    "simulator.sweep": "simulator.experiments.sweep",
    "simulator.sensitivity": "simulator.experiments.sensitivity",
    "simulator.stats": "simulator.experiments.stats",
    "simulator.validation": "simulator.experiments.validation",
    "simulator.sweep_charts": "simulator.charts.sweep",
    "simulator.sensitivity_charts": "simulator.charts.sensitivity",
    "simulator.sweep_report": "simulator.report.sweep",
}
"""Old module path -> new module path."""

# names the metric catalogue took from the old ``simulator.metrics``
_CATALOG_NAMES = frozenset(
    {"DISTRIBUTIONS", "HEADLINE_METRICS", "SEGMENT_KINDS", "METRIC_DESCRIPTIONS"}
)


class ForwardingModule(ModuleType):
    """A module under an old path whose attributes are read from the new module."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name, f"Moved to {target}.")
        self.__target = target

    def __getattr__(self, attribute: str) -> Any:
        if self.__target == "simulator.engine.recorder" and attribute in _CATALOG_NAMES:
            return getattr(importlib.import_module("simulator.catalog"), attribute)
        return getattr(importlib.import_module(self.__target), attribute)

    def __dir__(self) -> list[str]:
        return dir(importlib.import_module(self.__target))


class MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old module paths (after every other finder has failed)."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED_MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        target = MOVED_MODULES[spec.name]
        warnings.warn(
            f"{spec.name} moved to {target}; the old path goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return ForwardingModule(spec.name, target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module forwards to its new path."""


def install() -> None:
    """Put the finder last on ``sys.meta_path``, once."""
    if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
