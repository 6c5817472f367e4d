"""What the ``connectsim`` commands print: progress bars, result tables, paths.

Everything is printed with rich on a console made per use, so that the
terminal's width (or ``COLUMNS``) is read when printing; errors and warnings
go to stderr, results to stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from simulator.catalog import HEADLINE_METRICS, fmt, metric_label
from simulator.experiments import stats

if TYPE_CHECKING:
    from simulator.experiments.executors import Executor
    from simulator.experiments.sensitivity import Sensitivity
    from simulator.experiments.study import Study
    from simulator.experiments.sweep import Sweep, SweepRun


def out() -> Console:
    # made per use, so that the terminal's width (or COLUMNS) is read when printing
    return Console()


def err() -> Console:
    return Console(stderr=True)


def summary_table(study: Study) -> Table:
    table = Table(title=f"{study.scenario.name}: {study.replications} replications, 95% CIs")
    # the metric column may wrap: names in words read at any terminal width
    table.add_column("metric", overflow="fold")
    for arm in study.arms:
        table.add_column(escape(study.label(arm)), justify="right")
        if arm != study.baseline:
            table.add_column(f"{arm} - {study.baseline}", justify="right")
            table.add_column("variance\nreduction", justify="right")
    lv = study.levels()
    diff = study.differences()
    shown = [*HEADLINE_METRICS, "fill_rate", "proposals_per_freelancer_month"]
    for metric in shown:
        cells = [metric_label(metric)]
        for arm in study.arms:
            r = stats.row(lv, arm, metric)
            low, high = fmt(metric, r["ci_low"]), fmt(metric, r["ci_high"])
            cells.append(f"{fmt(metric, r['mean'])}\n[{low}, {high}]")
            if arm != study.baseline:
                d = stats.row(diff, arm, metric)
                cells.append(
                    f"{fmt(metric, d['mean'], signed=True, difference=True)}\n"
                    f"[{fmt(metric, d['ci_low'], difference=True)}, "
                    f"{fmt(metric, d['ci_high'], difference=True)}]"
                )
                # how many times fewer replications the paired comparison needs
                reduction = d["variance_reduction"]
                cells.append("n/a" if reduction != reduction else f"{reduction:.1f}x")
        table.add_row(*cells)
    return table


def print_reused(reused: int, total: int, unit: str, target: Path) -> None:
    """Say how many finished ``unit``s a rerun took from ``target`` instead of running."""
    if reused:
        out().print(
            f"reused {reused} finished {unit}{'s' if reused > 1 else ''} of {total} from {target}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def interrupted_line(signal_name: str, kept: int | None, unit: str, directory: Path | None) -> str:
    """The one line printed when SIGINT or SIGTERM stops a command.

    Parameters
    ----------
    signal_name
        ``"SIGINT"`` or ``"SIGTERM"``.
    kept
        How many ``unit``s are stored in ``directory`` (None: not counted yet).
    unit
        What one task is called (``"replication"``, ``"run"``).
    directory
        The results directory, or None for a command that writes none.
    """
    if directory is None:
        return f"interrupted by {signal_name}"
    if kept is None:
        # stopped before the stored results were counted: there may be some
        return (
            f"interrupted by {signal_name}: {directory} is kept as it was; "
            "the same command resumes from there"
        )
    return (
        f"interrupted by {signal_name}: {kept} finished {unit}{'' if kept == 1 else 's'} "
        f"kept in {directory}; the same command resumes from there"
    )


def progress_columns() -> tuple[ProgressColumn, ...]:
    """Bars with done/total, elapsed time and the time left."""
    return (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )


def precision_line(study: Study) -> str:
    """What stopped a study with a precision target, in one sentence."""
    check = study.precision
    assert check is not None
    worst = check.iloc[int(check["ratio"].to_numpy().argmax())]
    where = f"widest: {worst['metric']} ({worst['arm']}) at {worst['ratio']:.2f} of its target"
    if study.stopped_by == "precision":
        return (
            f"precision reached after {study.replications} replications per arm: every "
            f"headline difference within its target ({where})"
        )
    return (
        f"stopped at --max-replications {study.replications} before the precision "
        f"target was reached ({where})"
    )


def headless_charts() -> None:
    """Draw charts off-screen: the CLI writes them to files and never shows a window.

    Set here, not in :mod:`simulator.charts.study`, so that notebooks keep their own backend.
    """
    import matplotlib

    matplotlib.use("Agg")


def _completed(bar: Progress, task: TaskID) -> int:
    """How far ``task`` of ``bar`` has advanced."""
    return int(next(t.completed for t in bar.tasks if t.id == task))


class StudyBar:
    """A study's progress: a bar for all arms and one per arm, resized per batch."""

    def __init__(self, arms: list[str], replications: int) -> None:
        self.bar = Progress(*progress_columns(), console=out(), transient=False)
        self.arms = arms
        self.overall = self.bar.add_task("all arms", total=replications * len(arms))
        self.per_arm = {arm: self.bar.add_task(f"  {arm}", total=replications) for arm in arms}

    def __enter__(self) -> StudyBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def done(self) -> int:
        """Replications finished or reused so far, each reported once its files are written."""
        return _completed(self.bar, self.overall)

    def progress(self, arm: str, _replication: int) -> None:
        """One replication of ``arm`` finished (or was reused)."""
        self.bar.advance(self.per_arm[arm])
        self.bar.advance(self.overall)

    def planned(self, per_arm_total: int) -> None:
        """The study now runs ``per_arm_total`` replications per arm."""
        self.bar.update(self.overall, total=per_arm_total * len(self.arms))
        for task in self.per_arm.values():
            self.bar.update(task, total=per_arm_total)


def header(name: str, what: str, executor: Executor, target: Path) -> None:
    """The line that says what is about to run, where, and into which directory."""
    out().print(
        f"[bold]{escape(name)}[/]: {escape(what)}, "
        f"executor {executor.describe()} -> {escape(str(target))}",
        highlight=False,
        soft_wrap=True,
    )


class CountBar:
    """One bar that counts finished tasks out of a total."""

    def __init__(self, label: str, total: int) -> None:
        self.bar = Progress(*progress_columns(), console=out(), transient=False)
        self.task = self.bar.add_task(label, total=total)

    def __enter__(self) -> CountBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def done(self) -> int:
        """Tasks finished or reused so far, each reported once its files are written."""
        return _completed(self.bar, self.task)

    def progress(self, done: int, total: int) -> None:
        """``done`` of ``total`` tasks are finished (or reused)."""
        self.bar.update(self.task, completed=done, total=total)


def print_indices(result: Sensitivity) -> None:
    """One table of indices per output, narrow enough for an 80-column terminal."""
    from simulator.charts.sensitivity import output_label
    from simulator.report.sensitivity import index_table

    for output in dict.fromkeys(o for o, _ in result.outputs):
        headings, rows = index_table(result, output, sep="\n")
        table = Table(title=f"{output_label(result, output)}: {result.method} indices, 95% CIs")
        # the metric heads its rows (with its noise share) instead of taking a
        # column, so that the table fits 80 columns; long paths fold, not cut
        for j, heading in enumerate(headings[1:]):
            table.add_column(heading, justify="left" if j == 0 else "right", overflow="fold")
        for j, row in enumerate(rows):
            if row[0]:
                blank = [""] * (len(row) - 3)
                table.add_row(f"[bold]{row[0]}[/]", *blank, row[-1])
            # a rule under each metric's rows
            last = j + 1 == len(rows) or bool(rows[j + 1][0])
            table.add_row(*row[1:-1], "", end_section=last)
        out().print(table)


class SweepBar:
    """A sweep's progress: its runs, and the points whose every run has finished."""

    def __init__(self, experiment: SweepRun) -> None:
        self.bar = Progress(*progress_columns(), console=out(), transient=False)
        points = experiment.plan.points
        self.left = {p.id: experiment.replications * len(p.scenario.arms) for p in points}
        self.runs = self.bar.add_task("runs (point x arm x replication)", total=experiment.runs)
        self.points = self.bar.add_task("points finished", total=len(points))

    def __enter__(self) -> SweepBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def done(self) -> int:
        """Runs finished or reused so far, each reported once its files are written."""
        return _completed(self.bar, self.runs)

    def progress(self, point: str, _arm: str, _replication: int) -> None:
        """One run of ``point`` finished (or was reused)."""
        self.bar.advance(self.runs)
        self.left[point] -= 1
        if self.left[point] == 0:
            self.bar.advance(self.points)


def frontier_table(result: Sweep) -> Table:
    """The trade-off frontier, each interval under its mean to fit a narrow terminal."""
    from simulator.report.sweep import frontier_table

    block = frontier_table(result, terse=True)
    every = result.policies()
    table = Table(
        title=f"trade-off frontier: {int(every['on_frontier'].sum())} of {len(every)} "
        f"policies, {result.replications} replications, 95% CIs"
    )
    for j, heading in enumerate(block.headers):
        table.add_column(
            heading, justify="left" if j < 2 else "right", overflow="fold", no_wrap=j == 1
        )
    table.caption = block.caption
    for row in block.rows:
        cells = (c.replace(" [", "\n[").replace("%, ", ", ").replace("%]", "]") for c in row)
        table.add_row(*(escape(c) for c in cells))
    return table


def break_even_table(result: Sweep) -> Table:
    """Where the sweep's arm breaks even with the baseline, each group a row (or one
    row per crossing), with the interval where the difference's 95% CI holds zero."""
    from simulator.experiments.break_even import break_even
    from simulator.report.sweep import break_even_table as block_of

    block = block_of(result, break_even(result))
    table = Table(title=f"break-even, {result.replications} replications, 95% CIs")
    for j, heading in enumerate(block.headers):
        table.add_column(
            heading, justify="left" if j == len(block.headers) - 1 else "right", overflow="fold"
        )
    table.caption = block.caption
    for row in block.rows:
        table.add_row(*(escape(c) for c in row))
    return table


def print_path(what: str, path: Path) -> None:
    """Say where something was written: ``what: path``, never wrapped or marked up."""
    out().print(f"{what}: {path}", markup=False, highlight=False, soft_wrap=True)
