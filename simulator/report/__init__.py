"""Reports: self-contained pages and Markdown written from finished experiments.

:func:`write_report` (a study's report) is importable from here as it was
before the package was split.
"""

from simulator.report.study import write_report

__all__ = ["write_report"]
