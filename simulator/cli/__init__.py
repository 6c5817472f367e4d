"""The ``connectsim`` command line: a thin layer over the experiments.

:mod:`~simulator.cli.commands` holds the commands and the error boundary
(:func:`main`, the ``connectsim`` entry point), :mod:`~simulator.cli.options`
the options and the executors they ask for, and :mod:`~simulator.cli.console`
what the commands print.
"""

from __future__ import annotations

from simulator.cli.commands import app, main
from simulator.cli.options import OPTION_NAMES, WorkersOption, executor_for

__all__ = ["OPTION_NAMES", "WorkersOption", "app", "executor_for", "main"]
