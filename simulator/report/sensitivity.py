"""The report of a sensitivity analysis: index tables as text, and its page.

:func:`write_sensitivity_page` (and :func:`write_report`, which returns the
Markdown's path) writes into the analysis' directory::

    DIR/report/index.html                 one self-contained page, like a study's
    DIR/report/sensitivity.md             the same content in Markdown
    DIR/report/charts/indices_<output>.*  each output's indices, PNG and SVG

The page and the Markdown are rendered from one list of blocks
(:func:`sensitivity_blocks`) by :mod:`simulator.report.page`. Every file is
written atomically. :func:`index_table` also gives the tables the CLI prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator.catalog import metric_scale, share_text
from simulator.charts.sensitivity import index_chart, output_label, slug
from simulator.experiments.sensitivity import (
    DUMMY,
    MORRIS_LEVELS,
    SENSITIVITY_METRICS,
    Method,
    Sensitivity,
    format_number,
)
from simulator.report.page import (
    REPORT_DIR,
    Block,
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

MARKDOWN_NAME = "sensitivity.md"
"""The Markdown's file name in the report directory."""


def _interval(
    value: float,
    low: float,
    high: float,
    text: Callable[[float], str],
    sep: str = " ",
    unit: str = "",
) -> str:
    if not math.isfinite(value):
        return "n/a"
    if not (math.isfinite(low) and math.isfinite(high)):
        return text(value) + unit
    # the unit once, after the value: the interval's bounds share it
    return f"{text(value)}{unit}{sep}[{text(low)}, {text(high)}]"


INDEX_COLUMNS: dict[Method, tuple[tuple[str, str], ...]] = {
    "sobol": (("S1", "S1 [95% CI]"), ("ST", "ST [95% CI]")),
    "morris": (("mu_star", "mu* [95% CI]"), ("sigma", "sigma"), ("mu", "mu")),
}
"""The indices of each method, with their column headings."""


def index_table(
    result: Sensitivity, output: str, sep: str = " "
) -> tuple[list[str], list[list[str]]]:
    """One output's indices as text: headings and rows (metric, parameter, indices, noise).

    The noise share (with its 95% interval) is on the first row of each metric;
    ``sep`` goes between a value and its interval (``"\\n"`` for narrow tables).
    """
    headings = ["metric", "parameter"] + [h for _, h in INDEX_COLUMNS[result.method]]
    headings.append("noise share [95% CI]")
    rows: list[list[str]] = []
    ind = result.indices[result.indices["output"] == output]
    for metric in [m for o, m in result.outputs if o == output]:
        scale, unit = (1.0, "") if result.method == "sobol" else metric_scale(metric)

        def text(v: float, scale: float = scale) -> str:
            return f"{v:.3f}" if result.method == "sobol" else f"{v * scale:.3g}"

        noise = result.noise[
            (result.noise["output"] == output) & (result.noise["metric"] == metric)
        ]
        n = noise.iloc[0]
        share = _interval(
            float(n["noise_share"]),
            float(n["noise_share_ci_low"]),
            float(n["noise_share_ci_high"]),
            share_text,
            sep,
        )
        if n["note"]:
            share += f"{sep}({n['note']})"
        for j, name in enumerate(result.names):
            cells = [
                metric if j == 0 else "",
                DUMMY_TEXT.replace(" ", sep, 1) if name == DUMMY else name,
            ]
            for index, _ in INDEX_COLUMNS[result.method]:
                hit = ind[(ind["metric"] == metric) & (ind["parameter"] == name)]
                hit = hit[hit["index"] == index]
                if hit.empty:
                    cells.append("n/a")
                    continue
                r = hit.iloc[0]
                cells.append(
                    _interval(
                        float(r["value"]), float(r["ci_low"]), float(r["ci_high"]), text, sep, unit
                    )
                )
            cells.append(share if j == 0 else "")
            rows.append(cells)
    return headings, rows


DUMMY_TEXT = "dummy (changes nothing)"


_READING = {
    "sobol": (
        "S1 is the share of the output's variance (over the ranges "
        "given, each parameter uniform) that a parameter explains alone; ST the share it "
        "explains with all its interactions, so ST ≥ S1 up to estimation error, and ST − S1 "
        "measures interactions. A parameter with ST near 0 can be fixed anywhere in its "
        "range. The intervals are SALib's bootstrap 95% intervals. The dummy changes nothing: "
        "its indices show what zero looks like. The noise share is the part of the "
        "variance apportioned that is Monte Carlo noise (see below); indices smaller than it "
        "are not told apart from noise."
    ),
    "morris": (
        "mu* is the mean absolute elementary effect: the change of the "
        "output when one parameter moves by a step, divided by the step as a fraction of its "
        "range, so in the output's units per whole range (shares in percentage points). It "
        "ranks parameters by influence; sigma, the spread of the effects, is large for a "
        "parameter whose effect depends on where the others are (non-linearity or "
        "interactions); mu, their signed mean, gives the direction (mu near mu* in size: "
        "one direction everywhere). The intervals are SALib's bootstrap 95% intervals of "
        "mu*. The dummy changes nothing: its effects show what zero looks like."
    ),
}

NOISE_TEXT = (
    "Each distinct point runs R replications on the study's seeds "
    "(common random numbers: replication r uses the same seeds at every point), and the "
    "indices are computed on the mean over replications. For each output, the within-point "
    "variance is the variance between a point's R replications (ddof 1), averaged over the "
    "design's rows; divided by R it is the variance of a mean of R independent "
    "replications. The noise share is that over the variance of the rows' means (ddof 1); "
    "its 95% interval resamples design rows. With common random numbers the noise of "
    "different points is correlated and disturbs their differences less, so the share is "
    "an upper bound on the noise's part."
)


def sensitivity_title(result: Sensitivity) -> str:
    """The report's title (its first heading and the page's title)."""
    method = "Sobol'" if result.method == "sobol" else "Morris"
    name = result.scenario.name if result.scenario is not None else "model"
    return f"{name}: global sensitivity analysis ({method})"


def _opening(result: Sensitivity) -> str:
    size = (
        f"N = {result.samples} base samples"
        if result.method == "sobol"
        else f"{result.samples} trajectories of {MORRIS_LEVELS} levels"
    )
    text = (
        f"{size}: {len(result.design.points)} design rows, {result.design.n_points} distinct "
        f"points, {result.replications} replication{'s' if result.replications > 1 else ''} "
        f"a point, root seed {result.root_seed}, executor {result.executor}."
    )
    if result.arm is not None:
        paired = (
            f", paired with the baseline {result.baseline!r} at every point"
            if result.baseline is not None
            else ""
        )
        text += f" Arm analysed: {result.arm!r}{paired}."
    return text


def _run_table(result: Sensitivity, record: dict[str, Any] | None) -> Block:
    if record is None:
        return Paragraph(
            "Package versions, git commit and executor: not recorded (the analysis was not "
            "written to a directory)."
        )
    rows = [
        ["design hash", str(record.get("design_hash", "n/a"))],
        ["root seed", str(record.get("root_seed", result.root_seed))],
        ["replications per point", str(record.get("replications", result.replications))],
        *run_rows(record),
    ]
    return TableBlock(["", "from manifest.json"], rows, "How the analysis was run")


def sensitivity_blocks(
    result: Sensitivity,
    figures: dict[str, FigureBlock],
    command: str | None,
    record: dict[str, Any] | None = None,
) -> list[Block]:
    """The report's content, in order, for both the page and the Markdown.

    Parameters
    ----------
    result
        A finished analysis.
    figures
        Each output's chart, by output.
    command
        The command that reproduces it; without it, one rebuilt from the analysis.
    record
        The analysis' manifest, shown under "Reproduce" when given.
    """
    parameters = TableBlock(
        ["parameter", "low", "high", "kind"],
        [
            [
                p.path,
                format_number(p.low),
                format_number(p.high),
                "integer" if p.integer else "real",
            ]
            for p in result.parameters
        ]
        + [[DUMMY_TEXT, "0", "1", "not applied"]],
    )
    blocks: list[Block] = [
        Heading(1, sensitivity_title(result)),
        Paragraph(_opening(result), "lede"),
        Heading(2, "Parameters"),
        Paragraph("Each sampled uniformly over its range."),
        parameters,
        Heading(3, "How to read it"),
        Paragraph(_READING[result.method]),
        Heading(3, "Noise share"),
        Paragraph(NOISE_TEXT),
    ]
    for output in dict.fromkeys(o for o, _ in result.outputs):
        blocks += [
            Heading(2, output_label(result, output)),
            TableBlock(*index_table(result, output), grouped=True),
        ]
        if output in figures:
            blocks.append(figures[output])
    blocks += [
        Heading(2, "Files"),
        Paragraph(
            "All indices: `summary/indices.csv`; noise shares: `summary/noise.csv`; the design "
            "(each row's values as run): `summary/design.csv`; each row's mean and variance: "
            "`summary/points.csv`; every run: `summary/runs.parquet`. Each chart is also in "
            "`charts/` beside this report, as PNG and SVG."
        ),
        Heading(2, "Reproduce"),
    ]
    blocks += [
        CodeBlock(command or _default_command(result)),
        Paragraph(
            "Running the same command again into the same directory resumes the "
            "analysis: finished (point, replication) runs are reused."
        ),
        _run_table(result, record),
    ]
    return blocks


def _default_command(result: Sensitivity) -> str:
    """A command that runs the analysis again, when none was recorded (one run from Python)."""
    name = result.scenario.name if result.scenario is not None else "model"
    words = ["connectsim", "sensitivity", f"<{name}.yaml>"]
    words += [f"--param {p.describe()}" for p in result.parameters]
    words += [f"--method {result.method}", f"--samples {result.samples}"]
    words += [f"--replications {result.replications}", f"--seed {result.root_seed}"]
    if result.arm is not None:
        words.append(f"--arm {result.arm}")
        baseline = result.scenario.baseline if result.scenario is not None else None
        if result.baseline is None and result.arm != baseline:
            words.append("--arm-only")
    metrics = list(dict.fromkeys(m for _, m in result.outputs))
    if tuple(metrics) != SENSITIVITY_METRICS:
        words += [f"--metric {m}" for m in metrics]
    return " ".join(words)


def write_sensitivity_page(
    result: Sensitivity, directory: str | Path, command: str | None = None
) -> ReportFiles:
    """Write charts, ``index.html`` and ``sensitivity.md`` into ``directory/report/``.

    Parameters
    ----------
    result
        A finished analysis.
    directory
        Its directory (``out``).
    command
        The command that reproduces it, shown in the report; without it, the
        command its manifest recorded, if any.

    Returns
    -------
    ReportFiles
        The paths of the page and of the Markdown.
    """
    report_dir = Path(directory) / REPORT_DIR
    figures: dict[str, FigureBlock] = {}
    for number, output in enumerate(dict.fromkeys(o for o, _ in result.outputs), start=1):
        caption = f"What drives {output_label(result, output)}: each parameter's indices"
        figures[output] = figure_block(
            index_chart(result, output), report_dir, slug(output), caption, number
        )
    record = read_record(result.path)
    if command is None and record is not None:
        command = record.get("command")
    blocks = sensitivity_blocks(result, figures, command, record)
    return write_page(report_dir, blocks, sensitivity_title(result), MARKDOWN_NAME)


def write_report(result: Sensitivity, directory: str | Path, command: str | None = None) -> Path:
    """Write the analysis' report (see :func:`write_sensitivity_page`); return the path of
    ``report/sensitivity.md``.

    ``connectsim sensitivity`` prints the path it returns; ``index.html`` is beside it.
    """
    return write_sensitivity_page(result, directory, command).markdown
