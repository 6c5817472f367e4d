"""The options of the ``connectsim`` commands, and the checks and executors they ask for.

Each option is declared once as an ``Annotated`` type, so that a command's
signature lists what it takes and nothing else. :data:`OPTION_NAMES` names
the Python API's settings as the options do, for error messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from simulator.config.limits import MAX_REPLICATIONS, MAX_SEED

if TYPE_CHECKING:
    from simulator.experiments.executors import Executor
    from simulator.experiments.study import StudyPlan


def _hide_flag_types(params: list[Any]) -> None:
    """Show placeholders only where a value is typed, and only as a word.

    On/off flags take no value, so they get an empty placeholder (typer would
    show ``<bool>``); an argument is already named by its metavar (SCENARIO,
    FILE, DIR), so its type column (``<path>``, ``<list[Path]>``) is dropped.
    """
    for param in params:
        if isinstance(param, TyperOption) and param.is_bool_flag and param.metavar is None:
            param.metavar = ""
        elif isinstance(param, TyperArgument) and param.metavar is not None:
            param.display_type_rich = _no_type  # type: ignore[method-assign]


def _no_type(ctx: Any) -> None:
    return None


class _HideFlagTypes:
    """Hides the value placeholder of flags (``--help`` included) in a command's help."""

    params: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _hide_flag_types(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        _hide_flag_types([option])
        return option


class HelpfulCommand(_HideFlagTypes, TyperCommand):
    """A command whose help shows no value placeholder for flags, ``--help`` included."""


class HelpfulGroup(_HideFlagTypes, TyperGroup):
    """The ``connectsim`` group, with the flag placeholders of :class:`HelpfulCommand`."""


ScenarioArgument = Annotated[
    Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.", show_default=False)
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a field, e.g. run.horizon_days=90; repeatable.",
    ),
]
SeedOption = Annotated[
    int | None,
    typer.Option(
        "--seed",
        metavar="N",
        min=0,
        max=MAX_SEED,
        help="Root seed (the same for every arm, point and sample), below 2**63.",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        metavar="N",
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
DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Print the number of replication runs and an estimate of their time and "
        "memory (one short replication of each arm timed here), then stop: nothing "
        "is written.",
    ),
]
"""The options every command that runs the engine shares: overrides, seed, where it
runs, and a dry run."""


def local_workers(scheduler: str | None, workers: int) -> int | None:
    """The runs at once an executor of these options makes: the local processes
    (capped at the cores, as :func:`executor_for` caps them), None on a cluster."""
    from simulator.experiments.executors import default_workers

    return None if scheduler is not None else min(workers, default_workers())


def _out_option(default: str) -> Any:
    return typer.Option(
        "--out", metavar="DIR", help=f"Results directory (default reports/{default})."
    )


def _overwrite_option(what: str) -> Any:
    return typer.Option("--overwrite", help=f"Replace {what} found in --out.")


def _replications_option(per: str) -> Any:
    return typer.Option(
        "--replications",
        "-n",
        metavar="N",
        min=1,
        max=MAX_REPLICATIONS,
        help=f"Replications per {per}.",
    )


# ------------------------------------------------------------------ run

StudyReplicationsOption = Annotated[int | None, _replications_option("arm")]
StudyOutOption = Annotated[Path | None, _out_option("<name>")]
StudyOverwriteOption = Annotated[bool, _overwrite_option("a study of another scenario")]
StudyNoReportOption = Annotated[
    bool, typer.Option("--no-report", help="Write results only, no report.")
]
PrecisionOption = Annotated[
    float | None,
    typer.Option(
        "--precision",
        metavar="REL",
        help="Add replications in batches until every headline difference's 95% "
        "half-width is at most REL times the baseline's mean (e.g. 0.01); "
        "--replications is then the first batch.",
    ),
]
MaxReplicationsOption = Annotated[
    int | None,
    typer.Option(
        "--max-replications",
        metavar="N",
        min=2,
        max=MAX_REPLICATIONS,
        help="With --precision: the most replications per arm (default 200).",
    ),
]

# ------------------------------------------------------------------ sensitivity

ParamOption = Annotated[
    list[str],
    typer.Option(
        "--param",
        metavar="PATH=LOW:HIGH",
        help="A numeric field and its range, e.g. world.jobs.ghost_share=0.0:0.3; repeatable.",
    ),
]
MethodOption = Annotated[
    str, typer.Option("--method", metavar="sobol|morris", help="Sobol' indices or Morris.")
]
SamplesOption = Annotated[
    int | None,
    typer.Option(
        "--samples",
        metavar="N",
        min=2,
        help="Sobol' base samples N, a power of 2 (default 64), or Morris trajectories "
        "(default 10).",
    ),
]
PointReplicationsOption = Annotated[int, _replications_option("point")]
SensitivityOutOption = Annotated[Path | None, _out_option("<name>_sensitivity")]
SensitivityOverwriteOption = Annotated[bool, _overwrite_option("another sensitivity analysis")]
ArmOption = Annotated[
    str | None,
    typer.Option(
        "--arm",
        metavar="NAME",
        help=(
            "The arm analysed (default: the first non-baseline arm the --param paths "
            "vary; the baseline if they vary only its fields)."
        ),
    ),
]
ArmOnlyOption = Annotated[
    bool,
    typer.Option(
        "--arm-only",
        help="Run only --arm, not the baseline too (half the runs; no paired difference).",
    ),
]
MetricOption = Annotated[
    list[str] | None,
    typer.Option(
        "--metric",
        metavar="NAME",
        help="A metric to analyse, overall (a name in summary/levels.csv, e.g. "
        "earnings_usd_per_freelancer_month); repeatable. Default: the headline metrics "
        "and fill_rate.",
    ),
]

# ------------------------------------------------------------------ sweep

SweepScenarioArgument = Annotated[
    Path,
    typer.Argument(
        metavar="SCENARIO",
        help="Scenario YAML file (the base of every point; its sweep: block gives the axes "
        "when no --vary is given).",
    ),
]
VaryOption = Annotated[
    list[str] | None,
    typer.Option(
        "--vary",
        metavar="PATH=V1,V2,...|PATH=LOW:HIGH:N",
        help="A field and its values, or a range of N levels (LOW:HIGH for --design lhs), "
        "e.g. arms.paid.price_usd_per_connect=0.10,0.15,0.30; repeatable. Given, the "
        "--vary options replace the axes and design of the scenario's sweep: block.",
    ),
]
DesignOption = Annotated[
    str | None,
    typer.Option(
        "--design",
        metavar="grid|lhs",
        help="Every combination of the levels, or a Latin hypercube of --points points "
        "(default: the scenario's sweep: block's with its axes, else grid).",
    ),
]
PointsOption = Annotated[
    int | None,
    typer.Option(
        "--points",
        metavar="N",
        min=1,
        help="Design points of a Latin hypercube (--design lhs; default: the sweep: block's).",
    ),
]
SweepReplicationsOption = Annotated[int | None, _replications_option("arm and point")]
SweepOutOption = Annotated[Path | None, _out_option("<name>_sweep")]
SweepOverwriteOption = Annotated[bool, _overwrite_option("another sweep or a study")]
SweepNoReportOption = Annotated[
    bool, typer.Option("--no-report", help="Write results only, no charts or sweep.md.")
]

# ------------------------------------------------------------------ check-model

QuickOption = Annotated[
    bool,
    typer.Option("--quick", help="Smaller markets and fewer replications (about a minute)."),
]
CheckOption = Annotated[
    list[str] | None,
    typer.Option(
        "--check",
        metavar="GROUP",
        help="Run only this group (repeatable): urn-ball, multiple-applications, "
        "interior-peak, littles-law, bunching, applicant-cap, congestion.",
    ),
]
MarkdownOption = Annotated[
    Path | None,
    typer.Option(
        "--markdown", metavar="FILE", help="Also write the table as Markdown to this file."
    ),
]

# ------------------------------------------------------------------ discover

DiscoverPointsOption = Annotated[
    int,
    typer.Option(
        "--points",
        metavar="N",
        help="Points of the Latin hypercube over the --param ranges (at least 8).",
    ),
]
DiscoverReplicationsOption = Annotated[int, _replications_option("arm and point")]
PaidArmOption = Annotated[
    str | None,
    typer.Option("--paid", metavar="ARM", help="The paid arm (default: the scenario's baseline)."),
]
FreeArmOption = Annotated[
    str | None,
    typer.Option(
        "--free",
        metavar="ARM",
        help="The free arm (default: the first other arm whose policy is a free program).",
    ),
]
ThresholdOption = Annotated[
    float,
    typer.Option(
        "--threshold",
        metavar="D",
        help="The least density of PRIM's box: the share of its points at which a "
        "conclusion holds.",
    ),
]
DiscoveryPosteriorOption = Annotated[
    Path | None,
    typer.Option(
        "--posterior",
        metavar="DIR",
        help="A calibration directory (connectsim calibrate): each box's share of its "
        "posterior is reported and drawn.",
    ),
]
DiscoveryOutOption = Annotated[Path | None, _out_option("<name>_discovery")]
DiscoveryOverwriteOption = Annotated[bool, _overwrite_option("another experiment")]

OPTION_NAMES = {
    "arm": "--arm",
    "design": "--design",
    "free": "--free",
    "max_replications": "--max-replications",
    "method": "--method",
    "metrics": "--metric",
    "overrides": "--set",
    "paid": "--paid",
    "params": "--param",
    "points": "--points",
    "precision": "--precision",
    "replications": "--replications",
    "samples": "--samples",
    "seed": "--seed",
    "threshold": "--threshold",
    "vary": "--vary",
}
"""The settings of the Python API, as the CLI's options name them in its messages."""


def usage_error(text: str) -> NoReturn:
    """Refuse contradictory or impossible options: one red line, exit code 2."""
    Console(stderr=True).print(f"[red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def check_executor_options(scheduler: str | None, dask_local: bool, workers: int | None) -> None:
    """Refuse --scheduler with --dask-local or --workers (the cluster's workers do the
    work), and a --scheduler that is not tcp://HOST:PORT or tls://HOST:PORT."""
    if scheduler is not None and (dask_local or workers is not None):
        other = "--dask-local" if dask_local else "--workers"
        usage_error(
            f"--scheduler and {other} exclude each other: with --scheduler "
            "the workers of the existing cluster do the work"
        )
    if scheduler is not None:
        from simulator.experiments.executors import check_scheduler_address  # no engine, no dask

        # a typo is refused now, not after waiting for a scheduler that cannot exist
        try:
            check_scheduler_address(scheduler)
        except ValueError as exc:
            usage_error(f"--scheduler: {exc}")


def executor_for(scheduler: str | None, dask_local: bool, workers: int) -> Executor:
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


def task_workers(workers: int | None, tasks: int) -> int:
    """The workers asked for, else every core; no more than there are tasks."""
    from simulator.experiments.executors import default_workers

    return min(workers or default_workers(), tasks)


def study_workers(workers: int | None, plan: StudyPlan) -> int:
    """The workers asked for, else every core; no more than there are replications,
    unless a precision target may add batches that use them."""
    from simulator.experiments.executors import default_workers

    if plan.precision is not None:
        return workers or default_workers()
    return task_workers(workers, plan.replications * len(plan.scenario.arms))


# ------------------------------------------------------------------ calibrate

TargetsOption = Annotated[
    Path,
    typer.Option(
        "--targets",
        metavar="FILE",
        help="Targets file: published figures with their sources (scenarios/targets/*.yaml).",
    ),
]
CalibrationReplicationsOption = Annotated[int, _replications_option("particle")]
PopulationOption = Annotated[
    int,
    typer.Option("--population", metavar="N", min=10, help="Particles per ABC-SMC generation."),
]
GenerationsOption = Annotated[
    int,
    typer.Option(
        "--generations",
        metavar="N",
        min=2,
        help="Most ABC-SMC generations (it stops sooner when the posterior is reached).",
    ),
]
DrawsOption = Annotated[
    int,
    typer.Option(
        "--draws",
        metavar="N",
        min=2,
        help="Posterior draws run again on fresh seeds for the fit table.",
    ),
]
CalibrationOutOption = Annotated[Path | None, _out_option("<name>_calibration")]
CalibrationOverwriteOption = Annotated[bool, _overwrite_option("another calibration")]

PosteriorOption = Annotated[
    Path | None,
    typer.Option(
        "--posterior",
        metavar="DIR",
        help="Run the comparison over this calibration's posterior draws (see --draws): "
        "its intervals then carry what is not known about the calibrated parameters.",
    ),
]
PosteriorDrawsOption = Annotated[
    int,
    typer.Option(
        "--draws",
        metavar="N",
        min=2,
        help="With --posterior: parameter sets drawn from the posterior, each run "
        "--replications times (default 2).",
    ),
]
