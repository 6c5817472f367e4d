"""The report of any finished experiment directory: a study, a sweep, a sensitivity analysis,
a calibration or a scenario discovery.

:func:`write_any_report` reads what the directory's manifest says it holds,
opens it with the loader of that kind and writes its report into
``DIR/report/``: ``index.html`` and the Markdown (``report.md``, ``sweep.md``,
``sensitivity.md``, ``calibration.md`` or ``discovery.md``) with the charts
beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from simulator.errors import ResultsError
from simulator.experiments.calibration import load_calibration
from simulator.experiments.discovery import load_discovery
from simulator.experiments.sensitivity import load_sensitivity
from simulator.experiments.store import DirectoryLock, ResultsStore
from simulator.experiments.study import load_study
from simulator.experiments.sweep import load_sweep
from simulator.report.calibration import write_calibration_page
from simulator.report.discovery import write_discovery_page
from simulator.report.sensitivity import write_sensitivity_page
from simulator.report.study import write_report
from simulator.report.sweep import write_sweep_page

ExperimentKind = Literal["study", "sweep", "sensitivity", "calibration", "discovery"]
"""What an experiment directory can hold, as its manifest's ``kind`` names it."""

KINDS: tuple[ExperimentKind, ...] = ("study", "sweep", "sensitivity", "calibration", "discovery")
"""Every kind :func:`write_any_report` writes a report for."""


def experiment_kind(directory: str | Path) -> ExperimentKind:
    """What a results directory holds, from its manifest's ``kind``.

    A manifest written before kinds were recorded has none: it is a study's.

    Raises
    ------
    ResultsError
        When the directory has no readable manifest, or its kind is not one
        of :data:`KINDS`.
    """
    root = Path(directory)
    record = ResultsStore(root).read_manifest()
    kind = record.get("kind", "study")
    for known in KINDS:
        if kind == known:
            return known
    raise ResultsError(
        f"{root}: holds a {kind!r}, not a study, a sweep, a sensitivity analysis, a "
        "calibration or a scenario discovery; connectsim cannot write its report"
    )


def write_any_report(
    directory: str | Path, break_even: str | Path | None = None
) -> tuple[ExperimentKind, Path]:
    """Write the report of a finished study, sweep or sensitivity analysis.

    The manifest's ``kind`` says which: the experiment is opened with
    :func:`~simulator.experiments.study.load_study`,
    :func:`~simulator.experiments.sweep.load_sweep` or
    :func:`~simulator.experiments.sensitivity.load_sensitivity`, and its report written
    into ``directory/report/`` (``index.html``, the Markdown, the charts),
    every file atomically. The "Reproduce" section shows the command the
    manifest recorded. The directory is locked while the report is written,
    so that it is not written while a run writes the directory.

    Parameters
    ----------
    directory
        A finished experiment directory (``--out`` of ``connectsim run``,
        ``sweep`` or ``sensitivity``).
    break_even
        For a study: a finished sweep of its scenario that asks a break-even
        question (``make break-even``'s directory); its answer goes into the
        report's "What these results rest on".

    Returns
    -------
    (kind, index)
        What the directory holds (``"study"``, ``"sweep"`` or
        ``"sensitivity"``) and the path of the report's ``index.html``.

    Raises
    ------
    ResultsError
        One line saying why, when the directory is not a results directory
        (no manifest), holds an unknown kind, is not finished, or a file the
        experiment needs is missing or damaged. Nothing is written then.
    """
    root = Path(directory)
    kind = experiment_kind(root)
    if break_even is not None and kind != "study":
        raise ResultsError(f"{root}: holds a {kind}; a break-even sweep goes into a study's report")
    sweep = None
    if break_even is not None:
        if experiment_kind(break_even) != "sweep":
            raise ResultsError(f"{break_even}: not a sweep directory (--break-even)")
        sweep = load_sweep(break_even)
    # each loader refuses an unfinished experiment, and files its manifest does not vouch
    # for, before anything is written
    if kind == "study":
        study = load_study(root)
        with DirectoryLock(root):
            return kind, write_report(study, root, break_even=sweep)
    if kind == "calibration":
        calibrated = load_calibration(root)
        with DirectoryLock(root):
            return kind, write_calibration_page(calibrated, root).index
    if kind == "discovery":
        discovered = load_discovery(root)
        with DirectoryLock(root):
            return kind, write_discovery_page(discovered, root).index
    if kind == "sweep":
        swept = load_sweep(root)
        with DirectoryLock(root):
            return kind, write_sweep_page(swept, root).index
    analysis = load_sensitivity(root)
    with DirectoryLock(root):
        return kind, write_sensitivity_page(analysis, root).index
