"""The exceptions connectsim raises for problems a user can fix.

The CLI has one error boundary that turns any :class:`ConnectsimError` into a
single red line and exit code 2; everything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Iterable, Sequence

SUGGESTION_CUTOFF = 0.6
"""Least similarity (:class:`difflib.SequenceMatcher` ratio) of a name suggested for a
misspelt one: ``fillrate`` finds ``fill_rate``, an unrelated word finds nothing."""


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``word`` (at least :data:`SUGGESTION_CUTOFF` alike), else None.

    Parameters
    ----------
    word
        A name a user gave that is not one of ``choices``.
    choices
        The valid names.

    Returns
    -------
    str or None
        The nearest valid name, or None when none is near enough to be the one meant.
    """
    found = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=SUGGESTION_CUTOFF)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean NAME?"`` for the valid name nearest ``word``, else ``""``.

    Appended to an error message that refuses ``word``.
    """
    found = nearest(word, choices)
    return "" if found is None else f"; did you mean {found}?"


class ConnectsimError(Exception):
    """Base class: a problem with the user's input or environment, not a bug."""


class ScenarioError(ConnectsimError):
    """A scenario file or override is missing, malformed or invalid.

    Parameters
    ----------
    message
        One line: the first problem (and how many more there are).
    problems
        Every problem, one line each, when there are several (a scenario file
        with three invalid fields); ``connectsim validate`` shows them all.
        Default: the message alone.
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)


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
