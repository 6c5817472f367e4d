"""An import-linter contract that import-linter does not ship: no private names across modules.

``from simulator.engine.bidding import _prefetch_rows`` couples two modules
through a name one of them declared its own. The contract reads each module's
source (grimp records modules, not names) and lists every ``from M import
_name`` where ``M`` is another module of the checked packages. Dunder names
(``__version__``) are public.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _source(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def private_imports(module: str, packages: set[str]) -> list[tuple[int, str]]:
    """(line, text) of each private name ``module`` imports from another module of ``packages``."""
    path = _source(module)
    if path is None:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.module is None or node.level:
            continue
        if node.module == module or node.module.split(".")[0] not in packages:
            continue
        names = [a.name for a in node.names if _private(a.name)]
        if names:
            found.append((node.lineno, f"from {node.module} import {', '.join(names)}"))
    return found


class PrivateNamesContract(Contract):
    """No module imports a private name (``_x``, not ``__x__``) from another module.

    Configuration options:
        - packages: the root packages whose modules are checked.
    """

    type_name = "private_names"

    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        roots = set(self.packages)  # type: ignore[arg-type]
        broken = []
        for module in sorted(graph.modules):
            if module.split(".")[0] not in roots:
                continue
            for line, text in private_imports(module, roots):
                broken.append((module, line, text))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for module, line, text in check.metadata["broken"]:
            output.print_error(f"{module}:{line}: {text}", bold=False)
            output.new_line()
