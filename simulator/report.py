"""The study report: headline differences in plain sentences, tables and charts.

:func:`write_report` turns a :class:`~simulator.study.Study` into
``report.md`` plus the charts (PNG and SVG) in a directory. Every file is
written atomically.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from simulator import charts, stats
from simulator.metrics import HEADLINE_METRICS, METRIC_DESCRIPTIONS
from simulator.results import write_text_atomic
from simulator.study import Study

_FORMATS: dict[str, tuple[str, float, str]] = {
    # metric: (unit suffix, scale, number format)
    "proposals_per_job": ("", 1.0, "{:.2f}"),
    "hires_per_proposal": ("%", 100.0, "{:.2f}"),
    "connects_spend_share_of_income": ("%", 100.0, "{:.2f}"),
    "total_spend_share_of_income": ("%", 100.0, "{:.2f}"),
    "fill_rate": ("%", 100.0, "{:.1f}"),
    "proposals_per_freelancer_month": ("", 1.0, "{:.2f}"),
}


def fmt(metric: str, value: float, signed: bool = False, difference: bool = False) -> str:
    """A metric's value in its display unit (differences of percentages in points)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    unit, scale, pattern = _FORMATS.get(metric, ("", 1.0, "{:.3g}"))
    text = pattern.format(value * scale)
    if signed and value > 0:
        text = "+" + text
    if unit == "%" and difference:
        return f"{text} pp"
    return text + unit


def _sentence_case(text: str) -> str:
    # str.capitalize() would lower-case the rest ("Connects" -> "connects")
    return text[:1].upper() + text[1:]


def headline_sentences(study: Study) -> list[str]:
    """The headline differences, one plain sentence per arm and metric."""
    lv = study.levels()
    diff = study.differences()
    base = study.baseline
    sentences = []
    for arm in study.arms:
        if arm == base:
            continue
        for metric in HEADLINE_METRICS:
            a = stats.row(lv, arm, metric)
            b = stats.row(lv, base, metric)
            d = stats.row(diff, arm, metric)
            verdict = (
                "the interval excludes zero"
                if d["ci_low"] > 0 or d["ci_high"] < 0
                else "the interval includes zero, so no difference is established"
            )
            rel = "" if math.isnan(d["relative"]) else f", {d['relative'] * 100:+.0f}%"
            sentences.append(
                f"{_sentence_case(METRIC_DESCRIPTIONS[metric])}: {fmt(metric, a['mean'])} under "
                f"{study.label(arm)} against {fmt(metric, b['mean'])} under "
                f"{study.label(base)}, a paired difference of "
                f"{fmt(metric, d['mean'], signed=True, difference=True)} (95% CI "
                f"{fmt(metric, d['ci_low'], difference=True)} to "
                f"{fmt(metric, d['ci_high'], difference=True)}{rel}); {verdict}."
            )
    return sentences


def _table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def level_table(study: Study, segment_kind: str, metrics: list[str]) -> pd.DataFrame:
    """Levels as 'mean [low, high]' strings, one row per segment and arm."""
    lv = study.levels()
    part = lv[lv["segment_kind"] == segment_kind]
    rows = []
    for segment in dict.fromkeys(part["segment"].astype(str)):
        for arm in study.arms:
            line: dict[str, str] = {"segment": segment, "arm": study.label(arm)}
            for metric in metrics:
                r = stats.row(lv, arm, metric, segment_kind, segment)
                line[metric] = (
                    f"{fmt(metric, r['mean'])} [{fmt(metric, r['ci_low'])}, "
                    f"{fmt(metric, r['ci_high'])}]"
                )
            rows.append(line)
    return pd.DataFrame(rows)


def write_report(study: Study, out: str | Path, command: str | None = None) -> Path:
    """Write ``report.md`` and the charts into ``out``; return the report's path."""
    out = Path(out)
    chart_paths = charts.save(charts.region_comparison(study), out / "charts" / "region_comparison")
    png = chart_paths[0].relative_to(out)
    sc = study.scenario
    per_region = [
        "proposals_per_freelancer_month",
        "hires_per_proposal",
        "connects_spend_share_of_income",
        "total_spend_share_of_income",
    ]
    overall = [
        "proposals_per_job",
        "hires_per_proposal",
        "connects_spend_share_of_income",
        "fill_rate",
        "proposals_per_freelancer_month",
    ]
    reproduce = command or (
        f"connectsim run <scenario> --replications {study.replications} --seed {study.root_seed}"
    )
    parts = [
        f"# {sc.name}: what the study found",
        "",
        sc.description.strip(),
        "",
        f"{study.replications} replications per arm, root seed {study.root_seed}; "
        f"differences are paired by replication against **{study.label(study.baseline)}**.",
        "",
        "## Headline",
        "",
        *[f"- {s}" for s in headline_sentences(study)],
        "",
        "## By region",
        "",
        f"![Proposal volume, win rate and cost burden by region]({png.as_posix()})",
        "",
        _table(level_table(study, "region", per_region)),
        "",
        "## Overall, by membership and by cohort",
        "",
        _table(level_table(study, "overall", overall)),
        "",
        _table(level_table(study, "membership", per_region)),
        "",
        _table(level_table(study, "cohort", per_region)),
        "",
        "Every metric, segment and arm is in `summary/levels.csv` and "
        "`summary/differences.csv`; every replication in `replications/`.",
        "",
        "## Reproduce",
        "",
        f"    {reproduce}",
        "",
    ]
    path = out / "report.md"
    write_text_atomic(path, "\n".join(parts))
    return path
