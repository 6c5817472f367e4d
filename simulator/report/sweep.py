"""The report of a sweep: the design, the trade-off frontier and the charts, in Markdown.

:func:`write_sweep_report` writes into the sweep directory::

    DIR/report/sweep.md                   design, frontier table, charts, how to reproduce
    DIR/report/charts/<slug>.png, .svg    response curves, heatmap, frontier chart

Every file is written atomically. Each point's own study report can be
written with ``connectsim report DIR/points/<point>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from simulator.charts.study import save
from simulator.charts.sweep import frontier_chart, heatmap, response_curves, short_names
from simulator.experiments.store import write_text_atomic
from simulator.experiments.sweep import OBJECTIVES, Sweep
from simulator.report.study import (
    Block,
    CodeBlock,
    FigureBlock,
    Heading,
    Paragraph,
    TableBlock,
    fmt,
    render_markdown,
)

REPORT_DIR = "report"
"""The report's directory inside a sweep directory."""

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
        return f"{value:g}"
    text = str(value)
    return "-" if text == "<NA>" else text


def _ci(metric: str, record: dict[str, Any], name: str) -> str:
    mean, low, high = (float(record[f"{name}_{part}"]) for part in ("mean", "ci_low", "ci_high"))
    if math.isnan(low):
        return fmt(metric, mean)
    return f"{fmt(metric, mean)} [{fmt(metric, low)}, {fmt(metric, high)}]"


SHORT_LABELS: dict[str, str] = {
    "cost_burden": "cost burden",
    "cost_burden_poorest": "cost burden",
    "proposals_per_job": "proposals per post",
    "fill_rate": "fill rate",
}
"""Terse column names of the frontier's criteria, for a terminal."""


def frontier_table(sweep: Sweep, terse: bool = False) -> TableBlock:
    """The frontier as a table: each policy, its parameters and its criteria with 95% CIs.

    ``terse`` gives short column names (for a terminal).
    """
    names = short_names(sweep.parameters)
    frame = sweep.frontier()
    regions = sorted(set(frame["poorest_region"]))
    poorest = ", ".join(r.replace("_", " ").title() for r in regions) or "-"
    headers = ["points", "arm", *[names[p] for p in sweep.parameters]]
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
    return TableBlock(headers, rows, caption)


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
    arms = ", ".join(f"{sweep.scenario.arms[a].label or a} (`{a}`)" for a in sweep.arms)
    return (
        f"This sweep varies {varied} ({', '.join(names.values())} below) over {design}. "
        f"At every point each arm, {arms}, runs {sweep.replications} replications on the same "
        f"root seed {sweep.root_seed}: replication r of every arm at every point faces the same "
        "freelancers and the same job stream (common random numbers across points and arms)."
    )


def _frontier_sentence(sweep: Sweep) -> str:
    every = sweep.policies()
    on = int(every["on_frontier"].sum())
    criteria = "\n".join(
        f"- {o.label} ({'higher' if o.higher_is_better else 'lower'} is better)" for o in OBJECTIVES
    )
    return (
        f"A policy is an arm at a point; an arm no parameter touches is one policy, "
        f"whatever the point. {on} of the sweep's {len(every)} policies are on the trade-off "
        "frontier: no other policy is at least as good on every criterion and better on one, "
        "comparing means. With few replications the intervals overlap often: a policy off the "
        "frontier may be worse by no more than chance (`summary/levels.csv` has every "
        f"interval). The criteria:\n\n{criteria}"
    )


def sweep_blocks(sweep: Sweep, figures: list[FigureBlock], command: str) -> list[Block]:
    """The report's content, in order."""
    names = short_names(sweep.parameters)
    blocks: list[Block] = [
        Heading(1, f"{sweep.scenario.name}: sweep of {', '.join(names.values())}"),
        Paragraph(_design_sentence(sweep)),
        Heading(2, "The trade-off frontier"),
        Paragraph(_frontier_sentence(sweep)),
        frontier_table(sweep),
        Heading(2, "Charts"),
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
    ]
    return blocks


def _default_command(sweep: Sweep) -> str:
    words = ["connectsim", "sweep", f"<{sweep.scenario.name}.yaml>"]
    words += [f"--vary {axis.text}" for axis in sweep.plan.axes]
    if sweep.plan.design == "lhs":
        words += ["--design lhs", f"--points {len(sweep.plan.points)}"]
    words += [f"--replications {sweep.replications}", f"--seed {sweep.root_seed}"]
    return " ".join(words)


def write_sweep_report(sweep: Sweep, out: str | Path, command: str | None = None) -> Path:
    """Write the charts and ``sweep.md`` into ``out/report/``; return the path of sweep.md.

    ``out`` is the sweep directory; ``command`` is the command that made the
    sweep, shown under "Reproduce".
    """
    report_dir = Path(out) / REPORT_DIR
    figures = []
    for number, chart in enumerate(sweep_charts(sweep), start=1):
        saved = {p.suffix: p for p in save(chart.draw(sweep), report_dir / "charts" / chart.slug)}
        png, svg = saved[".png"], saved[".svg"]
        figures.append(
            FigureBlock(
                chart.slug,
                chart.caption,
                number,
                png.relative_to(report_dir).as_posix(),
                svg.read_bytes(),
            )
        )
    blocks = sweep_blocks(sweep, figures, command or _default_command(sweep))
    target = report_dir / "sweep.md"
    write_text_atomic(target, render_markdown(blocks))
    return target
