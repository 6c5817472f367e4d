"""The report of a sweep: the design, the trade-off frontier and the charts.

:func:`write_sweep_page` (and :func:`write_sweep_report`, which returns the
Markdown's path) writes into the sweep directory::

    DIR/report/index.html                 one self-contained page, like a study's
    DIR/report/sweep.md                   the same content in Markdown
    DIR/report/charts/<slug>.png, .svg    response curves, heatmap, frontier chart, and
                                          break_even when the scenario asks where an
                                          arm breaks even (its sweep.break_even)

The page and the Markdown are rendered from one list of blocks
(:func:`sweep_blocks`) by :mod:`simulator.report.page`. Every file is written
atomically. Each point's own study report can be written with
``connectsim report DIR/points/<point>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from simulator.catalog import METRICS, fmt, metric_label
from simulator.charts.sweep import (
    break_even_chart,
    frontier_chart,
    heatmap,
    response_curves,
    short_names,
)
from simulator.experiments.break_even import break_even, number
from simulator.experiments.frontier import show_number
from simulator.experiments.sweep import OBJECTIVES, Sweep, design_words
from simulator.report.page import (
    REPORT_DIR,
    Block,
    BulletList,
    CodeBlock,
    FigureBlock,
    Heading,
    Paragraph,
    ReportFiles,
    TableBlock,
    figure_block,
    read_record,
    run_rows,
    write_page,
)

MARKDOWN_NAME = "sweep.md"
"""The Markdown's file name in the report directory."""

POINTS_SHOWN_MAX = 60
"""Design points listed in the report; more are left to summary/points.csv."""


@dataclass(frozen=True)
class SweepChart:
    """A chart of the sweep report: its file name, caption and how to draw it."""

    slug: str
    caption: str
    draw: Callable[[Sweep], Figure]


def sweep_charts(sweep: Sweep) -> list[SweepChart]:
    """The charts of a sweep's report, in order."""
    names = short_names(sweep.parameters)
    found: list[SweepChart] = []
    for path in sweep.parameters:

        def draw(s: Sweep, path: str = path) -> Figure:
            return response_curves(s, path)

        slug = "response_" + re.sub(r"[^A-Za-z0-9_]+", "_", names[path]).strip("_")
        found.append(
            SweepChart(slug, f"Headline metrics against {names[path]}, one line per arm", draw)
        )
    if len(sweep.parameters) >= 2:
        first, second = (names[p] for p in sweep.parameters[:2])
        found.append(SweepChart("heatmap", f"Headline metrics over {first} and {second}", heatmap))
    found.append(
        SweepChart(
            "frontier",
            "The trade-off frontier: cost burden, proposals per post and fill rate",
            frontier_chart,
        )
    )
    return found


def _value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return show_number(value)
    text = str(value)
    return "-" if text == "<NA>" else text


def _ci(metric: str, record: dict[str, Any], name: str) -> str:
    mean, low, high = (float(record[f"{name}_{part}"]) for part in ("mean", "ci_low", "ci_high"))
    if math.isnan(low):
        return fmt(metric, mean)
    return f"{fmt(metric, mean)} [{fmt(metric, low)}, {fmt(metric, high)}]"


SHORT_LABELS: dict[str, str] = {o.name: METRICS[o.metric].label for o in OBJECTIVES} | {
    # the table's caption spells out what the cost burden is
    "cost_burden": "cost burden",
    "cost_burden_poorest": "cost burden",
}
"""Terse column names of the frontier's criteria, for a terminal: each metric's label
(:data:`simulator.catalog.METRICS`), the cost burden's shorter still."""


def frontier_table(sweep: Sweep, terse: bool = False) -> TableBlock:
    """The frontier as a table: each policy, its parameters and its criteria with 95% CIs.

    ``terse`` gives short column names (for a terminal).
    """
    names = short_names(sweep.parameters)
    frame = sweep.frontier()
    regions = sorted(set(frame["poorest_region"]))
    poorest = ", ".join(r.replace("_", " ").title() for r in regions) or "-"
    # a terminal wraps a column name only at spaces: a path's underscores and dots
    # would have it cut mid-word ("price_u sd_per_ connect")
    shown = {
        p: names[p].replace("_", " ").replace(".", " ") if terse else names[p]
        for p in sweep.parameters
    }
    headers = ["points", "arm", *[shown[p] for p in sweep.parameters]]
    for o in OBJECTIVES:
        label = SHORT_LABELS.get(o.name, o.name) if terse else o.label
        if o.segment != "overall":
            label += f" ({poorest})"
        better = "higher" if o.higher_is_better else "lower"
        # a terminal's table says once, in its caption, which way is better
        headers.append(label if terse else f"{label} ({better} is better)")
    rows = []
    every = set(sweep.point_ids)
    for raw in frame.to_dict("records"):
        record = {str(k): v for k, v in raw.items()}
        at = str(record["points"]).split()
        # an arm no parameter touches is one policy, found at every point
        where = "every point" if set(at) == every and len(at) > 1 else " ".join(at)
        cells = [where, str(record["arm"])]
        cells += [_value(record[p]) for p in sweep.parameters]
        cells += [_ci(o.metric, record, o.name) for o in OBJECTIVES]
        rows.append(cells)
    caption = (
        "cost burden: Connects and fees, share of regional monthly income; lower is better "
        "except for fill rate"
        if terse
        else "Policies on the trade-off frontier (means, 95% CIs)"
    )
    if folded_note(sweep):
        caption += f". {folded_note(sweep)}"
    return TableBlock(headers, rows, caption)


def policy_count(sweep: Sweep) -> str:
    """``"4 of 5 distinct policies"``: how many are on the frontier, of how many."""
    every = sweep.policies()
    return f"{int(every['on_frontier'].sum())} of {len(every)} distinct policies"


def folded_note(sweep: Sweep) -> str:
    """Which arms at which points are listed as another arm's policy (the sweep set
    their fields to that arm's), or ``""``."""
    folded = sweep.folded()
    if not folded:
        return ""
    said = [f"{arm} at {point} is the policy of {other}" for arm, point, other in folded]
    return f"Listed once: {'; '.join(said)}"


def _design_sentence(sweep: Sweep) -> str:
    plan = sweep.plan
    names = short_names(sweep.parameters)
    varied = ", ".join(f"`{p}`" for p in sweep.parameters)
    if plan.design == "grid":
        design = f"a grid of {len(plan.points)} points (every combination of the levels)"
    else:
        design = (
            f"a Latin hypercube of {len(plan.points)} points, drawn from the root seed's "
            "`SeedSequence`"
        )
    arms = ", ".join(f"{sweep.label(a)} (`{a}`)" for a in sweep.arms)
    return (
        f"This sweep varies {varied} ({', '.join(names.values())} below) over {design}. "
        f"At every point each arm, {arms}, runs {sweep.replications} replications on the same "
        f"root seed {sweep.root_seed}: replication r of every arm at every point faces the same "
        "freelancers and the same job stream (common random numbers across points and arms)."
    )


def _frontier_blocks(sweep: Sweep) -> list[Block]:
    every = sweep.policies()
    on = int(every["on_frontier"].sum())
    criteria = [
        f"{o.label} ({'higher' if o.higher_is_better else 'lower'} is better)" for o in OBJECTIVES
    ]
    return [
        Paragraph(
            f"A policy is an arm at a point; an arm no parameter touches is one policy, "
            f"whatever the point. {on} of the sweep's {len(every)} distinct policies are on the "
            "trade-off frontier: no other policy is at least as good on every criterion and "
            "better on one, comparing means. With few replications the intervals overlap "
            "often: a policy off the frontier may be worse by no more than chance "
            "(`summary/levels.csv` has every interval)."
            + (f" {folded_note(sweep)}." if folded_note(sweep) else "")
            + " The criteria:"
        ),
        BulletList(criteria),
    ]


BREAK_EVEN_SLUG = "break_even"
"""The break-even chart's file name in ``charts/``."""


def break_even_table(sweep: Sweep, table: pd.DataFrame) -> TableBlock:
    """The break-even answer as a table: each group's values, the break-even, its 95%
    interval and what was found (one row per crossing)."""
    question = sweep.plan.break_even
    assert question is not None
    names = short_names(sweep.parameters)
    by = [p for p in sweep.parameters if p != question.along]
    headers = [*(names[p] for p in by), f"break-even {names[question.along]}"]
    headers += ["95% interval", "status"]
    rows = []
    for raw in table.to_dict("records"):
        record = {str(k): v for k, v in raw.items()}
        at = float(record["break_even"])
        cells = [_value(record[p]) for p in by]
        cells += [number(at) if math.isfinite(at) else "-", str(record["interval"])]
        rows.append([*cells, str(record["status"])])
    arm = sweep.label(question.arm)
    caption = (
        f"Where {arm} minus the baseline in {metric_label(question.metric)} crosses zero "
        f"along {names[question.along]}"
    )
    return TableBlock(headers, rows, caption)


def _break_even_blocks(sweep: Sweep, table: pd.DataFrame, figure: FigureBlock) -> list[Block]:
    question = sweep.plan.break_even
    assert question is not None
    names = short_names(sweep.parameters)
    along = names[question.along]
    arm = f"{sweep.label(question.arm)} (`{question.arm}`)"
    base = f"{sweep.label(sweep.baseline)} (`{sweep.baseline}`)"
    levels = sorted({float(v) for v in sweep.points()[question.along]})
    by = [names[p] for p in sweep.parameters if p != question.along]
    each = f"For each {', '.join(by)} the" if by else "The"
    intervals = (
        "the 95% interval is the stretch of values at which the difference's 95% "
        "confidence interval holds zero (where the data cannot tell the two arms apart); "
        'an end written "below" or "above" lies beyond the levels swept and is not '
        "extrapolated"
        if sweep.replications >= 2
        else "there is no interval from 1 replication"
    )
    return [
        Heading(2, "Break-even"),
        Paragraph(
            f"At what {along} does {arm} give the same {metric_label(question.metric)} as "
            f"{base}? {each} table gives the {along} at which the paired difference "
            f"(`{question.arm}` minus `{sweep.baseline}`, `{question.metric}`, all freelancers "
            "and posts) crosses zero, interpolated linearly between the levels swept "
            f"({', '.join(number(v) for v in levels)}); {intervals}. A difference that "
            "changes sign more than once has one row per crossing (the status says so). "
            "Also in `summary/break_even.csv`."
        ),
        break_even_table(sweep, table),
        figure,
    ]


def _run_table(sweep: Sweep, record: dict[str, Any] | None) -> Block:
    if record is None:
        return Paragraph(
            "Package versions, git commit and executor: not recorded (the sweep was not "
            "written to a directory)."
        )
    rows = [
        ["sweep hash", str(record.get("sweep_hash", "n/a"))],
        ["root seed", str(record.get("root_seed", sweep.root_seed))],
        ["replications per point and arm", str(record.get("replications", sweep.replications))],
        *run_rows(record),
    ]
    return TableBlock(["", "from manifest.json"], rows, "How the sweep was run")


def sweep_blocks(
    sweep: Sweep,
    figures: list[FigureBlock],
    command: str,
    record: dict[str, Any] | None = None,
    break_even_figure: FigureBlock | None = None,
) -> list[Block]:
    """The report's content, in order, for both the page and the Markdown.

    ``record`` is the sweep's manifest, shown under "Reproduce" when given;
    ``break_even_figure`` the break-even chart, when the sweep asks where an arm
    breaks even (the section "Break-even" then follows the frontier).
    """
    names = short_names(sweep.parameters)
    blocks: list[Block] = [
        Heading(1, sweep_title(sweep)),
        Paragraph(_design_sentence(sweep), "lede"),
        Heading(2, "The trade-off frontier"),
        *_frontier_blocks(sweep),
        frontier_table(sweep),
    ]
    if sweep.plan.break_even is not None and break_even_figure is not None:
        blocks += _break_even_blocks(sweep, break_even(sweep), break_even_figure)
    elif sweep.plan.break_even_skipped:
        blocks += [
            Heading(2, "Break-even"),
            Paragraph(
                "The scenario's break-even question (`sweep.break_even`) is not answered: "
                f"{sweep.plan.break_even_skipped}."
            ),
        ]
    blocks += [
        Heading(2, "Charts"),
        Paragraph("Each chart is also in `charts/` beside this report, as PNG and SVG."),
        *figures,
        Heading(2, "Design points"),
    ]
    points = sweep.points()
    if len(points) <= POINTS_SHOWN_MAX:
        blocks.append(
            TableBlock(
                ["point", *[names[p] for p in sweep.parameters]],
                [[_value(v) for v in row] for row in points.itertuples(index=False)],
                "Each point's parameters (also in summary/points.csv)",
            )
        )
    else:
        blocks.append(Paragraph(f"{len(points)} points: see `summary/points.csv`."))
    blocks += [
        Heading(2, "Reproduce"),
        CodeBlock(command),
        Paragraph(
            "Running the same command again into the same directory resumes the sweep: "
            "finished (point, arm, replication) tasks are reused. Each point is a study "
            "directory, `points/<point>/`, whose report `connectsim report points/<point>` "
            "writes. Tables: `summary/points.csv`, `summary/levels.csv`, "
            "`summary/differences.csv` and `summary/frontier.csv`, with the parameters as "
            "columns."
        ),
        _run_table(sweep, record),
    ]
    return blocks


def sweep_title(sweep: Sweep) -> str:
    """The report's title (its first heading and the page's title)."""
    names = short_names(sweep.parameters)
    return f"{sweep.scenario.name}: sweep of {', '.join(names.values())}"


def _default_command(sweep: Sweep) -> str:
    words = ["connectsim", "sweep", f"<{sweep.scenario.name}.yaml>", *design_words(sweep.plan)]
    words += ["--replications", str(sweep.replications), "--seed", str(sweep.root_seed)]
    return " ".join(words)


def write_sweep_page(sweep: Sweep, out: str | Path, command: str | None = None) -> ReportFiles:
    """Write the charts, ``index.html`` and ``sweep.md`` into ``out/report/``.

    Parameters
    ----------
    sweep
        A finished sweep.
    out
        The sweep directory.
    command
        The command that made the sweep, shown under "Reproduce"; without it,
        the command the sweep's manifest recorded, or else one rebuilt from
        the design.

    Returns
    -------
    ReportFiles
        The paths of the page and of the Markdown.
    """
    report_dir = Path(out) / REPORT_DIR
    question = sweep.plan.break_even
    first = None
    if question is not None:
        names = short_names(sweep.parameters)
        caption = (
            f"{metric_label(question.metric).capitalize()}, `{question.arm}` minus "
            f"`{sweep.baseline}`, against {names[question.along]}, and where it crosses zero"
        )
        first = figure_block(break_even_chart(sweep), report_dir, BREAK_EVEN_SLUG, caption, 1)
    figures = [
        figure_block(chart.draw(sweep), report_dir, chart.slug, chart.caption, count)
        for count, chart in enumerate(sweep_charts(sweep), start=1 if first is None else 2)
    ]
    record = read_record(sweep.path)
    if command is None and record is not None:
        command = record.get("command")
    blocks = sweep_blocks(sweep, figures, command or _default_command(sweep), record, first)
    return write_page(report_dir, blocks, sweep_title(sweep), MARKDOWN_NAME)


def write_sweep_report(sweep: Sweep, out: str | Path, command: str | None = None) -> Path:
    """Write the sweep's report (see :func:`write_sweep_page`); return the path of sweep.md.

    ``connectsim sweep`` prints the path it returns; ``index.html`` is beside it.
    """
    return write_sweep_page(sweep, out, command).markdown
