"""The one loop that runs every kind of experiment.

A study, a sweep and a sensitivity analysis differ in what they run and how
they combine it; they do not differ in how it is run. Each kind is an
:class:`Experiment`: it names its tasks (in rounds: a study with a precision
target adds batches until its intervals are narrow enough), says whether a
task's stored result verifies, keeps each result, and combines them into its
result class. :func:`run` does the rest, the same way for every kind:

1. resolve the executor, and refuse (before anything is written) what cannot
   fit in memory times the workers on this machine;
2. build the provenance record (:func:`provenance`): the kind, package
   versions, the git commit, the executor, the command and the times, to which
   the experiment adds what identifies it (scenario hash, seeds, design);
3. open the results directory through the one store
   (:func:`~simulator.experiments.store.open_for_writing`: one writer at a
   time, a replaced experiment swapped out only at the end);
4. each round: reuse the tasks whose files verify, warn once about those that
   do not (they are computed again), run the rest on the executor as they
   finish, keep each as it arrives;
5. let the experiment combine and write its summaries, stamp the manifest
   finished, and commit.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from simulator.config.scenario import Scenario
from simulator.engine.resources import check_replication_memory
from simulator.experiments.executors import Executor, resolve_executor
from simulator.experiments.interrupts import interrupt_in, interrupts_held
from simulator.experiments.provenance import git_commit, utc_now, versions
from simulator.experiments.store import ResultsStore, ResultsWarning, open_for_writing

R = TypeVar("R", covariant=True)


@dataclass(frozen=True)
class Task:
    """One unit of work: ``function(*arguments)``, known to its experiment by ``key``.

    ``function`` is a module-level function, so that every executor can send
    it to a worker by reference.
    """

    key: Any
    """Hashable, and unique among the tasks of a round."""
    function: Callable[..., Any]
    arguments: tuple[Any, ...]


STORED = "stored"
"""What :meth:`Execution.verify` says of a task whose stored result verifies."""

ABSENT = "absent"
"""What it says of a task with nothing stored (anything else names the damage)."""


class Execution(Protocol[R]):
    """An experiment while it runs: its tasks, its kept results, its combination."""

    def next_round(self) -> Sequence[Task] | None:
        """The tasks of the next round, or None when the experiment is complete."""

    def verify(self, task: Task) -> str:
        """:data:`STORED`, :data:`ABSENT`, or why the stored result was refused (it is
        then discarded, to be computed again)."""

    def checkpoint(self) -> None:
        """Record in the directory what the round is about to run (and what verified),
        before any of it runs."""

    def reuse(self, task: Task) -> None:
        """Take a stored result that verified as this task's outcome."""

    def keep(self, task: Task, outcome: Any) -> None:
        """Take a computed outcome (writing it to the store, if there is one)."""

    def finish(self) -> R:
        """Combine the outcomes into the experiment's result (and write its summaries)."""


class Experiment(Protocol[R]):
    """A kind of experiment, checked and ready to run: what :func:`run` needs of it."""

    kind: str
    """``"study"``, ``"sweep"`` or ``"sensitivity"``: the manifest's kind."""
    what: str
    """How messages name it (``"sensitivity analysis"``)."""
    unit: str
    """How messages name one of its tasks (``"replication"``, ``"run"``)."""

    def scenarios(self) -> Iterable[Scenario]:
        """Every scenario a task runs, for the memory check."""

    def identity(self) -> dict[str, Any] | None:
        """What its files record as their owner, to rebuild a lost manifest (None: never)."""

    def same(self, record: Mapping[str, Any]) -> bool:
        """Whether a manifest found in the directory is this experiment's (to be resumed)."""

    def record(self) -> dict[str, Any]:
        """What the manifest records of this experiment beyond :func:`provenance`."""

    def extra_packages(self) -> tuple[str, ...]:
        """Packages besides the core ones whose versions the manifest records."""

    def start(
        self, store: ResultsStore | None, manifest: dict[str, Any], executor: str
    ) -> Execution[R]:
        """Begin a run into ``store`` (None: in memory), recording into ``manifest``."""


class HasPath(Protocol):
    """A result that knows the directory it was written to."""

    path: Path | None


Result = TypeVar("Result", bound=HasPath)


def provenance(
    kind: str, executor: str, command: str | None, extra_packages: Sequence[str] = ()
) -> dict[str, Any]:
    """The part of every manifest that says how an experiment was made."""
    return {
        "kind": kind,
        "versions": versions(extra_packages),
        "git_commit": git_commit(),
        "executor": executor,
        "command": command,
        "started": utc_now(),
        "finished": None,
    }


def call(key: Hashable, function: Callable[..., Any], arguments: tuple[Any, ...]) -> Any:
    """Run one task in a worker and return its outcome with its key."""
    return key, function(*arguments)


@dataclass
class Runner(Generic[Result]):
    """Runs one experiment on one executor, into memory or a results directory."""

    experiment: Experiment[Result]
    executor: Executor

    def check_memory(self) -> None:
        """Refuse, before anything is written, what cannot fit times the local workers."""
        for scenario in self.experiment.scenarios():
            check_replication_memory(scenario, self.executor.concurrent_here())

    def manifest(self, command: str | None) -> dict[str, Any]:
        """The provenance record with the experiment's own fields."""
        experiment = self.experiment
        record = provenance(
            experiment.kind, self.executor.describe(), command, experiment.extra_packages()
        )
        own = experiment.record()
        # the experiment's fields first, as its manifests always had them; the
        # provenance's after, so that a kind cannot drop one
        return {**own, **record, "kind": experiment.kind}

    def run(
        self, out: str | Path | None = None, overwrite: bool = False, command: str | None = None
    ) -> Result:
        """Run every round; see :func:`run`."""
        self.check_memory()
        manifest = self.manifest(command)
        experiment = self.experiment
        # entered before the directory is touched: a Dask scheduler that cannot
        # be reached is reported with nothing written (reentrant: an executor
        # the caller holds open stays open)
        with self.executor:
            if out is None:
                execution = experiment.start(None, manifest, self.executor.describe())
                return drive(execution, self.executor, None, experiment.unit)
            with open_for_writing(
                Path(out), experiment.same, overwrite, experiment.what, experiment.identity()
            ) as (store, commit):
                store.remove_partial_files()
                execution = experiment.start(store, manifest, self.executor.describe())
                result = drive(execution, self.executor, store, experiment.unit)
                manifest["finished"] = utc_now()
                store.write_manifest(manifest)
                commit()
            result.path = Path(out)
            return result


def drive(execution: Execution[R], executor: Executor, store: ResultsStore | None, unit: str) -> R:
    """Run an execution's rounds on an open executor: reuse what verifies, warn once
    about what does not, run the rest and keep each result as it arrives.

    :func:`run` calls it; so can code that holds its own executor and store.

    An :class:`~simulator.experiments.interrupts.Interrupted` raised meanwhile
    leaves after the executor has stopped its workers, every task it kept
    written whole (a signal waits for the end of a write), and with
    ``reported`` true once the stored results of the first round have been
    reported to the execution (so that its progress counts all that is stored).
    """
    checked = [False]
    try:
        return _drive(execution, executor, store, unit, checked)
    except BaseException as exc:
        interrupt = interrupt_in(exc)
        if interrupt is None:
            raise
        interrupt.reported = checked[0]
        if interrupt is exc:
            raise
        # the interrupt, not what compiled code it cut short made of it
        raise interrupt from None


def _drive(
    execution: Execution[R],
    executor: Executor,
    store: ResultsStore | None,
    unit: str,
    checked: list[bool],
) -> R:
    """:func:`drive`'s loop; ``checked[0]`` turns true once the first round's stored
    results have been verified and reported."""
    while (tasks := execution.next_round()) is not None:
        todo: list[Task] = []
        refused: list[str] = []
        for task in tasks:
            verdict = execution.verify(task) if store is not None else ABSENT
            if verdict == STORED:
                execution.reuse(task)
                continue
            todo.append(task)
            if verdict != ABSENT:
                refused.append(verdict)
        if refused and store is not None:
            _warn_refused(store.root, refused, unit)
        execution.checkpoint()
        checked[0] = True
        by_key = {task.key: task for task in todo}
        arguments = [(task.key, task.function, task.arguments) for task in todo]
        # closing(): if keeping a result fails, what is still queued is
        # cancelled now, not whenever the generator is garbage-collected
        with closing(executor.map_unordered(call, arguments)) as outcomes:
            for key, outcome in outcomes:
                # one task's files are written whole or not at all, so that a
                # resume does not warn about (and recompute) a half-written one
                with interrupts_held():
                    execution.keep(by_key[key], outcome)
    return execution.finish()


def run(
    experiment: Experiment[Result],
    workers: int | None = None,
    executor: Executor | str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    command: str | None = None,
) -> Result:
    """Run any experiment on any executor; the one loop behind every kind.

    Parameters
    ----------
    experiment
        A checked experiment (a study's, a sweep's or a sensitivity analysis').
    workers, executor
        Where the tasks run; see
        :func:`~simulator.experiments.executors.resolve_executor`.
    out
        The results directory; None keeps the results in memory only. A
        directory holding this experiment is resumed: every task whose files
        verify is reused, the others run again.
    overwrite
        Replace another experiment found in ``out``, once this one has finished.
    command
        The command line that made it, recorded in the manifest.

    Returns
    -------
    The experiment's result, its ``path`` set to ``out``.
    """
    return Runner(experiment, resolve_executor(executor, workers)).run(out, overwrite, command)


def _warn_refused(root: Path, refused: list[str], unit: str) -> None:
    shown = "; ".join(refused[:3]) + ("; ..." if len(refused) > 3 else "")
    count = len(refused)
    warnings.warn(
        f"{root}: computing {count} {unit}{'s' if count > 1 else ''} again: {shown}",
        ResultsWarning,
        stacklevel=4,
    )
