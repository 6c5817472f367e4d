"""The exceptions connectsim raises for problems a user can fix.

The CLI has one error boundary that turns any :class:`ConnectsimError` into a
single red line and exit code 2; everything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import string


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


class PlanError(ScenarioError, ValueError):
    """An experiment's settings contradict each other or are out of range.

    The message names settings as ``{setting}`` placeholders, and the values it
    quotes are given by keyword, so that each caller shows the settings in its
    own words: the Python API by their parameter names (``str(error)``), the CLI
    by its options (:meth:`render`).
    """

    def __init__(self, template: str, **values: object) -> None:
        self.template = template
        self.values = values
        super().__init__(self.render({}))

    @classmethod
    def about(cls, setting: str, message: str) -> PlanError:
        """An error whose message starts with the name of ``setting``."""
        return cls("{" + setting + "}" + message.replace("{", "{{").replace("}", "}}"))

    def render(self, names: dict[str, str]) -> str:
        """The message with each setting called by ``names`` (default: its own name)."""
        settings = {
            name: names.get(name, name)
            for _, name, _, _ in string.Formatter().parse(self.template)
            if name and name not in self.values
        }
        return self.template.format(**settings, **self.values)
