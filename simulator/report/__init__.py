"""Reports: self-contained pages and Markdown written from finished experiments.

Every report is a list of blocks rendered by :mod:`simulator.report.page` into
one self-contained HTML page and the same content in Markdown: a study's
(:mod:`simulator.report.study`), a sweep's (:mod:`simulator.report.sweep`) and
a sensitivity analysis' (:mod:`simulator.report.sensitivity`).
:func:`write_any_report` writes the report of any finished experiment
directory; :func:`write_report` (a study's report) is importable from here as
it was before the package was split.

Both are loaded on first use (PEP 562): importing one report module, a study's,
does not load every kind of experiment (calibration, sensitivity analysis)
that :func:`write_any_report` may meet.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.report.directory import write_any_report
    from simulator.report.study import write_report

_LAZY = {
    "write_any_report": "simulator.report.directory",
    "write_report": "simulator.report.study",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simulator.report' has no attribute {name!r}")


__all__ = ["write_any_report", "write_report"]
