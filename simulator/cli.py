"""The ``connectsim`` command line: a thin layer over the study API.

One error boundary (:func:`main`) turns every
:class:`~simulator.errors.ConnectsimError` into one red line on stderr and
exit code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TextIO, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

try:  # typer >= 0.24 carries its own click
    from typer._click.exceptions import NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - older typer on the real click
    from click.exceptions import NoArgsIsHelpError, UsageError  # type: ignore[assignment]

from simulator.catalog import HEADLINE_METRICS, fmt, metric_label
from simulator.config.loading import load_scenario
from simulator.config.scenario import MAX_REPLICATIONS, MAX_SEED
from simulator.errors import ConnectsimError, PlanError, ScenarioError
from simulator.experiments import stats
from simulator.experiments.store import write_text_atomic

if TYPE_CHECKING:
    from simulator.experiments.executors import Executor
    from simulator.experiments.sensitivity import Sensitivity
    from simulator.experiments.study import Study, StudyPlan
    from simulator.experiments.sweep import Sweep, SweepRun

app = typer.Typer(
    name="connectsim",
    help="Monte Carlo comparison of application-credit (Connects) policies on freelance markets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field: PATH=VALUE, e.g. run.horizon_days=90."),
]
SeedOption = Annotated[
    int | None,
    typer.Option(
        "--seed",
        min=0,
        max=MAX_SEED,
        help="Root seed (the same for every arm, point and sample), below 2**63.",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Processes, or local Dask workers with --dask-local (default: all cores; "
        "more than the cores this process may use gets the cores).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="Send the work to the workers of an existing Dask cluster (tcp:// or tls://; "
        "given up after 30 s without an answer).",
    ),
]
DaskLocalOption = Annotated[
    bool,
    typer.Option("--dask-local", help="Start a local Dask cluster of --workers processes."),
]
"""The options every command that runs the engine shares: overrides, seed, where it runs."""


def _out() -> Console:
    # made per use, so that the terminal's width (or COLUMNS) is read when printing
    return Console()


def _err() -> Console:
    return Console(stderr=True)


_state = {"debug": False}


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    _state["debug"] = debug


def _summary_table(study: Study) -> Table:
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


def _print_reused(reused: int, total: int, unit: str, target: Path) -> None:
    """Say how many finished ``unit``s a rerun took from ``target`` instead of running."""
    if reused:
        _out().print(
            f"reused {reused} finished {unit}{'s' if reused > 1 else ''} of {total} from {target}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _usage_error(text: str) -> NoReturn:
    """Refuse contradictory or impossible options: one red line, exit code 2."""
    _err().print(f"[red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _check_executor_options(scheduler: str | None, dask_local: bool, workers: int | None) -> None:
    """Refuse --scheduler with --dask-local or --workers (the cluster's workers do the
    work), and a --scheduler that is not tcp://HOST:PORT or tls://HOST:PORT."""
    if scheduler is not None and (dask_local or workers is not None):
        other = "--dask-local" if dask_local else "--workers"
        _usage_error(
            f"--scheduler and {other} exclude each other: with --scheduler "
            "the workers of the existing cluster do the work"
        )
    if scheduler is not None:
        from simulator.experiments.executors import check_scheduler_address  # no engine, no dask

        # a typo is refused now, not after waiting for a scheduler that cannot exist
        try:
            check_scheduler_address(scheduler)
        except ValueError as exc:
            _usage_error(f"--scheduler: {exc}")


def _executor(scheduler: str | None, dask_local: bool, workers: int) -> Executor:
    """The executor the options ask for: a Dask cluster, or local processes.

    Local worker counts are capped at the cores this process may use: more
    processes would only queue for the cores, each holding its own copy of
    the engine in memory. The plan line every command prints names the
    executor with the count it got, e.g. ``process-pool(2)``. The wait for a
    scheduler is :data:`~simulator.experiments.executors.DEFAULT_CONNECT_TIMEOUT_S`
    (30 s), or ``$CONNECTSIM_CONNECT_TIMEOUT`` seconds when that is set (the
    tests shorten it).
    """
    from simulator.experiments.executors import (
        DaskExecutor,
        connect_timeout_from_environment,
        default_workers,
        resolve_executor,
    )

    if scheduler is not None:
        return DaskExecutor(address=scheduler, connect_timeout=connect_timeout_from_environment())
    workers = min(workers, default_workers())
    if dask_local:
        return DaskExecutor(local_workers=workers)
    return resolve_executor(None, workers)


def _progress_columns() -> tuple[ProgressColumn, ...]:
    """Bars with done/total, elapsed time and the time left."""
    return (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )


def _precision_line(study: Study) -> str:
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


def _headless_charts() -> None:
    """Draw charts off-screen: the CLI writes them to files and never shows a window.

    Set here, not in :mod:`simulator.charts.study`, so that notebooks keep their own backend.
    """
    import matplotlib

    matplotlib.use("Agg")


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications", "-n", min=1, max=MAX_REPLICATIONS, help="Replications per arm."
        ),
    ] = None,
    seed: SeedOption = None,
    overrides: SetOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Results directory (default reports/<name>).")
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = False,
    no_report: Annotated[
        bool, typer.Option("--no-report", help="Write results only, no report.")
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace a study of another scenario found in --out."),
    ] = False,
    precision: Annotated[
        float | None,
        typer.Option(
            "--precision",
            metavar="REL",
            help="Add replications in batches until every headline difference's 95% "
            "half-width is at most REL times the baseline's mean (e.g. 0.01); "
            "--replications is then the first batch.",
        ),
    ] = None,
    max_replications: Annotated[
        int | None,
        typer.Option(
            "--max-replications",
            min=2,
            max=MAX_REPLICATIONS,
            help="With --precision: the most replications per arm (default 200).",
        ),
    ] = None,
) -> None:
    """Run every arm of SCENARIO for N replications and compare them with the baseline."""
    _check_executor_options(scheduler, dask_local, workers)
    from simulator.experiments.runner import run as run_experiment  # the engine loads here
    from simulator.experiments.study import check_study_directory, plan_study

    sc = load_scenario(scenario, overrides or [])
    plan = plan_study(sc, replications, seed, precision, max_replications)
    target = out or Path("reports") / sc.name
    executor = _executor(scheduler, dask_local, _study_workers(workers, plan))
    command = plan.command(scenario, target, overrides or [])
    # refuse another study's directory before printing or starting anything
    check_study_directory(target, sc, plan.root_seed, overwrite)
    _out().print(
        f"[bold]{escape(sc.name)}[/]: {len(sc.arms)} arms x {plan.describe()}, "
        f"executor {executor.describe()} -> {escape(str(target))}"
    )
    # entered before the progress bar, so that a Dask cluster is reached or
    # started (or fails to be) before the bar is drawn, not under it
    with executor, _StudyBar(list(sc.arms), plan.replications) as bar:
        tracked = dataclasses.replace(plan, progress=bar.progress, planned=bar.planned)
        study = run_experiment(
            tracked, executor=executor, out=target, overwrite=overwrite, command=command
        )
    _print_reused(study.reused, study.replications * len(sc.arms), "replication", target)
    if study.precision is not None:
        _out().print(_precision_line(study), highlight=False, soft_wrap=True)
    _out().print(_summary_table(study))
    if not no_report:
        _headless_charts()
        from simulator.report.study import write_report

        path = write_report(study, target, command=command)
        _out().print(f"report: {path}", markup=False, highlight=False, soft_wrap=True)
    _out().print(f"results: {target}", markup=False, highlight=False, soft_wrap=True)


OPTION_NAMES = {
    "arm": "--arm",
    "design": "--design",
    "max_replications": "--max-replications",
    "method": "--method",
    "metrics": "--metric",
    "overrides": "--set",
    "params": "--param",
    "points": "--points",
    "precision": "--precision",
    "replications": "--replications",
    "samples": "--samples",
    "seed": "--seed",
    "vary": "--vary",
}
"""The settings of the Python API, as the CLI's options name them in its messages."""


def _study_workers(workers: int | None, plan: StudyPlan) -> int:
    """The workers asked for, else every core; no more than there are replications,
    unless a precision target may add batches that use them."""
    from simulator.experiments.executors import default_workers

    count = workers or default_workers()
    if plan.precision is None:
        count = min(count, plan.replications * len(plan.scenario.arms))
    return count


class _StudyBar:
    """A study's progress: a bar for all arms and one per arm, resized per batch."""

    def __init__(self, arms: list[str], replications: int) -> None:
        self.bar = Progress(*_progress_columns(), console=_out(), transient=False)
        self.arms = arms
        self.overall = self.bar.add_task("all arms", total=replications * len(arms))
        self.per_arm = {arm: self.bar.add_task(f"  {arm}", total=replications) for arm in arms}

    def __enter__(self) -> _StudyBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def progress(self, arm: str, _replication: int) -> None:
        """One replication of ``arm`` finished (or was reused)."""
        self.bar.advance(self.per_arm[arm])
        self.bar.advance(self.overall)

    def planned(self, per_arm_total: int) -> None:
        """The study now runs ``per_arm_total`` replications per arm."""
        self.bar.update(self.overall, total=per_arm_total * len(self.arms))
        for task in self.per_arm.values():
            self.bar.update(task, total=per_arm_total)


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files to check.")],
    overrides: SetOption = None,
) -> None:
    """Check scenario files without running them."""
    failed = 0
    for path in scenarios:
        try:
            sc = load_scenario(path, overrides or [])
        except ScenarioError as exc:
            if _state["debug"]:
                raise
            _err().print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            failed += 1
            continue
        _out().print(
            f"[green]ok[/] {escape(f'{path}: {sc.name} ({len(sc.arms)} arms)')}",
            highlight=False,
            soft_wrap=True,
        )
    if failed:
        raise typer.Exit(2)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (every field, type, default and meaning)."""
    import json

    from simulator.config.scenario import Scenario

    typer.echo(json.dumps(Scenario.model_json_schema(), indent=2))


@app.command()
def report(
    directory: Annotated[
        Path,
        typer.Argument(help="A finished study, sweep or sensitivity directory (its --out)."),
    ],
) -> None:
    """Write the report of a finished experiment into DIR/report/ and print index.html's path."""
    _headless_charts()
    from simulator.report.directory import write_any_report

    # the experiment's loader refuses an unfinished one, and any file its manifest
    # does not vouch for; the report is written under the directory's lock
    kind, path = write_any_report(directory)
    _err().print(f"{kind} report of {directory}", markup=False, highlight=False, soft_wrap=True)
    _out().print(str(path), markup=False, highlight=False, soft_wrap=True)


@app.command("check-model")
def check_model(
    quick: Annotated[
        bool,
        typer.Option("--quick", help="Smaller markets and fewer replications (about a minute)."),
    ] = False,
    groups: Annotated[
        list[str] | None,
        typer.Option(
            "--check",
            help="Run only this group (repeatable): urn-ball, multiple-applications, "
            "interior-peak, littles-law, bunching, applicant-cap, congestion.",
        ),
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", help="Also write the table as Markdown to this file."),
    ] = None,
) -> None:
    """Check the engine against closed-form matching results and field evidence.

    Prints one row per check: what theory or evidence says, what the engine gives
    with its 95% interval, and pass or fail. Exit code 1 if any check fails.
    """
    from simulator.experiments import validation

    unknown = [g for g in groups or [] if g not in validation.CHECK_GROUPS]
    if unknown:
        _usage_error(
            f"--check {unknown[0]}: no such group (groups: {', '.join(validation.CHECK_GROUPS)})"
        )
    sizes = validation.QUICK if quick else validation.FULL
    with _out().status("checking") as status:
        results = validation.run_checks(
            sizes, groups, progress=lambda name: status.update(f"checking: {name}")
        )
    table = Table(title=f"connectsim check-model ({'quick' if quick else 'full'})")
    for column in ("check", "theory or evidence says", "the engine gives (95% CI)", "result"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            f"{r.name}\n[dim]{r.source}[/]",
            r.expected,
            f"{r.measured}: {r.value:.4f} ({r.ci_low:.4f} to {r.ci_high:.4f}), "
            f"{r.replications} replications",
            "[green]pass[/]" if r.passed else "[red]FAIL[/]",
        )
    _out().print(table)
    if markdown is not None:
        write_text_atomic(markdown, validation.markdown_table(results))
    failed = [r.name for r in results if not r.passed]
    if failed:
        _out().print(
            f"{len(failed)} of {len(results)} checks failed: {'; '.join(failed)}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    _out().print(f"all {len(results)} checks passed", highlight=False)


@app.command("sensitivity")
def sensitivity_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    params: Annotated[
        list[str],
        typer.Option(
            "--param",
            metavar="PATH=LOW:HIGH",
            help="A numeric field and its range, e.g. world.jobs.ghost_share=0.0:0.3; repeatable.",
        ),
    ],
    method: Annotated[
        str, typer.Option("--method", metavar="sobol|morris", help="Sobol' indices or Morris.")
    ] = "sobol",
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            min=2,
            help="Sobol' base samples N, a power of 2 (default 64), or Morris trajectories "
            "(default 10).",
        ),
    ] = None,
    replications: Annotated[
        int,
        typer.Option(
            "--replications", "-n", min=1, max=MAX_REPLICATIONS, help="Replications per point."
        ),
    ] = 2,
    seed: SeedOption = None,
    overrides: SetOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Results directory (default reports/<name>_sensitivity)."),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = False,
    arm: Annotated[
        str | None,
        typer.Option("--arm", help="The arm analysed (default: the first non-baseline arm)."),
    ] = None,
    arm_only: Annotated[
        bool,
        typer.Option(
            "--arm-only",
            help="Run only --arm, not the baseline too (half the runs; no paired difference).",
        ),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace another sensitivity analysis found in --out."),
    ] = False,
    metrics: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            metavar="NAME",
            help="A metric to analyse, overall (a name in summary/levels.csv, e.g. "
            "earnings_usd_per_freelancer_month); repeatable. Default: the headline metrics "
            "and fill_rate.",
        ),
    ] = None,
) -> None:
    """Global sensitivity analysis: which parameters drive the headline metrics (SALib)."""
    _check_executor_options(scheduler, dask_local, workers)
    from simulator.experiments import sensitivity as sa
    from simulator.experiments.executors import default_workers
    from simulator.experiments.runner import run as run_experiment

    sc = load_scenario(scenario, overrides or [])
    method_name = cast("sa.Method", method)  # checked by the plan
    plan = sa.plan(
        sc, params, method_name, samples, replications, seed, arm, not arm_only, metrics=metrics
    )
    target = out or Path("reports") / f"{sc.name}_sensitivity"
    executor = _executor(scheduler, dask_local, min(workers or default_workers(), plan.runs))
    command = plan.command(scenario, target, overrides or [])
    # refuse another analysis' directory before printing or starting anything
    sa.SensitivityStore(target).check_design(plan.design_hash, overwrite)
    _header(sc.name, plan.describe(), executor, target)
    with executor, _CountBar("points x replications", plan.runs) as bar:
        experiment = sa.SensitivityRun(plan, bar.progress)
        result = run_experiment(
            experiment, executor=executor, out=target, overwrite=overwrite, command=command
        )
    _print_reused(result.reused, plan.runs, "run", target)
    _headless_charts()
    from simulator.report.sensitivity import write_report

    _print_indices(result)
    path = write_report(result, target, command=command)
    _out().print(f"report: {path}", markup=False, highlight=False, soft_wrap=True)
    _out().print(f"results: {target}", markup=False, highlight=False, soft_wrap=True)


def _header(name: str, what: str, executor: Executor, target: Path) -> None:
    """The line that says what is about to run, where, and into which directory."""
    _out().print(
        f"[bold]{escape(name)}[/]: {escape(what)}, "
        f"executor {executor.describe()} -> {escape(str(target))}",
        highlight=False,
        soft_wrap=True,
    )


class _CountBar:
    """One bar that counts finished tasks out of a total."""

    def __init__(self, label: str, total: int) -> None:
        self.bar = Progress(*_progress_columns(), console=_out(), transient=False)
        self.task = self.bar.add_task(label, total=total)

    def __enter__(self) -> _CountBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def progress(self, done: int, total: int) -> None:
        """``done`` of ``total`` tasks are finished (or reused)."""
        self.bar.update(self.task, completed=done, total=total)


def _print_indices(result: Sensitivity) -> None:
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
        _out().print(table)


# ------------------------------------------------------------------ sweep
@app.command("sweep")
def sweep_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file (the base of every point).")],
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary",
            metavar="PATH=V1,V2,...|PATH=LOW:HIGH:N",
            help="A field and its values, or a range of N levels (LOW:HIGH for --design lhs), "
            "e.g. arms.paid.price_usd_per_connect=0.10,0.15,0.30; repeatable.",
        ),
    ],
    design: Annotated[
        str,
        typer.Option(
            "--design",
            metavar="grid|lhs",
            help="Every combination of the levels, or a Latin hypercube of --points points.",
        ),
    ] = "grid",
    points: Annotated[
        int | None,
        typer.Option("--points", min=1, help="Design points of a Latin hypercube (--design lhs)."),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications",
            "-n",
            min=1,
            max=MAX_REPLICATIONS,
            help="Replications per arm and point.",
        ),
    ] = None,
    seed: SeedOption = None,
    overrides: SetOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Results directory (default reports/<name>_sweep)."),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = False,
    no_report: Annotated[
        bool, typer.Option("--no-report", help="Write results only, no charts or sweep.md.")
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace another sweep or a study found in --out."),
    ] = False,
) -> None:
    """Run every arm of SCENARIO at every point of a parameter grid or Latin hypercube."""
    _check_executor_options(scheduler, dask_local, workers)
    from simulator.experiments import sweep as sw
    from simulator.experiments.executors import default_workers
    from simulator.experiments.runner import run as run_experiment

    # every point's scenario is made and checked here: a bad --vary writes nothing
    the_plan = sw.plan_sweep(scenario, vary, design, points, seed, overrides or [])
    experiment = sw.SweepRun(the_plan, replications or the_plan.base.run.replications)
    target = out or Path("reports") / f"{the_plan.base.name}_sweep"
    executor = _executor(scheduler, dask_local, min(workers or default_workers(), experiment.runs))
    command = experiment.command(scenario, target, overrides or [])
    # refuse another sweep's or a study's directory before printing or starting anything
    sw.check_sweep_directory(target, the_plan, overwrite)
    _header(the_plan.base.name, experiment.describe(), executor, target)
    with executor, _SweepBar(experiment) as bar:
        tracked = dataclasses.replace(experiment, progress=bar.progress)
        result = run_experiment(
            tracked, executor=executor, out=target, overwrite=overwrite, command=command
        )
    _print_reused(result.reused, experiment.runs, "run", target)
    _headless_charts()
    _out().print(_frontier_table(result))
    if not no_report:
        from simulator.report.sweep import write_sweep_report

        path = write_sweep_report(result, target, command=command)
        _out().print(f"report: {path}", markup=False, highlight=False, soft_wrap=True)
    _out().print(f"results: {target}", markup=False, highlight=False, soft_wrap=True)


class _SweepBar:
    """A sweep's progress: its runs, and the points whose every run has finished."""

    def __init__(self, experiment: SweepRun) -> None:
        self.bar = Progress(*_progress_columns(), console=_out(), transient=False)
        points = experiment.plan.points
        self.left = {p.id: experiment.replications * len(p.scenario.arms) for p in points}
        self.runs = self.bar.add_task("runs (point x arm x replication)", total=experiment.runs)
        self.points = self.bar.add_task("points finished", total=len(points))

    def __enter__(self) -> _SweepBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def progress(self, point: str, _arm: str, _replication: int) -> None:
        """One run of ``point`` finished (or was reused)."""
        self.bar.advance(self.runs)
        self.left[point] -= 1
        if self.left[point] == 0:
            self.bar.advance(self.points)


def _frontier_table(result: Sweep) -> Table:
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


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Show a warning as one yellow line, not Python's two lines of source location."""
    _err().print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)


def _os_error_line(exc: OSError) -> str:
    """One line for a filesystem failure no layer below turned into a ConnectsimError."""
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or type(exc).__name__}"


def main() -> None:
    """Entry point with the error boundary.

    A :class:`~simulator.errors.ConnectsimError` (bad input, a results directory
    that cannot be used) and an ``OSError`` (a read-only or full filesystem) are
    the user's to fix: one red line and exit code 2. ``--debug`` shows the
    traceback instead.
    """
    debug = "--debug" in sys.argv[1:]
    warnings.showwarning = _show_warning
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UsageError as exc:
        # one line like every other refusal, not click's boxed panel: the
        # message already names the option and the value
        command = exc.ctx.command_path if exc.ctx is not None else "connectsim"
        text = f"{exc.format_message()} (see '{command} --help')"
        _err().print(f"[red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        _err().print("aborted", highlight=False)
        sys.exit(130)
    except (ConnectsimError, OSError) as exc:
        if debug:
            raise
        if isinstance(exc, OSError):
            text = _os_error_line(exc)
        elif isinstance(exc, PlanError):
            text = exc.render(OPTION_NAMES)
        else:
            text = str(exc)
        _err().print(f"[red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
