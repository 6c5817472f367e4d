"""The ``connectsim`` commands: each turns its options into a plan, runs it and prints.

The plans check themselves (:mod:`simulator.experiments`), the one runner
runs them (:func:`simulator.experiments.runner.run`), and what is printed is
made in :mod:`simulator.cli.console`. One error boundary (:func:`main`) turns
every :class:`~simulator.errors.ConnectsimError` into one red line on stderr
and exit code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, cast

import typer
from rich.markup import escape
from rich.table import Table

try:  # typer >= 0.24 carries its own click
    from typer._click.exceptions import NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - older typer on the real click
    from click.exceptions import NoArgsIsHelpError, UsageError  # type: ignore[assignment]

from simulator.cli.console import (
    CountBar,
    StudyBar,
    SweepBar,
    break_even_table,
    err,
    frontier_table,
    header,
    headless_charts,
    interrupted_line,
    metrics_side_by_side,
    out,
    precision_line,
    print_boxes,
    print_calibration,
    print_differences,
    print_dry_run,
    print_indices,
    print_path,
    print_posterior_differences,
    print_reused,
    say,
    show_origins,
    summary_table,
)
from simulator.cli.options import (
    OPTION_NAMES,
    ArmOnlyOption,
    ArmOption,
    CalibrationOutOption,
    CalibrationOverwriteOption,
    CalibrationReplicationsOption,
    CheckOption,
    DaskLocalOption,
    DesignOption,
    DiscoverPointsOption,
    DiscoverReplicationsOption,
    DiscoveryOutOption,
    DiscoveryOverwriteOption,
    DiscoveryPosteriorOption,
    DrawsOption,
    DryRunOption,
    FreeArmOption,
    GenerationsOption,
    HelpfulCommand,
    HelpfulGroup,
    MarkdownOption,
    MaxReplicationsOption,
    MethodOption,
    MetricOption,
    PaidArmOption,
    ParamOption,
    PointReplicationsOption,
    PointsOption,
    PopulationOption,
    PosteriorDrawsOption,
    PosteriorOption,
    PrecisionOption,
    QuickOption,
    SamplesOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    SensitivityOutOption,
    SensitivityOverwriteOption,
    SetOption,
    StudyNoReportOption,
    StudyOutOption,
    StudyOverwriteOption,
    StudyReplicationsOption,
    SweepNoReportOption,
    SweepOutOption,
    SweepOverwriteOption,
    SweepReplicationsOption,
    SweepScenarioArgument,
    TargetsOption,
    ThresholdOption,
    VaryOption,
    WorkersOption,
    check_executor_options,
    executor_for,
    local_workers,
    study_workers,
    task_workers,
    usage_error,
)
from simulator.errors import ConnectsimError, PlanError, ScenarioError, did_you_mean
from simulator.experiments.interrupts import Interrupted, signals_interrupt

if TYPE_CHECKING:
    from simulator.experiments.executors import Executor

app = typer.Typer(
    name="connectsim",
    help="Monte Carlo comparison of application-credit (Connects) policies on freelance markets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=HelpfulGroup,
)

_state = {"debug": False}

_finished: dict[str, Any] = {}
"""The last experiment this command finished: its ``kept`` tasks, ``unit`` and ``directory``,
for the message of an interrupt that comes after it (while the report is written)."""


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    _state["debug"] = debug


def _print_estimate(
    scenario: Any,
    runs: int,
    workers: int | None,
    most_runs: int | None,
    root_seed: int,
    arms: Sequence[str] | None = None,
) -> None:
    """--dry-run: time one short replication of each arm here, then print the runs,
    their time and memory (see :mod:`simulator.experiments.dry_run`)."""
    from simulator.experiments.dry_run import dry_run  # the engine loads here

    with err().status("timing one short replication of each arm"):
        estimate = dry_run(scenario, runs, workers, most_runs, root_seed, arms)
    print_dry_run(estimate)


def _execute(
    experiment: Any,
    executor: Executor,
    bar: Any,
    target: Path,
    unit: str,
    count: Callable[[Any], int],
    **settings: Any,
) -> Any:
    """Run an experiment through the one runner, under its progress bar.

    The executor is entered before the bar, so that a Dask cluster is reached
    or started (or fails to be) before the bar is drawn, not under it.
    An interrupt is given what the bar counted (each ``unit`` is counted once
    its files are written, or once found stored); once the experiment has
    finished, its number of ``unit``s (``count`` of its result) is recorded
    in :data:`_finished`.
    """
    from simulator.experiments.runner import run as run_experiment  # the engine loads here

    try:
        with executor, bar:
            result = run_experiment(experiment, executor=executor, out=target, **settings)
    except Interrupted as exc:
        # the executor has stopped its workers on the way here
        exc.kept = bar.done() if exc.reported else None
        exc.unit, exc.directory = unit, target
        raise
    _finished.update(kept=count(result), unit=unit, directory=target)
    return result


@app.command(cls=HelpfulCommand)
def run(
    scenario: ScenarioArgument,
    replications: StudyReplicationsOption = None,
    seed: SeedOption = None,
    overrides: SetOption = None,
    out_dir: StudyOutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = False,
    no_report: StudyNoReportOption = False,
    overwrite: StudyOverwriteOption = False,
    precision: PrecisionOption = None,
    max_replications: MaxReplicationsOption = None,
    dry_run: DryRunOption = False,
    posterior: PosteriorOption = None,
    draws: PosteriorDrawsOption = 20,
) -> None:
    """Run every arm of SCENARIO for N replications and compare them with the baseline."""
    check_executor_options(scheduler, dask_local, workers)
    if posterior is not None:
        _run_over_posterior(
            scenario,
            posterior,
            draws,
            replications or 2,
            seed,
            overrides or [],
            out_dir,
            workers,
            scheduler,
            dask_local,
            overwrite,
        )
        return
    from simulator.config.loading import load_scenario
    from simulator.experiments.study import check_study_directory, plan_study

    sc = load_scenario(scenario, overrides or [])
    plan = plan_study(sc, replications, seed, precision, max_replications)
    target = out_dir or Path("reports") / sc.name
    executor = executor_for(scheduler, dask_local, study_workers(workers, plan))
    command = plan.command(scenario, target, overrides or [])
    # refuse another study's directory before printing or starting anything
    check_study_directory(target, sc, plan.root_seed, overwrite)
    header(sc.name, f"{len(sc.arms)} arms x {plan.describe()}", executor, target)
    if dry_run:
        most = (plan.max_replications or plan.replications) * len(sc.arms)
        _print_estimate(
            sc,
            plan.replications * len(sc.arms),
            local_workers(scheduler, study_workers(workers, plan)),
            most,
            plan.root_seed,
        )
        return
    bar = StudyBar(list(sc.arms), plan.replications)
    tracked = dataclasses.replace(
        plan, progress=bar.progress, planned=bar.planned, checked=bar.checked
    )
    study = _execute(
        tracked,
        executor,
        bar,
        target,
        "replication",
        lambda study: study.replications * len(sc.arms),
        overwrite=overwrite,
        command=command,
    )
    print_reused(study.reused, study.replications * len(sc.arms), "replication", target)
    if study.precision is not None:
        out().print(escape(precision_line(study)), highlight=False, soft_wrap=True)
    out().print(summary_table(study))
    if not no_report:
        headless_charts()
        from simulator.report.study import write_report

        print_path("report", write_report(study, target, command=command))
    print_path("results", target)


@app.command(cls=HelpfulCommand)
def validate(
    scenarios: Annotated[
        list[Path], typer.Argument(metavar="SCENARIO", help="Scenario YAML files to check.")
    ],
    overrides: SetOption = None,
) -> None:
    """Check scenario files without running them.

    A file without arms is a base that scenarios extend (``extends:``): what it
    has (its world, run settings) is checked, and the line says it is a base. A
    calibration targets file (``scenarios/targets/``) is checked against its
    scenario.
    Every problem of every file is shown, one line each.
    """
    from simulator.config.loading import check_file
    from simulator.config.targets import is_targets_file, load_targets

    failed = 0
    for path in scenarios:
        try:
            if is_targets_file(path):
                targets, target_scenario = load_targets(path)
                count = len(targets.targets)
                what = f"a targets file: {count} target{'s' if count != 1 else ''} for "
                say(f"ok {path}: {what}{target_scenario.name}")
                continue
            checked = check_file(path, overrides or [])
        except ScenarioError as exc:
            if _state["debug"]:
                raise
            lines = [_error_line(exc)] if isinstance(exc, PlanError) else exc.problems
            for line in lines:
                err().print(f"[red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
            failed += 1
            continue
        if isinstance(checked, list):
            sections = " and ".join(checked) or "nothing"
            what = f"a base file to extend (no arms): {sections} valid"
        else:
            arms = len(checked.arms)
            what = f"{checked.name} ({arms} arm{'s' if arms != 1 else ''})"
        out().print(f"[green]ok[/] {escape(f'{path}: {what}')}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(2)


@app.command(cls=HelpfulCommand)
def show(scenario: ScenarioArgument, overrides: SetOption = None) -> None:
    """Print the resolved scenario as YAML, then what it does not take from the file as written.

    The resolved scenario has extends: merged, --set applied and every default
    written out; the differences follow as YAML comments, grouped by where each
    value comes from (--set, extends FILE, default), so the output is itself a
    scenario file.
    """
    import yaml

    from simulator.config.compare import field_origins
    from simulator.config.loading import load_scenario

    sc = load_scenario(scenario, overrides or [])
    origins = field_origins(scenario, overrides or [])
    how = "".join(f" --set {text}" for text in overrides or [])
    typer.echo(f"# connectsim show {scenario}{how}: the resolved scenario")
    typer.echo(
        yaml.safe_dump(sc.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=1000),
        nl=False,
    )
    typer.echo(show_origins(scenario, origins))


@app.command(cls=HelpfulCommand)
def diff(
    first: Annotated[
        Path, typer.Argument(metavar="A", help="A scenario YAML file or a study directory.")
    ],
    second: Annotated[
        Path, typer.Argument(metavar="B", help="Another of the same kind, compared with A.")
    ],
) -> None:
    """Compare two scenarios (their resolved fields) or two studies (their scenarios'
    fields and seeds, then the headline metrics side by side)."""
    from simulator.config.compare import field_differences, scenario_data
    from simulator.config.loading import load_scenario

    kinds = ["a directory" if p.is_dir() else "a file" for p in (first, second)]
    if kinds[0] != kinds[1]:
        usage_error(
            f"diff {first} {second}: compare two scenario files or two study directories; "
            f"{first} is {kinds[0]} and {second} {kinds[1]}"
        )
    if kinds[0] == "a file":
        left, right = load_scenario(first), load_scenario(second)
        differences = field_differences(scenario_data(left), scenario_data(right))
        print_differences(first, second, differences)
        return
    from simulator.experiments.study import load_study

    studies = load_study(first), load_study(second)
    fields = [
        {
            **scenario_data(study.scenario),
            "study": {"root_seed": study.root_seed, "replications": study.replications},
        }
        for study in studies
    ]
    print_differences(first, second, field_differences(fields[0], fields[1]))
    out().print(metrics_side_by_side(first, second, *studies))


@app.command(cls=HelpfulCommand)
def init(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The scenario's name (it names reports/NAME).")
    ],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Where to write it (default NAME.yaml)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace FILE if it exists.")
    ] = False,
) -> None:
    """Write a commented starter scenario, ready for validate, show and run."""
    from simulator.config.starter import starter_scenario
    from simulator.experiments.store import write_text_atomic

    target = out_file or Path(f"{name}.yaml")
    try:
        text = starter_scenario(name, str(target))
    except ValueError as exc:
        usage_error(f"init {name}: {exc}")
    if target.exists() and not overwrite:
        usage_error(f"{target}: already exists (--overwrite replaces it)")
    write_text_atomic(target, text)
    print_path("scenario", target)
    say(f"next: connectsim validate {target}; connectsim run {target} --dry-run")


@app.command(cls=HelpfulCommand)
def schema() -> None:
    """Print the JSON Schema of scenario files (every field, type, default and meaning)."""
    import json

    from simulator.config.scenario import Scenario

    typer.echo(json.dumps(Scenario.model_json_schema(), indent=2))


@app.command(cls=HelpfulCommand)
def migrate(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="Scenario YAML files to rewrite.")
    ],
) -> None:
    """Rewrite scenario files in the current schema version, keeping each as FILE.bak.

    Every file is checked before any is rewritten: a missing file, a file that is
    not a scenario or an unknown version stops the command with nothing written.
    """
    from simulator.config.rewrite import BACKUP_SUFFIX, migrate_file
    from simulator.config.scenario import SCHEMA_VERSION

    planned = [(path, migrate_file(path, write=False)) for path in files]
    for path, changes in planned:
        if not changes:
            say(f"{path}: already version {SCHEMA_VERSION}")
            continue
        migrate_file(path)
        say(f"migrated {path}: {'; '.join(changes)} (the original is {path}{BACKUP_SUFFIX})")


@app.command(cls=HelpfulCommand)
def report(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="A finished study, sweep, sensitivity, calibration or discovery directory "
            "(its --out).",
        ),
    ],
    break_even: Annotated[
        Path | None,
        typer.Option(
            "--break-even",
            metavar="SWEEP_DIR",
            help="For a study: a finished break-even sweep of its scenario (make break-even); "
            "its answer goes into the report's assumptions.",
        ),
    ] = None,
) -> None:
    """Write the report of a finished experiment into DIR/report/ and print index.html's path."""
    headless_charts()
    from simulator.report.directory import write_any_report

    # the experiment's loader refuses an unfinished one, and any file its manifest
    # does not vouch for; the report is written under the directory's lock
    kind, path = write_any_report(directory, break_even)
    say(f"{kind} report of {directory}", err())
    say(str(path))


@app.command("check-model", cls=HelpfulCommand)
def check_model(
    quick: QuickOption = False, groups: CheckOption = None, markdown: MarkdownOption = None
) -> None:
    """Check the engine against closed-form matching results and field evidence.

    Prints one row per check: what theory or evidence says, what the engine gives
    with its 95% interval, and pass or fail. Exit code 1 if any check fails.
    """
    from simulator.experiments import validation
    from simulator.experiments.store import write_text_atomic

    unknown = [g for g in groups or [] if g not in validation.CHECK_GROUPS]
    if unknown:
        usage_error(
            f"--check {unknown[0]}: no such group (groups: {', '.join(validation.CHECK_GROUPS)})"
            f"{did_you_mean(unknown[0], validation.CHECK_GROUPS)}"
        )
    sizes = validation.QUICK if quick else validation.FULL
    with out().status("checking") as status:
        results = validation.run_checks(
            sizes, groups, progress=lambda name: status.update(escape(f"checking: {name}"))
        )
    out().print(_checks_table(results, quick))
    if markdown is not None:
        write_text_atomic(markdown, validation.markdown_table(results))
    failed = [r.name for r in results if not r.passed]
    if failed:
        out().print(
            escape(f"{len(failed)} of {len(results)} checks failed: {'; '.join(failed)}"),
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    out().print(f"all {len(results)} checks passed", highlight=False)


def _checks_table(results: list[Any], quick: bool) -> Table:
    """The model checks, one row each: what is expected, what the engine gives, the verdict."""
    table = Table(title=f"connectsim check-model ({'quick' if quick else 'full'})")
    for column in ("check", "theory or evidence says", "the engine gives (95% CI)", "result"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            f"{escape(r.name)}\n[dim]{escape(r.source)}[/]",
            escape(r.expected),
            escape(
                f"{r.measured}: {r.value:.4f} ({r.ci_low:.4f} to {r.ci_high:.4f}), "
                f"{r.replications} replications"
            ),
            "[green]pass[/]" if r.passed else "[red]FAIL[/]",
        )
    return table


@app.command("sensitivity", cls=HelpfulCommand)
def sensitivity_command(
    scenario: ScenarioArgument,
    params: ParamOption,
    method: MethodOption = "sobol",
    samples: SamplesOption = None,
    replications: PointReplicationsOption = 2,
    seed: SeedOption = None,
    overrides: SetOption = None,
    out_dir: SensitivityOutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = False,
    arm: ArmOption = None,
    arm_only: ArmOnlyOption = False,
    overwrite: SensitivityOverwriteOption = False,
    metrics: MetricOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Global sensitivity analysis: which parameters drive the headline metrics (SALib)."""
    check_executor_options(scheduler, dask_local, workers)
    from simulator.config.loading import load_scenario
    from simulator.experiments import sensitivity as sa

    sc = load_scenario(scenario, overrides or [])
    method_name = cast("sa.Method", method)  # checked by the plan
    plan = sa.plan(
        sc, params, method_name, samples, replications, seed, arm, not arm_only, metrics=metrics
    )
    target = out_dir or Path("reports") / f"{sc.name}_sensitivity"
    executor = executor_for(scheduler, dask_local, task_workers(workers, plan.runs))
    command = plan.command(scenario, target, overrides or [])
    # refuse another analysis' directory before printing or starting anything
    sa.SensitivityStore(target).check_design(plan.design_hash, overwrite)
    header(sc.name, plan.describe(), executor, target)
    if dry_run:
        arms_per_point = len(plan.model.arms)
        n = plan.runs * arms_per_point
        workers_at_once = local_workers(scheduler, task_workers(workers, plan.runs))
        _print_estimate(sc, n, workers_at_once, None, plan.root_seed, plan.model.arms)
        return
    bar = CountBar("points x replications", plan.runs)
    experiment = sa.SensitivityRun(plan, bar.progress)
    result = _execute(
        experiment,
        executor,
        bar,
        target,
        "run",
        lambda _: plan.runs,
        overwrite=overwrite,
        command=command,
    )
    print_reused(result.reused, plan.runs, "run", target)
    headless_charts()
    from simulator.report.sensitivity import write_report

    print_indices(result)
    print_path("report", write_report(result, target, command=command))
    print_path("results", target)


def _run_over_posterior(
    scenario: Path,
    posterior: Path,
    draws: int,
    replications: int,
    seed: int | None,
    overrides: list[str],
    out_dir: Path | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: bool,
    overwrite: bool,
) -> None:
    """``run --posterior``: the comparison over a calibration's posterior draws."""
    import shlex

    from simulator.experiments import posterior_runs as pr

    plan = pr.plan_comparison(scenario, posterior, draws, replications, seed, overrides)
    target = out_dir or Path("reports") / f"{plan.scenario.name}_posterior"
    executor = executor_for(scheduler, dask_local, task_workers(workers, draws * replications))
    command = shlex.join(
        [
            "connectsim",
            "run",
            str(scenario),
            "--posterior",
            str(posterior),
            "--draws",
            str(draws),
            "--replications",
            str(replications),
            "--seed",
            str(plan.root_seed),
            *[a for o in overrides for a in ("--set", o)],
            "--out",
            str(target),
        ]
    )
    what = f"{len(plan.scenario.arms)} arms x {draws} posterior draws x {replications} replications"
    header(plan.scenario.name, what, executor, target)
    lines = _GenerationLines()
    result = _execute(
        pr.ComparisonRun(plan, executor),
        executor,
        lines,
        target,
        "run",
        lambda _: draws * replications,
        overwrite=overwrite,
        command=command,
    )
    print_reused(result.reused, draws * replications, "run", target)
    print_posterior_differences(result)
    from simulator.report.posterior import write_posterior_page

    print_path("report", write_posterior_page(result, target, command).markdown)
    print_path("results", target)


class _GenerationLines:
    """Progress of a calibration: a line as each ABC-SMC generation ends (pyabc decides
    how many particles each needs, so there is no total to draw a bar against)."""

    def __enter__(self) -> _GenerationLines:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def progress(self, text: str) -> None:
        say(text)

    def done(self) -> None:
        return None


@app.command("calibrate", cls=HelpfulCommand)
def calibrate_command(
    scenario: ScenarioArgument,
    targets: TargetsOption,
    params: ParamOption,
    population: PopulationOption = 100,
    generations: GenerationsOption = 8,
    replications: CalibrationReplicationsOption = 2,
    draws: DrawsOption = 40,
    seed: SeedOption = None,
    overrides: SetOption = None,
    out_dir: CalibrationOutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = False,
    overwrite: CalibrationOverwriteOption = False,
) -> None:
    """Calibrate parameters to published figures: a posterior by ABC-SMC (pyabc)."""
    import shlex

    check_executor_options(scheduler, dask_local, workers)
    from simulator.experiments import calibration as cal

    plan = cal.plan_calibration(
        scenario,
        targets,
        params,
        replications,
        population,
        generations,
        draws,
        seed,
        overrides or [],
    )
    _require_calibration_packages()
    target = out_dir or Path("reports") / f"{plan.scenario.name}_calibration"
    executor = executor_for(scheduler, dask_local, task_workers(workers, population))
    command = shlex.join(
        [
            "connectsim",
            "calibrate",
            str(scenario),
            "--targets",
            str(targets),
            *[a for p in plan.parameters for a in ("--param", p.describe())],
            *[a for o in overrides or [] for a in ("--set", o)],
            "--population",
            str(population),
            "--generations",
            str(generations),
            "--replications",
            str(replications),
            "--draws",
            str(draws),
            "--seed",
            str(plan.root_seed),
            "--out",
            str(target),
        ]
    )
    what = (
        f"{len(plan.parameters)} parameter(s), {len(plan.model.targets)} target(s), "
        f"{population} particles a generation, {replications} replication(s) each"
    )
    header(plan.scenario.name, what, executor, target)
    lines = _GenerationLines()
    result = _execute(
        cal.CalibrationRun(plan, executor, lines.progress),
        executor,
        lines,
        target,
        "run",
        lambda r: r.runs,
        overwrite=overwrite,
        command=command,
    )
    print_reused(result.reused, result.runs, "run", target)
    print_calibration(result)
    headless_charts()
    from simulator.report.calibration import write_calibration_page

    print_path("report", write_calibration_page(result, target, command).markdown)
    print_path("calibrated scenario", target / cal.CALIBRATED_FILE)
    print_path("results", target)


def _require_calibration_packages(modules: Sequence[str] = ("pyabc", "ema_workbench")) -> None:
    """Refuse, with the command to install them, when the calibration extra is missing
    (``modules``: the packages of the extra the command needs)."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ScenarioError(
            f"{' and '.join(missing)} not installed: pip install 'connectsim[calibration]'"
        )


@app.command("discover", cls=HelpfulCommand)
def discover_command(
    scenario: ScenarioArgument,
    params: ParamOption,
    points: DiscoverPointsOption = 64,
    replications: DiscoverReplicationsOption = 1,
    posterior: DiscoveryPosteriorOption = None,
    seed: SeedOption = None,
    overrides: SetOption = None,
    paid: PaidArmOption = None,
    free: FreeArmOption = None,
    threshold: ThresholdOption = 0.8,
    out_dir: DiscoveryOutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = False,
    overwrite: DiscoveryOverwriteOption = False,
) -> None:
    """Scenario discovery: where over uncertain parameters free beats paid (PRIM)."""
    check_executor_options(scheduler, dask_local, workers)
    from simulator.experiments import discovery as sd

    _require_calibration_packages(("ema_workbench",))
    plan = sd.plan_discovery(
        scenario,
        params,
        points,
        replications,
        seed,
        paid,
        free,
        threshold,
        posterior,
        overrides or [],
    )
    target = out_dir or Path("reports") / f"{plan.scenario.name}_discovery"
    executor = executor_for(scheduler, dask_local, task_workers(workers, plan.runs))
    command = plan.command(scenario, target, overrides or [])
    # refuse another experiment's directory before printing or starting anything
    sd.SensitivityStore(target).check_design(
        plan.design_hash, overwrite, sd.KIND, sd.DiscoveryRun.what
    )
    header(plan.scenario.name, plan.describe(), executor, target)
    bar = CountBar("points x replications", plan.runs)
    result = _execute(
        sd.DiscoveryRun(plan, bar.progress),
        executor,
        bar,
        target,
        "run",
        lambda _: plan.runs,
        overwrite=overwrite,
        command=command,
    )
    print_reused(result.reused, plan.runs, "run", target)
    print_boxes(result)
    headless_charts()
    from simulator.report.discovery import conclusion_sentence, write_discovery_page

    for conclusion in result.conclusions:
        say(conclusion_sentence(result, conclusion))
    print_path("report", write_discovery_page(result, target, command).markdown)
    print_path("results", target)


@app.command("sweep", cls=HelpfulCommand)
def sweep_command(
    scenario: SweepScenarioArgument,
    vary: VaryOption = None,
    design: DesignOption = None,
    points: PointsOption = None,
    replications: SweepReplicationsOption = None,
    seed: SeedOption = None,
    overrides: SetOption = None,
    out_dir: SweepOutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = False,
    no_report: SweepNoReportOption = False,
    overwrite: SweepOverwriteOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Run every arm of SCENARIO at every point of a parameter grid or Latin hypercube.

    The axes are the --vary options, or else the scenario's sweep: block (--vary
    replaces the block's axes and design). When the block asks a break-even
    question, its table is printed after the frontier.
    """
    check_executor_options(scheduler, dask_local, workers)
    from simulator.experiments import sweep as sw

    # every point's scenario is made and checked here: a bad --vary writes nothing
    the_plan = sw.plan_sweep(scenario, vary or None, design, points, seed, overrides or [])
    experiment = sw.SweepRun(the_plan, replications or the_plan.base.run.replications)
    target = out_dir or Path("reports") / f"{the_plan.base.name}_sweep"
    executor = executor_for(scheduler, dask_local, task_workers(workers, experiment.runs))
    command = experiment.command(scenario, target, overrides or [])
    # refuse another sweep's or a study's directory before printing or starting anything
    sw.check_sweep_directory(target, the_plan, overwrite)
    header(the_plan.base.name, experiment.describe(), executor, target)
    if dry_run:
        workers_at_once = local_workers(scheduler, task_workers(workers, experiment.runs))
        n = experiment.distinct_runs
        _print_estimate(the_plan.base, n, workers_at_once, None, the_plan.root_seed)
        return
    bar = SweepBar(experiment)
    tracked = dataclasses.replace(experiment, progress=bar.progress)
    result = _execute(
        tracked,
        executor,
        bar,
        target,
        "run",
        lambda _: experiment.runs,
        overwrite=overwrite,
        command=command,
    )
    print_reused(result.reused, experiment.runs, "run", target)
    headless_charts()
    out().print(frontier_table(result))
    if the_plan.break_even is not None:
        out().print(break_even_table(result))
    if not no_report:
        from simulator.report.sweep import write_sweep_report

        print_path("report", write_sweep_report(result, target, command=command))
    print_path("results", target)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Show a warning as one yellow line, not Python's two lines of source location."""
    err().print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)


def _os_error_line(exc: OSError) -> str:
    """One line for a filesystem failure no layer below turned into a ConnectsimError."""
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or type(exc).__name__}"


def _error_line(exc: ConnectsimError | OSError) -> str:
    """The one line an error is shown as, options named as the CLI names them."""
    if isinstance(exc, OSError):
        return _os_error_line(exc)
    if isinstance(exc, PlanError):
        return exc.render(OPTION_NAMES)
    return str(exc)


def main() -> None:
    """Entry point with the error boundary.

    A :class:`~simulator.errors.ConnectsimError` (bad input, a results directory
    that cannot be used) and an ``OSError`` (a read-only or full filesystem) are
    the user's to fix: one red line and exit code 2. ``--debug`` shows the
    traceback instead. SIGINT (Ctrl-C) and SIGTERM stop a command cleanly
    (:mod:`simulator.experiments.interrupts`): the workers are stopped, what
    finished is kept, one line says how much, and the exit code is 130 or 143.
    """
    debug = "--debug" in sys.argv[1:]
    warnings.showwarning = _show_warning
    _finished.clear()
    with signals_interrupt():
        code = _guarded(debug)
    sys.exit(code if isinstance(code, int) else 0)


def _guarded(debug: bool) -> Any:
    """Run the app; turn each way it can stop short into its message and exit code."""
    try:
        return app(standalone_mode=False)
    except Interrupted as exc:
        if exc.directory is None and _finished:
            # after the experiment finished (while its report was written)
            exc.kept, exc.unit, exc.directory = (
                _finished["kept"],
                _finished["unit"],
                _finished["directory"],
            )
        err().print(
            interrupted_line(exc.signal_name, exc.kept, exc.unit, exc.directory),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(exc.exit_code)
    except NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UsageError as exc:
        # one line like every other refusal, not click's boxed panel: the
        # message already names the option and the value
        command = exc.ctx.command_path if exc.ctx is not None else "connectsim"
        text = f"{exc.format_message()} (see '{command} --help')"
        err().print(f"[red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err().print("aborted", highlight=False)
        sys.exit(130)
    except (ConnectsimError, OSError) as exc:
        if debug:
            raise
        err().print(f"[red]error:[/] {escape(_error_line(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
