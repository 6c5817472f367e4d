"""Reports: self-contained pages and Markdown written from finished experiments.

Every report is a list of blocks rendered by :mod:`simulator.report.page` into
one self-contained HTML page and the same content in Markdown: a study's
(:mod:`simulator.report.study`), a sweep's (:mod:`simulator.report.sweep`) and
a sensitivity analysis' (:mod:`simulator.report.sensitivity`).
:func:`write_any_report` writes the report of any finished experiment
directory; :func:`write_report` (a study's report) is importable from here as
it was before the package was split.
"""

from simulator.report.directory import write_any_report
from simulator.report.study import write_report

__all__ = ["write_any_report", "write_report"]
