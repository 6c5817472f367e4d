"""The report of a sensitivity analysis: index tables as text, and ``report/sensitivity.md``."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

from simulator.catalog import metric_scale, share_text
from simulator.charts.sensitivity import output_label, save_charts
from simulator.experiments.sensitivity import (
    DUMMY,
    MORRIS_LEVELS,
    Method,
    Sensitivity,
    format_number,
)
from simulator.experiments.store import write_text_atomic


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


def _markdown_table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return [line(headings), "|" + "---|" * len(headings), *(line(r) for r in rows)]


_READING = {
    "sobol": (
        "**How to read it.** S1 is the share of the output's variance (over the ranges "
        "given, each parameter uniform) that a parameter explains alone; ST the share it "
        "explains with all its interactions, so ST ≥ S1 up to estimation error, and ST − S1 "
        "measures interactions. A parameter with ST near 0 can be fixed anywhere in its "
        "range. The intervals are SALib's bootstrap 95% intervals. The dummy changes nothing: "
        "its indices show what zero looks like. The noise share is the part of the "
        "variance apportioned that is Monte Carlo noise (see below); indices smaller than it "
        "are not told apart from noise."
    ),
    "morris": (
        "**How to read it.** mu* is the mean absolute elementary effect: the change of the "
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
    "**Noise share.** Each distinct point runs R replications on the study's seeds "
    "(common random numbers: replication r uses the same seeds at every point), and the "
    "indices are computed on the mean over replications. For each output, the within-point "
    "variance is the variance between a point's R replications (ddof 1), averaged over the "
    "design's rows; divided by R it is the variance of a mean of R independent "
    "replications. The noise share is that over the variance of the rows' means (ddof 1); "
    "its 95% interval resamples design rows. With common random numbers the noise of "
    "different points is correlated and disturbs their differences less, so the share is "
    "an upper bound on the noise's part."
)


def write_report(result: Sensitivity, directory: str | Path, command: str | None = None) -> Path:
    """Write charts and ``report/sensitivity.md`` into a sensitivity directory; return the path.

    Parameters
    ----------
    result
        A finished analysis.
    directory
        Its directory (``out``); the report goes to ``directory/report/``.
    command
        The command that reproduces it, shown in the report.
    """
    root = Path(directory) / "report"
    charts = save_charts(result, root / "charts")
    method = "Sobol'" if result.method == "sobol" else "Morris"
    name = result.scenario.name if result.scenario is not None else "model"
    size = (
        f"N = {result.samples} base samples"
        if result.method == "sobol"
        else f"{result.samples} trajectories of {MORRIS_LEVELS} levels"
    )
    lines = [
        f"# {name}: global sensitivity analysis ({method})",
        "",
        f"{size}: {len(result.design.points)} design rows, {result.design.n_points} distinct "
        f"points, {result.replications} replication{'s' if result.replications > 1 else ''} "
        f"a point, root seed {result.root_seed}, executor {result.executor}.",
    ]
    if result.arm is not None:
        paired = (
            f", paired with the baseline {result.baseline!r} at every point"
            if result.baseline is not None
            else ""
        )
        lines.append(f"Arm analysed: {result.arm!r}{paired}.")
    if command:
        lines += ["", "Reproduce it with:", "", "```", command, "```"]
    lines += ["", "## Parameters", "", "Each sampled uniformly over its range.", ""]
    lines += _markdown_table(
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
    lines += ["", _READING[result.method], "", NOISE_TEXT]
    saved = dict(charts)
    seen: list[str] = []
    for output, _ in result.outputs:
        if output in seen:
            continue
        seen.append(output)
        lines += ["", f"## {output_label(result, output)}", ""]
        lines += _markdown_table(*index_table(result, output))
        if output in saved:
            rel = saved[output].relative_to(root)
            lines += ["", f"![{output}]({rel.as_posix()})"]
    lines += [
        "",
        "All indices: `summary/indices.csv`; noise shares: `summary/noise.csv`; the design "
        "(each row's values as run): `summary/design.csv`; each row's mean and variance: "
        "`summary/points.csv`; every run: `summary/runs.parquet`.",
        "",
    ]
    target = root / "sensitivity.md"
    write_text_atomic(target, "\n".join(lines))
    return target
