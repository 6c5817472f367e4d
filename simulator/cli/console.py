"""What the ``connectsim`` commands print: progress bars, result tables, paths.

Everything is printed with rich on a console made per use, so that the
terminal's width (or ``COLUMNS``) is read when printing; errors and warnings
go to stderr, results to stdout. Every text that comes from a user or a file
(names, paths, values, and the tables made from them) is escaped
(:func:`rich.markup.escape`), so that rich shows ``[and 2 more problems]``
instead of reading it as markup.
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

if TYPE_CHECKING:
    import pandas as pd

    from simulator.config.compare import FieldDifference, FieldOrigin
    from simulator.experiments.calibration import Calibration
    from simulator.experiments.discovery import Discovery
    from simulator.experiments.dry_run import DryRun
    from simulator.experiments.executors import Executor
    from simulator.experiments.posterior_runs import PosteriorComparison
    from simulator.experiments.sensitivity import Sensitivity
    from simulator.experiments.study import Study
    from simulator.experiments.sweep import Sweep, SweepRun


def out() -> Console:
    # made per use, so that the terminal's width (or COLUMNS) is read when printing
    return Console()


def err() -> Console:
    return Console(stderr=True)


def summary_table(study: Study) -> Table:
    table = Table(
        title=escape(f"{study.scenario.name}: {study.replications} replications, 95% CIs")
    )
    # the metric column may wrap: names in words read at any terminal width
    table.add_column("metric", overflow="fold")
    for arm in study.arms:
        table.add_column(escape(study.label(arm)), justify="right")
        if arm != study.baseline:
            table.add_column(escape(f"{arm} - {study.baseline}"), justify="right")
            table.add_column("variance\nreduction", justify="right")
    from simulator.experiments import stats  # pandas and scipy: loaded when a table is made

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
        table.add_row(*(escape(c) for c in cells))
    return table


def print_reused(reused: int, total: int, unit: str, target: Path) -> None:
    """Say how many finished ``unit``s a rerun took from ``target`` instead of running."""
    if reused:
        say(f"reused {reused} finished {unit}{'s' if reused > 1 else ''} of {total} from {target}")


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


def batch_line(batch: int, replications: int, check: pd.DataFrame, following: int | None) -> str:
    """One batch of a study with a precision target: how far the widest headline
    difference is from its target, and what happens next."""
    met = int(check["met"].sum())
    worst = check.iloc[int(check["ratio"].to_numpy().argmax())]
    ratio = float(worst["ratio"])
    shown = f"{ratio:.2f}" if ratio == ratio and ratio != float("inf") else "unknown"
    line = (
        f"batch {batch}: {replications} replications per arm, {met} of {len(check)} "
        f"headline differences within target; widest {worst['metric']} ({worst['arm']}) "
        f"at {shown} of its target"
    )
    if following is not None:
        return f"{line}; next batch to {following} per arm"
    return f"{line}; {'done' if met == len(check) else '--max-replications reached'}"


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
        self.per_arm = {
            arm: self.bar.add_task(escape(f"  {arm}"), total=replications) for arm in arms
        }
        self.batches = 0

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

    def checked(self, replications: int, check: pd.DataFrame, following: int | None) -> None:
        """A batch of a study with a precision target finished: print where it stands,
        above the bars."""
        self.batches += 1
        say(batch_line(self.batches, replications, check, following), self.bar.console)


def header(name: str, what: str, executor: Executor, target: Path) -> None:
    """The line that says what is about to run, where, and into which directory."""
    out().print(
        f"[bold]{escape(name)}[/]: {escape(what)}, "
        f"executor {escape(executor.describe())} -> {escape(str(target))}",
        highlight=False,
        soft_wrap=True,
    )


class CountBar:
    """One bar that counts finished tasks out of a total."""

    def __init__(self, label: str, total: int) -> None:
        self.bar = Progress(*progress_columns(), console=out(), transient=False)
        self.task = self.bar.add_task(escape(label), total=total)

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
        # a label is text, not markup: "[modified: ...]" would vanish as a style tag
        title = f"{output_label(result, output)}: {result.method} indices, 95% CIs"
        table = Table(title=escape(title))
        # the metric heads its rows (with its noise share) instead of taking a
        # column, so that the table fits 80 columns; long paths fold, not cut
        for j, heading in enumerate(headings[1:]):
            table.add_column(
                escape(heading), justify="left" if j == 0 else "right", overflow="fold"
            )
        for j, row in enumerate(rows):
            if row[0]:
                blank = [""] * (len(row) - 3)
                table.add_row(f"[bold]{escape(row[0])}[/]", *blank, escape(row[-1]))
            # a rule under each metric's rows
            last = j + 1 == len(rows) or bool(rows[j + 1][0])
            table.add_row(*(escape(c) for c in row[1:-1]), "", end_section=last)
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
    from simulator.report.sweep import frontier_table, policy_count

    block = frontier_table(result, terse=True)
    table = Table(
        title=f"trade-off frontier: {policy_count(result)}, {result.replications} "
        "replications, 95% CIs",
        # no outer edge or padding: two more columns of text in a narrow terminal
        show_edge=False,
        pad_edge=False,
    )
    for j, heading in enumerate(block.headers):
        table.add_column(
            escape(heading), justify="left" if j < 2 else "right", overflow="fold", no_wrap=j == 1
        )
    table.caption = escape(block.caption)
    rows = [
        [c.replace(" [", "\n[").replace("%, ", ", ").replace("%]", "]") for c in row]
        for row in block.rows
    ]
    for row in rows:
        table.add_row(*(escape(c) for c in row))
    fit_words(table, [block.headers, *rows], out().width)
    return table


def fit_words(table: Table, texts: list[list[str]], width: int) -> None:
    """Fix the widths of ``table``'s columns so that no word is cut, when they fit.

    rich narrows the widest columns first, whatever their words, so a long
    name breaks mid-word while a short one keeps spare room. Each column gets
    its longest word, then the room left in proportion to what more its text
    would take. Nothing is fixed when the longest words alone do not fit.

    Parameters
    ----------
    table
        The table, its columns added.
    texts
        Its header row and cells, as plain text, row by row.
    width
        The terminal's width, characters.
    """
    columns = list(zip(*texts, strict=True))
    words = [max((len(w) for t in col for w in t.split()), default=1) for col in columns]
    natural = [
        max((len(line) for t in col for line in t.splitlines()), default=1) for col in columns
    ]
    # each column's padding and one rule between columns (and at the edges, if drawn)
    padding = sum(table._get_padding_width(j) for j in range(len(columns)))
    rules = len(columns) - 1 + (2 if table.show_edge else 0)
    room = width - padding - rules
    if sum(natural) <= room or sum(words) > room:
        return
    spare = room - sum(words)
    wants = [n - w for n, w in zip(natural, words, strict=True)]
    total = sum(wants) or 1
    for column, word, want in zip(table.columns, words, wants, strict=True):
        column.width = word + spare * want // total


def break_even_table(result: Sweep) -> Table:
    """Where the sweep's arm breaks even with the baseline, each group a row (or one
    row per crossing), with the interval where the difference's 95% CI holds zero."""
    from simulator.experiments.break_even import break_even
    from simulator.report.sweep import break_even_table as block_of

    block = block_of(result, break_even(result))
    table = Table(title=f"break-even, {result.replications} replications, 95% CIs")
    for j, heading in enumerate(block.headers):
        table.add_column(
            escape(heading),
            justify="left" if j == len(block.headers) - 1 else "right",
            overflow="fold",
        )
    table.caption = escape(block.caption)
    for row in block.rows:
        table.add_row(*(escape(c) for c in row))
    return table


def say(text: str, console: Console | None = None) -> None:
    """Print ``text`` as it is: no markup (a user's ``[...]`` stays), no highlighting,
    no wrapping (a path or a command stays whole); on stdout unless told."""
    (console or out()).print(text, markup=False, highlight=False, soft_wrap=True)


def print_path(what: str, path: Path) -> None:
    """Say where something was written: ``what: path``."""
    say(f"{what}: {path}")


def show_origins(scenario: Path, origins: list[FieldOrigin]) -> str:
    """What ``connectsim show`` prints after the YAML: the fields the file does not
    state as they are, as YAML comments grouped by where each comes from."""
    from simulator.config.compare import ABSENT, show_value

    if not origins:
        return f"# differences from {scenario}: none, the file states every field"
    lines = [
        f"# differences from {scenario}: {len(origins)} field"
        f"{'s' if len(origins) > 1 else ''} the file does not state as resolved"
    ]
    groups: dict[str, list[FieldOrigin]] = {}
    for origin in origins:
        groups.setdefault(origin.source, []).append(origin)
    # what the user asked for first, then what the file inherits, then defaults
    order = sorted(groups, key=lambda source: (not source.startswith("--set"), source == "default"))
    for source in order:
        members = groups[source]
        lines.append(f"# {source} ({len(members)} field{'s' if len(members) > 1 else ''}):")
        for origin in members:
            line = f"#   {origin.path}: {show_value(origin.value)}"
            if origin.before is not ABSENT:
                before = "without it" if source.startswith("--set") else "the file says"
                line += f" ({before}: {show_value(origin.before)})"
            lines.append(line)
    return "\n".join(lines)


def print_differences(first: Path, second: Path, differences: list[FieldDifference]) -> None:
    """The fields two scenarios (or studies) differ in, one row each, or one line
    saying they differ in none."""
    if not differences:
        say(f"{first} and {second}: no field differs")
        return
    out().print(diff_table(first, second, differences))


def diff_table(first: Path, second: Path, differences: list[FieldDifference]) -> Table:
    """The fields two scenarios (or studies) differ in, one row each."""
    from simulator.config.compare import show_value

    count = f"{len(differences)} field{'s' if len(differences) != 1 else ''} differ"
    table = Table(title=f"{escape(str(first))} vs {escape(str(second))}: {count}")
    # paths whole, values folded: a path cut in two reads as two fields
    table.add_column("field", no_wrap=True)
    table.add_column(escape(str(first)), overflow="fold")
    table.add_column(escape(str(second)), overflow="fold")
    for difference in differences:
        table.add_row(
            escape(difference.path),
            escape(show_value(difference.left)),
            escape(show_value(difference.right)),
        )
    return table


def metrics_side_by_side(first: Path, second: Path, left: Study, right: Study) -> Table:
    """Two studies' headline metrics, overall: each arm's mean and 95% CI in each
    study, and the second's mean minus the first's (arms in both studies only)."""
    from simulator.experiments import stats  # pandas and scipy: loaded when a table is made

    table = Table(title="headline metrics (all freelancers and posts), 95% CIs")
    table.add_column("metric", overflow="fold")
    table.add_column("arm")
    table.add_column(escape(str(first)), justify="right", overflow="fold")
    table.add_column(escape(str(second)), justify="right", overflow="fold")
    table.add_column("B - A", justify="right")
    levels = left.levels(), right.levels()
    arms = [arm for arm in left.arms if arm in right.arms]
    for metric in HEADLINE_METRICS:
        for arm in arms:
            a, b = (stats.row(frame, arm, metric) for frame in levels)
            cells = [
                f"{fmt(metric, r['mean'])} "
                f"[{fmt(metric, r['ci_low'])}, {fmt(metric, r['ci_high'])}]"
                for r in (a, b)
            ]
            change = fmt(metric, b["mean"] - a["mean"], signed=True, difference=True)
            table.add_row(metric_label(metric), escape(arm), *cells, change)
    only = sorted(set(left.arms) ^ set(right.arms))
    if only:
        table.caption = f"arms in one study only, not compared: {', '.join(only)}"
    return table


def duration(seconds: float) -> str:
    """Seconds in the largest unit that keeps them readable."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def dry_run_lines(estimate: DryRun) -> list[str]:
    """What ``--dry-run`` prints: the runs, the time they take and their memory."""
    from simulator.experiments.dry_run import memory_available

    low, high = estimate.runs, estimate.most_runs
    runs = f"{low} runs" if low == high else f"{low} to {high} runs"
    span = [low] if low == high else [low, high]
    cpu = " to ".join(duration(estimate.cpu_seconds(n)) for n in span)
    if estimate.workers is None:
        when = f"{cpu} of one core; divide by the cluster's workers"
    else:
        walls = [estimate.wall_seconds(n) or 0.0 for n in span]
        when = (
            f"about {' to '.join(duration(w) for w in walls)} on {estimate.workers} "
            f"worker{'s' if estimate.workers > 1 else ''} ({cpu} of one core)"
        )
    each = estimate.memory_bytes_per_run / 1024**2
    at_once = estimate.workers or 1
    memory = f"about {each:.0f} MiB a run (the engine's estimate, on the high side)"
    if at_once > 1:
        memory += f", {each * at_once:.0f} MiB for {at_once} at once"
    return [
        f"dry run, nothing run or written: {runs} (arm x replication)",
        f"time: {runs}: {when}; {estimate.timing.describe()}",
        f"memory: {memory}; available {memory_available()}",
    ]


def print_dry_run(estimate: DryRun) -> None:
    """Print :func:`dry_run_lines`."""
    for line in dry_run_lines(estimate):
        say(line)


def print_calibration(result: Calibration) -> None:
    """The fit and identification tables of a finished calibration."""
    from simulator.experiments.calibration import records

    fit = Table(title="Fit: the posterior predictive against each target", title_justify="left")
    # names fold onto more lines rather than end in an ellipsis: a cut path names nothing
    for column in ("target", "arm", "figure", "model median", "90% interval", "inside"):
        fit.add_column(column, overflow="fold")
    for r in records(result.fit):
        fit.add_row(
            escape(str(r["target"])),
            escape(str(r["arm"])),
            escape(str(r["figure"])),
            f"{r['predictive_median']:.4g}",
            f"{r['predictive_low']:.4g} to {r['predictive_high']:.4g}",
            "yes" if r["inside"] else "no",
        )
    out().print(fit)
    table = Table(title="Posterior of each parameter", title_justify="left")
    for column in ("parameter", "prior", "median", "90% interval", "verdict"):
        table.add_column(column, overflow="fold")
    for r in records(result.identification):
        table.add_row(
            escape(str(r["parameter"])),
            f"{r['prior_low']:.4g} to {r['prior_high']:.4g}",
            f"{r['posterior_median']:.4g}",
            f"{r['posterior_low']:.4g} to {r['posterior_high']:.4g}",
            escape(str(r["verdict"])),
        )
    out().print(table)


def print_posterior_differences(result: PosteriorComparison) -> None:
    """The differences over the posterior, with their variance shares."""
    from simulator.experiments.calibration import records

    table = Table(title="Differences over the posterior", title_justify="left")
    for column in ("difference", "metric", "mean", "95% over the posterior", "parameters", "noise"):
        table.add_column(column, overflow="fold")
    for r in records(result.differences):
        metric = str(r["metric"])
        low, high = (fmt(metric, r[k], difference=True) for k in ("low", "high"))
        table.add_row(
            escape(f"{r['arm']} - {r['baseline']}"),
            escape(metric_label(metric)),
            fmt(metric, r["mean"], difference=True),
            f"{low} to {high}",
            f"{r['parameter_share']:.0%}",
            f"{r['noise_share']:.0%}",
        )
    out().print(table)


def print_boxes(result: Discovery) -> None:
    """Each conclusion's box: where it holds, PRIM's rule, density, coverage, posterior share."""
    from simulator.report.discovery import box_table

    headers, rows = box_table(result)
    model = result.plan.model
    table = Table(
        title=escape(f"Where {model.free} beats {model.paid}: PRIM's boxes"), title_justify="left"
    )
    keep = [h for h in headers if h not in ("mass", "points in box")]
    for heading in keep:
        table.add_column(escape(heading), overflow="fold")
    for row in rows:
        cells = dict(zip(headers, row, strict=True))
        table.add_row(*(escape(cells[h]) for h in keep))
    out().print(table)
