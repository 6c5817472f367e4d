"""A calibration's report: the targets, the posterior, the fit and what stays unknown.

Written into ``DIR/report/`` (``index.html`` and ``calibration.md``) by
``connectsim calibrate`` and ``connectsim report DIR``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.charts.calibration import fit_chart, marginals_chart, pairs_chart
from simulator.experiments.calibration import Calibration, load_calibration, records
from simulator.report.page import (
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

__all__ = ["calibration_blocks", "write_calibration_page", "write_report"]

REPORT_DIR = "report"
MARKDOWN_NAME = "calibration.md"


def _number(value: Any) -> str:
    return f"{float(value):.4g}"


def _sentences(result: Calibration) -> list[str]:
    """What the posterior says, parameter by parameter, and how well the targets are met."""
    lines = []
    for row in records(result.identification):
        median, low, high = (
            _number(row[k]) for k in ("posterior_median", "posterior_low", "posterior_high")
        )
        prior = f"{_number(row['prior_low'])} to {_number(row['prior_high'])}"
        lines.append(
            f"`{row['parameter']}`: {row['verdict']}; posterior median {median}, "
            f"90% interval {low} to {high} (prior {prior}; posterior spread "
            f"{row['sd_ratio_to_prior']:.0%} of the prior's)."
        )
    met = int(result.fit["inside"].sum())
    lines.append(
        f"{met} of {len(result.fit)} targets are met by the posterior predictive "
        "(a figure inside its 90% interval; a bound met by its median)."
    )
    return lines


def calibration_blocks(
    result: Calibration, figures: list[Block], command: str | None, record: dict[str, Any] | None
) -> list[Block]:
    """The report's content."""
    plan = result.plan
    blocks: list[Block] = [
        Heading(1, f"Calibration of {plan.scenario.name} to {len(plan.model.targets)} target(s)"),
        Paragraph(
            "The posterior of each calibrated parameter given the published figures of "
            f"`{plan.targets_path}`, by pyabc's ABC-SMC with each target's uncertainty read as "
            "a measurement error (a standard error; a range as a 95% interval; a bound met "
            "softly). Every figure below rests on the model's other assumptions "
            "(docs/model.md) and on the priors' ranges, which are assumptions too."
        ),
        BulletList(_sentences(result)),
        Heading(2, "Targets"),
        TableBlock(
            ["target", "arm", "metric", "figure", "kind"],
            [[t.name, t.arm, t.metric, t.describe(), t.kind] for t in plan.model.targets],
        ),
        Heading(2, "Fit: the posterior predictive against each target"),
        TableBlock(
            ["target", "arm", "figure", "model median", "90% interval", "inside", "share met"],
            [
                [
                    str(r["target"]),
                    str(r["arm"]),
                    str(r["figure"]),
                    _number(r["predictive_median"]),
                    f"{_number(r['predictive_low'])} to {_number(r['predictive_high'])}",
                    "yes" if r["inside"] else "no",
                    f"{r['share_met']:.0%}",
                ]
                for r in records(result.fit)
            ],
            caption=f"{len(result.predictive)} posterior draws run again on fresh seeds, "
            f"{plan.replications} replication(s) each.",
        ),
        Heading(2, "Identification: which parameters the targets pin down"),
        TableBlock(
            [
                "parameter",
                "prior",
                "posterior median",
                "90% interval",
                "spread vs prior",
                "verdict",
            ],
            [
                [
                    str(r["parameter"]),
                    f"{_number(r['prior_low'])} to {_number(r['prior_high'])}",
                    _number(r["posterior_median"]),
                    f"{_number(r['posterior_low'])} to {_number(r['posterior_high'])}",
                    f"{r['sd_ratio_to_prior']:.0%}",
                    str(r["verdict"]),
                ]
                for r in records(result.identification)
            ],
            caption="Spread: the posterior's standard deviation over a uniform prior's; "
            "below 50% identified, 80% or more unidentified.",
        ),
        *figures,
        Heading(2, "Generations"),
        TableBlock(
            [str(c) for c in result.generations.columns],
            [
                [_number(v) if isinstance(v, float) else str(v) for v in row.values()]
                for row in records(result.generations)
            ],
        ),
        Heading(2, "Using it"),
        Paragraph(
            "`calibrated.yaml` sets each parameter at its posterior median; "
            "`connectsim run SCENARIO --posterior DIR` runs a comparison over the posterior's "
            "draws instead, so that its intervals include what is not known about them."
        ),
    ]
    if command:
        blocks += [Heading(2, "Reproduce"), CodeBlock(command)]
    if record is not None:
        blocks += [Heading(2, "How it was run"), TableBlock(["", ""], run_rows(record))]
    return blocks


def write_calibration_page(
    result: Calibration, directory: str | Path, command: str | None = None
) -> ReportFiles:
    """Write charts, ``index.html`` and ``calibration.md`` into ``directory/report/``."""
    report_dir = Path(directory) / REPORT_DIR
    figures: list[Block] = [
        figure_block(
            marginals_chart(result), report_dir, "marginals", "The posterior of each parameter", 1
        ),
        figure_block(pairs_chart(result), report_dir, "pairs", "The posterior, pair by pair", 2),
        figure_block(
            fit_chart(result), report_dir, "fit", "The calibrated model against each target", 3
        ),
    ]
    record = read_record(result.path)
    if command is None and record is not None:
        command = record.get("command")
    blocks = calibration_blocks(result, figures, command, record)
    return write_page(
        report_dir, blocks, f"Calibration: {result.plan.scenario.name}", MARKDOWN_NAME
    )


def write_report(directory: str | Path, command: str | None = None) -> Path:
    """Read a finished calibration and write its report; return ``calibration.md``'s path."""
    return write_calibration_page(load_calibration(directory), directory, command).markdown
