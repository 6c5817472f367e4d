"""The report of a scenario discovery: one sentence per conclusion, the boxes, the charts.

Written into ``DIR/report/`` (``index.html`` and ``discovery.md``, the charts
in ``charts/``) by ``connectsim discover`` and ``connectsim report DIR``.
:func:`box_rule` and :func:`conclusion_sentence` also give what the CLI prints.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from simulator.catalog import metric_label
from simulator.charts.discovery import box_chart
from simulator.experiments.designs import Parameter, format_number
from simulator.experiments.discovery import (
    Box,
    Conclusion,
    Discovery,
    explored_share,
    load_discovery,
    short_name,
)
from simulator.report.page import (
    REPORT_DIR,
    Block,
    BulletList,
    CodeBlock,
    Heading,
    Paragraph,
    ReportFiles,
    TableBlock,
    figure_block,
    read_record,
    run_rows,
    write_page,
)

__all__ = [
    "box_rule",
    "conclusion_sentence",
    "discovery_blocks",
    "write_discovery_page",
    "write_report",
]

MARKDOWN_NAME = "discovery.md"
"""The Markdown's file name in the report directory."""


def _value(value: float, parameter: Parameter | None) -> str:
    if parameter is not None and parameter.integer:
        return str(round(value))
    return f"{value:.3g}"


def box_rule(box: Box, parameters: tuple[Parameter, ...] | list[Parameter]) -> str:
    """The box as a rule: ``budget.outside_cash_share_median <= 0.011 and
    monthly_grant.basic >= 14`` (a side at the range's bound left out)."""
    by_path = {p.path: p for p in parameters}
    parts = []
    for limit in box.limits:
        p = by_path.get(limit.path)
        name = short_name(limit.path)
        low, high = _value(limit.low, p), _value(limit.high, p)
        at_low = p is not None and limit.low <= p.low
        at_high = p is not None and limit.high >= p.high
        if at_low and not at_high:
            parts.append(f"{name} <= {high}")
        elif at_high and not at_low:
            parts.append(f"{name} >= {low}")
        else:
            parts.append(f"{low} <= {name} <= {high}")
    return " and ".join(parts) if parts else "the whole explored space"


def _share(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.0%}"


def _posterior_clause(result: Discovery, box: Box) -> str:
    if result.plan.posterior is None:
        return ""
    share = box.posterior_share
    if box.status == "box":
        named = ", ".join(short_name(m) for m in box.posterior_missing)
        if not math.isfinite(share):
            return (
                f"; the calibrated posterior says nothing of {named}, the parameters the box "
                "restricts (none was calibrated)"
            )
        text = f"; {share:.0%} of the calibrated posterior lies inside it"
        if box.posterior_missing:
            text += f" (on the calibrated parameters; it says nothing of {named})"
        return text
    if box.status in ("whole space", "everywhere") and math.isfinite(share):
        return f"; {share:.0%} of the calibrated posterior lies in the explored space"
    return ""


def conclusion_sentence(result: Discovery, conclusion: Conclusion) -> str:
    """One sentence: where the conclusion holds, PRIM's box, and the posterior inside it."""
    box = result.box(conclusion.name)
    what = conclusion.sentence
    if conclusion.segment_kind != "overall":
        what += f" ({conclusion.segment})"
    threshold = f"{result.plan.threshold:g}"
    if box.status == "not judged":
        return (
            f"{what}: not judged; {conclusion.metric} is undefined at every point (a run "
            "too short or a segment too small to measure it)."
        )
    if box.status == "everywhere":
        text = f"{what} at every one of the {box.judged} points explored: it needs no box"
    elif box.status == "nowhere":
        text = f"{what} at none of the {box.judged} points explored"
    elif box.status == "no box":
        text = (
            f"{what} in {box.share:.0%} of the explored space, but PRIM finds no box in which "
            f"it holds with density {threshold} or more"
        )
    elif box.status == "whole space":
        text = (
            f"{what} in {box.share:.0%} of the explored space: that is density {threshold} or "
            "more without restricting any parameter, so PRIM needs no box"
        )
    else:
        text = (
            f"{what} in {box.share:.0%} of the explored space; PRIM's box "
            f"{box_rule(box, result.plan.parameters)} holds it with density {box.density:.2f} "
            f"and coverage {box.coverage:.2f} ({box.points} of the {box.judged} points)"
        )
    return text + _posterior_clause(result, box) + "."


def _status_words(box: Box, threshold: float) -> str:
    return {
        "whole space": "none needed: the whole space is dense enough",
        "everywhere": "none needed: it holds everywhere",
        "nowhere": "none: it holds nowhere",
        "no box": f"none with density >= {threshold:g}",
        "not judged": "not judged: undefined everywhere",
    }.get(box.status, box.status)


def _number(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.2f}"


def _box_rows(result: Discovery) -> list[list[str]]:
    rows = []
    plan = result.plan
    for c in result.conclusions:
        box = result.box(c.name)
        rows.append(
            [
                c.name,
                _share(box.share),
                box_rule(box, plan.parameters)
                if box.status == "box"
                else _status_words(box, plan.threshold),
                _number(box.density),
                _number(box.coverage),
                _number(box.mass),
                str(box.points) if box.status in ("box", "whole space") else "n/a",
                _share(box.posterior_share) if plan.posterior is not None else "n/a",
            ]
        )
    return rows


BOX_HEADERS = [
    "conclusion",
    "holds at",
    "box",
    "density",
    "coverage",
    "mass",
    "points in box",
    "posterior inside",
]
"""The boxes table's columns (the report's and the CLI's)."""


def box_table(result: Discovery) -> tuple[list[str], list[list[str]]]:
    """The boxes, one row per conclusion: headers and rows of text."""
    return list(BOX_HEADERS), _box_rows(result)


def _direction(conclusion: Conclusion, difference: str) -> str:
    sign = ">" if conclusion.direction > 0 else "<"
    return f"{difference} {sign} 0"


def discovery_blocks(
    result: Discovery, figures: list[Block], command: str | None, record: dict[str, Any] | None
) -> list[Block]:
    """The report's content."""
    plan = result.plan
    model = plan.model
    blocks: list[Block] = [
        Heading(1, f"Where {model.free} beats {model.paid}: {plan.scenario.name}"),
        Paragraph(
            f"Each headline conclusion compares the arm `{model.free}` with `{model.paid}`. "
            f"It was checked at {plan.sample.n_points} points of a Latin hypercube over "
            f"{len(plan.parameters)} uncertain parameter(s), each point run "
            f"{plan.replications} time(s) for both arms on common random numbers; a conclusion "
            "holds at a point when the mean paired difference there has its sign. PRIM (the "
            "EMA Workbench's patient rule induction) then finds a box of the parameter space "
            "in which it holds at most points.",
            css_class="lede",
        ),
        BulletList([conclusion_sentence(result, c) for c in result.conclusions]),
        Heading(2, "The boxes"),
        TableBlock(
            *box_table(result),
            caption=f"Density: the share of the box's points at which the conclusion holds "
            f"(at least {plan.threshold:g}); coverage: the share of the points at which it "
            "holds that lie in the box; mass: the share of all points in the box.",
        ),
        Heading(2, "The conclusions"),
        TableBlock(
            ["conclusion", "metric", "where", "holds where"],
            [
                [c.name, metric_label(c.metric), c.where, _direction(c, model.difference)]
                for c in result.conclusions
            ],
        ),
        Heading(2, "The explored space"),
        TableBlock(
            ["parameter", "low", "high", "kind"],
            [
                [
                    p.path,
                    format_number(p.low),
                    format_number(p.high),
                    "integer" if p.integer else "real",
                ]
                for p in plan.parameters
            ],
            caption="Every other field is at the scenario's value.",
        ),
    ]
    if plan.posterior is not None:
        share = explored_share(plan.parameters, plan.posterior)
        calibrated = ", ".join(f"`{p}`" for p in plan.posterior.paths)
        blocks.append(
            Paragraph(
                f"The calibrated posterior (`{plan.posterior_dir}`) is of {calibrated}; "
                f"{_share(share)} of its weight lies inside the explored ranges of the "
                "parameters both name. A box's posterior share is the weight of the particles "
                "inside the box's limits on those parameters: the box's parameters the "
                "calibration did not calibrate stay unconstrained in that share."
            )
        )
    blocks += [
        *figures,
        Heading(2, "How to read it"),
        Paragraph(
            "PRIM peels the space a thin slice at a time (5% of the points in the box), each "
            "time the slice whose removal raises the box's density most, and records every box "
            "on the way; the box kept is the one of highest coverage among those with density "
            f"{plan.threshold:g} or more. A high density with a high coverage is a region where "
            "the conclusion holds and outside of which it mostly does not: the conclusion rests "
            "on those parameters being in the box. Each point's verdict comes from "
            f"{plan.replications} replication(s): near the box's edges, where the difference is "
            "close to zero, Monte Carlo noise decides some verdicts, so the edges are "
            "approximate; more replications sharpen them."
        ),
    ]
    if command:
        blocks += [Heading(2, "Reproduce"), CodeBlock(command)]
    if record is not None:
        blocks += [Heading(2, "How it was run"), TableBlock(["", ""], run_rows(record))]
    return blocks


def write_discovery_page(
    result: Discovery, directory: str | Path, command: str | None = None
) -> ReportFiles:
    """Write a chart per conclusion, ``index.html`` and ``discovery.md`` into
    ``directory/report/``."""
    report_dir = Path(directory) / REPORT_DIR
    figures: list[Block] = [
        figure_block(
            box_chart(result, c),
            report_dir,
            f"box_{c.name}",
            f"{c.sentence}: the points, coloured by whether it holds, and PRIM's box",
            number,
        )
        for number, c in enumerate(result.conclusions, start=1)
    ]
    record = read_record(result.path)
    if command is None and record is not None:
        command = record.get("command")
    blocks = discovery_blocks(result, figures, command, record)
    title = f"Scenario discovery: {result.plan.scenario.name}"
    return write_page(report_dir, blocks, title, MARKDOWN_NAME)


def write_report(directory: str | Path, command: str | None = None) -> Path:
    """Read a finished discovery and write its report; return ``discovery.md``'s path."""
    return write_discovery_page(load_discovery(directory), directory, command).markdown
