"""The report of a comparison over a calibration's posterior: each difference with the
interval the posterior gives it, and how much of that comes from the parameters."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from simulator.catalog import fmt, metric_label
from simulator.experiments.calibration import records
from simulator.experiments.posterior_runs import PosteriorComparison
from simulator.report.page import (
    Block,
    BulletList,
    CodeBlock,
    Heading,
    Paragraph,
    ReportFiles,
    TableBlock,
    read_record,
    run_rows,
    write_page,
)

__all__ = ["posterior_sentence", "write_posterior_page"]

MARKDOWN_NAME = "posterior.md"


def posterior_sentence(row: dict[str, Any]) -> str:
    """One difference over the posterior, with where its spread comes from."""
    metric = str(row["metric"])
    if math.isnan(float(row["noise_share"])):
        shares = "its split unknown (the draws do not vary)"
    else:
        shares = (
            f"{row['parameter_share']:.0%} of its variance from the parameters, "
            f"{row['noise_share']:.0%} from Monte Carlo noise"
        )
    low = fmt(metric, row["low"], difference=True)
    high = fmt(metric, row["high"], difference=True)
    return (
        f"{row['arm']} - {row['baseline']}, {metric_label(metric)}: "
        f"{fmt(metric, row['mean'], difference=True)} (95% over the posterior: {low} to "
        f"{high}; {shares})"
    )


def write_posterior_page(
    result: PosteriorComparison, directory: str | Path, command: str | None = None
) -> ReportFiles:
    """Write ``index.html`` and ``posterior.md`` into ``directory/report/``."""
    plan = result.plan
    rows = records(result.differences)
    record = read_record(result.path)
    parameters = ", ".join(f"`{p.describe()}`" for p in plan.posterior.parameters)
    blocks: list[Block] = [
        Heading(1, f"{plan.scenario.name} over a calibrated posterior"),
        Paragraph(
            f"Every arm at {len(plan.draws)} parameter sets drawn from the posterior of "
            f"`{plan.posterior_dir}` ({parameters}), {plan.replications} replications each on "
            "common random numbers. An interval is where the difference lies given the "
            "posterior, Monte Carlo noise included; its variance is split between the "
            "parameters and the noise (one-way analysis of variance over the draws; the "
            "noise share is an upper bound with common random numbers). The rest of the "
            "model's assumptions are held at the scenario's values."
        ),
        BulletList([posterior_sentence(r) for r in rows]),
        TableBlock(
            ["difference", "metric", "mean", "95% over the posterior", "parameters", "noise"],
            [
                [
                    f"{r['arm']} - {r['baseline']}",
                    metric_label(str(r["metric"])),
                    fmt(str(r["metric"]), r["mean"], difference=True),
                    f"{fmt(str(r['metric']), r['low'], difference=True)} to "
                    f"{fmt(str(r['metric']), r['high'], difference=True)}",
                    f"{r['parameter_share']:.0%}",
                    f"{r['noise_share']:.0%}",
                ]
                for r in rows
            ],
        ),
    ]
    if command is None and record is not None:
        command = record.get("command")
    if command:
        blocks += [Heading(2, "Reproduce"), CodeBlock(command)]
    if record is not None:
        blocks += [Heading(2, "How it was run"), TableBlock(["", ""], run_rows(record))]
    return write_page(
        Path(directory) / "report", blocks, f"{plan.scenario.name} over a posterior", MARKDOWN_NAME
    )
