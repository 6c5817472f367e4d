"""The exceptions connectsim raises for problems a user can fix.

The CLI has one error boundary that turns any :class:`ConnectsimError` into a
single red line and exit code 2; everything else is a bug and keeps its
traceback.
"""

from __future__ import annotations


class ConnectsimError(Exception):
    """Base class: a problem with the user's input or environment, not a bug."""


class ScenarioError(ConnectsimError):
    """A scenario file or override is missing, malformed or invalid."""


class PolicyError(ConnectsimError):
    """A credit policy is inconsistent with the world it runs in."""


class ResultsError(ConnectsimError):
    """A results directory is missing, incomplete or belongs to another study."""


class ExecutorError(ConnectsimError):
    """An executor cannot run: Dask is missing or its scheduler cannot be reached."""
