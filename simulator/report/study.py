"""The study report: headline differences in plain sentences, tables and charts.

:func:`write_report` turns a :class:`~simulator.experiments.study.Study` into a report
directory, ``DIR/report/``::

    index.html              one self-contained page (charts, styles inline; opens offline)
    report.md               the same content in Markdown
    charts/<slug>.png, .svg every chart of :data:`simulator.charts.study.CHARTS`
    scenario.yaml           the resolved scenario, to rerun the study from

The page and the Markdown are rendered from one list of blocks
(:func:`report_blocks`), so they say the same thing. Every file is written
atomically.
"""

from __future__ import annotations

import base64
import html
import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import pandas as pd
import yaml

from simulator import charts
from simulator.catalog import HEADLINE_METRICS, METRIC_DESCRIPTIONS
from simulator.errors import ResultsError
from simulator.experiments import stats
from simulator.experiments.store import ResultsStore, write_text_atomic
from simulator.experiments.study import Study

REPORT_DIR = "report"
"""The report's directory inside a study directory."""

_FORMATS: dict[str, tuple[str, float, str]] = {
    # metric: (unit suffix, scale, number format)
    "proposals_per_job": ("", 1.0, "{:.2f}"),
    "hires_per_proposal": ("%", 100.0, "{:.2f}"),
    "connects_spend_share_of_income": ("%", 100.0, "{:.2f}"),
    "total_spend_share_of_income": ("%", 100.0, "{:.2f}"),
    "fill_rate": ("%", 100.0, "{:.1f}"),
    "proposals_per_freelancer_month": ("", 1.0, "{:.2f}"),
    "boost_bids_per_freelancer_month": ("", 1.0, "{:.2f}"),
    "boost_connects_per_freelancer_month": ("", 1.0, "{:.2f}"),
    "boosted_share_of_proposals": ("%", 100.0, "{:.2f}"),
    "boost_outbid_share": ("%", 100.0, "{:.1f}"),
    "hires_per_boosted_proposal": ("%", 100.0, "{:.2f}"),
    "hires_per_unboosted_proposal": ("%", 100.0, "{:.2f}"),
}

METRIC_LABELS: dict[str, str] = {
    "proposals_per_job": "proposals per post",
    "hires_per_proposal": "hires per proposal",
    "connects_spend_share_of_income": "Connects spend, share of income",
    "total_spend_share_of_income": "Connects and fees, share of income",
    "fill_rate": "fill rate",
    "proposals_per_freelancer_month": "proposals per freelancer-month",
    "boost_bids_per_freelancer_month": "boost bids per freelancer-month",
    "boost_connects_per_freelancer_month": "boost Connects per freelancer-month",
    "boosted_share_of_proposals": "boosted share of proposals",
    "boost_outbid_share": "boost bids outbid",
    "hires_per_boosted_proposal": "hires per boosted proposal",
    "hires_per_unboosted_proposal": "hires per unboosted proposal",
}
"""Short names of the report's metrics (the glossary at the end gives their meaning)."""

OVERALL_METRICS: tuple[str, ...] = (
    "proposals_per_job",
    "hires_per_proposal",
    "connects_spend_share_of_income",
    "total_spend_share_of_income",
    "fill_rate",
    "proposals_per_freelancer_month",
)
"""Metrics of the report's overall tables (the headline metrics first)."""

SEGMENT_METRICS: tuple[str, ...] = (
    "proposals_per_freelancer_month",
    "hires_per_proposal",
    "connects_spend_share_of_income",
    "total_spend_share_of_income",
)
"""Metrics of the report's tables by region, membership and cohort."""

BOOST_METRICS: tuple[str, ...] = (
    "boost_bids_per_freelancer_month",
    "boost_connects_per_freelancer_month",
    "boosted_share_of_proposals",
    "boost_outbid_share",
    "hires_per_boosted_proposal",
    "hires_per_unboosted_proposal",
)
"""Metrics of the report's table of boosted proposals, shown when some arm boosts."""

_SEGMENTS: tuple[tuple[str, str], ...] = (
    ("region", "By region"),
    ("membership", "By membership"),
    ("cohort", "By cohort (established or new freelancers)"),
)


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


def _interval_cell(
    frame: pd.DataFrame,
    arm: str,
    metric: str,
    segment_kind: str,
    segment: str,
    difference: bool = False,
) -> str:
    try:
        r = stats.row(frame, arm, metric, segment_kind, segment)
    except KeyError:
        return "n/a"
    low = fmt(metric, r["ci_low"], difference=difference)
    high = fmt(metric, r["ci_high"], difference=difference)
    return f"{fmt(metric, r['mean'], signed=difference, difference=difference)} [{low}, {high}]"


def _segments(study: Study, segment_kind: str) -> list[str]:
    lv = study.levels()
    return list(dict.fromkeys(lv.loc[lv["segment_kind"] == segment_kind, "segment"].astype(str)))


def _any_boosts(study: Study) -> bool:
    """Whether freelancers placed boost bids in some arm of the study."""
    lv = study.levels()
    bids = lv[(lv["segment_kind"] == "overall") & (lv["metric"] == BOOST_METRICS[0])]
    return bool((bids["mean"] > 0).any())


def metric_label(metric: str) -> str:
    """A metric's short name for table headers and rows."""
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def comparison_table(study: Study, segment_kind: str, metrics: list[str]) -> pd.DataFrame:
    """One row per metric and segment: each arm's level, then each other arm's paired
    difference from the baseline, as 'mean [low, high]' strings."""
    lv = study.levels()
    diff = study.differences()
    base = study.baseline
    others = [arm for arm in study.arms if arm != base]
    columns = ["metric", segment_kind]
    columns += [study.label(arm) for arm in study.arms]
    columns += [f"{study.label(arm)} − {study.label(base)}" for arm in others]
    rows = []
    for metric in metrics:
        for i, segment in enumerate(_segments(study, segment_kind)):
            # the metric is named on the first row of its group only
            cells = [metric_label(metric) if i == 0 else "", segment.replace("_", " ")]
            cells += [_interval_cell(lv, arm, metric, segment_kind, segment) for arm in study.arms]
            cells += [
                _interval_cell(diff, arm, metric, segment_kind, segment, difference=True)
                for arm in others
            ]
            rows.append(cells)
    frame = pd.DataFrame(rows, columns=columns)
    return frame.drop(columns=segment_kind) if segment_kind == "overall" else frame


# ---------------------------------------------------------------- the blocks
@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """Plain text; `backticks` mark code."""

    text: str
    css_class: str = ""


@dataclass(frozen=True)
class TableBlock:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    grouped: bool = False
    """Rows come in groups, each named in its first cell on its first row only."""


@dataclass(frozen=True)
class FigureBlock:
    slug: str
    caption: str
    number: int
    png: str
    """The PNG's path, relative to the report directory (Markdown shows it)."""
    svg: bytes
    """The SVG itself (the page embeds it)."""


@dataclass(frozen=True)
class CodeBlock:
    text: str


@dataclass(frozen=True)
class Details:
    """Collapsed on the page (``<details>``), a titled part in Markdown."""

    summary: str
    blocks: list[Block] = field(default_factory=list)
    markdown_note: str = ""
    """If set, Markdown shows this line instead of the blocks."""


Block = Heading | Paragraph | TableBlock | FigureBlock | CodeBlock | Details


def _frame_table(frame: pd.DataFrame, caption: str = "", grouped: bool = False) -> TableBlock:
    return TableBlock(
        [str(c) for c in frame.columns],
        [[str(v) for v in row] for row in frame.itertuples(index=False)],
        caption,
        grouped,
    )


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) if value else "(empty)"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _opening(study: Study) -> str:
    sc = study.scenario
    # labels are names of policies, often with figures in them: quoted, they read as names
    base = f"“{study.label(study.baseline)}”"
    others = [f"“{study.label(a)}”" for a in study.arms if a != study.baseline]
    description = " ".join(sc.description.split())
    if not others:
        return (
            f"This study runs one credit policy, {base}, for {study.replications} "
            f"replications (root seed {study.root_seed}); with no second arm there is "
            f"no difference to report. {description}".strip()
        )
    verb = "does" if len(others) == 1 else "do"
    question = f"The question: how {verb} {_and(others)} compare with {base}?"
    answer = (
        f"The answer, from {study.replications} replications per arm on common random "
        f"numbers (root seed {study.root_seed}), each difference paired by replication: "
        + " ".join(headline_sentences(study))
    )
    return " ".join(part for part in (question, description, answer) if part)


def _scenario_blocks(study: Study) -> list[Block]:
    sc = study.scenario
    world = sc.world
    regions = TableBlock(
        [
            "region",
            "share of freelancers",
            "monthly income (USD)",
            "typical rate (USD/h)",
            "Plus members",
            "Connect price multiplier",
        ],
        [
            [
                name.replace("_", " "),
                f"{r.share * 100:.4g}%",
                f"{r.monthly_income_usd:,.0f}",
                f"{r.typical_rate_usd_per_hour:g}",
                f"{r.plus_share * 100:.4g}%",
                f"{r.connect_price_multiplier:g}",
            ]
            for name, r in world.regions.items()
        ],
        "Regions",
    )
    fees = ", ".join(
        f"{name} ${m.fee_usd_per_month:g} a month" for name, m in world.memberships.items()
    )
    settings = (
        f"{world.population.freelancers:,} freelancers in {world.population.categories} "
        f"categories, {world.jobs.jobs_per_day:g} job posts a day "
        f"({world.jobs.ghost_share * 100:.4g}% of them ghost posts); memberships: {fees}. "
        f"Each replication simulates a {sc.run.warmup_days:g}-day warm-up, then records "
        f"{sc.run.horizon_days:g} days. Every field, defaults included, is in "
        "`scenario.yaml` beside this report."
    )
    arms = study.arms
    flat = {arm: _flatten(sc.arms[arm].model_dump(mode="json")) for arm in arms}
    keys = list(dict.fromkeys(k for arm in arms for k in flat[arm] if k != "label"))
    headers = ["policy field", *[f"{study.label(a)} ({a})" for a in arms]]
    differ: list[list[str]] = []
    same: list[list[str]] = []
    for key in keys:
        values = [_show(flat[arm].get(key)) for arm in arms]
        (differ if len(set(values)) > 1 else same).append([key, *values])
    policy_blocks: list[Block] = []
    if len(arms) > 1:
        policy_blocks.append(
            Paragraph(
                f"The {len(arms)} arms' credit policies, side by side: the fields where they "
                "differ, then the fields they share."
            )
        )
        policy_blocks.append(TableBlock(headers, differ, "Where the policies differ"))
        policy_blocks.append(
            Details(
                f"Fields the policies share ({len(same)})",
                [TableBlock(["policy field", "value"], [[k, v[0]] for k, *v in same])],
            )
        )
    else:
        policy_blocks.append(TableBlock(headers, differ + same, "The credit policy"))
    return [
        Heading(2, "The scenario"),
        Heading(3, "The world"),
        Paragraph(settings),
        regions,
        Heading(3, "The arms"),
        *policy_blocks,
    ]


def _table_blocks(study: Study) -> list[Block]:
    base = study.label(study.baseline)
    n_others = len(study.arms) - 1
    differences = (
        ""
        if n_others == 0
        else ("The last column gives" if n_others == 1 else f"The last {n_others} columns give")
        + f" the paired difference from {base}, replication by replication (shares differ "
        "in percentage points, pp). "
    )
    blocks: list[Block] = [
        Heading(2, "Tables"),
        Paragraph(
            "Each cell is a mean over replications with its 95% confidence interval in "
            "brackets. "
            + differences
            + "Every metric, segment and arm is in `summary/levels.csv` and "
            "`summary/differences.csv` of the study directory; every replication in "
            "`replications/`."
        ),
        Heading(3, "Overall"),
        _frame_table(comparison_table(study, "overall", list(OVERALL_METRICS))),
    ]
    for kind, title in _SEGMENTS:
        if _segments(study, kind):
            blocks += [
                Heading(3, title),
                _frame_table(comparison_table(study, kind, list(SEGMENT_METRICS)), grouped=True),
            ]
    used = list(dict.fromkeys([*OVERALL_METRICS, *SEGMENT_METRICS]))
    if _any_boosts(study):
        blocks += [
            Heading(3, "Boosted proposals"),
            _frame_table(comparison_table(study, "overall", list(BOOST_METRICS))),
        ]
        used += list(BOOST_METRICS)
    blocks.append(
        TableBlock(
            ["metric", "name in summary/*.csv", "meaning"],
            [[metric_label(m), m, METRIC_DESCRIPTIONS.get(m, "")] for m in used],
            "The metrics",
        )
    )
    return blocks


def _manifest(study: Study) -> dict[str, Any] | None:
    if study.path is None:
        return None
    try:
        return ResultsStore(study.path).read_manifest()
    except ResultsError:
        return None


def _reproduce_blocks(study: Study, command: str) -> list[Block]:
    record = _manifest(study)
    blocks: list[Block] = [
        Heading(2, "Reproduce"),
        CodeBlock(command),
        Paragraph(
            f"Root seed {study.root_seed}: replication r of every arm is seeded "
            f"`SeedSequence({study.root_seed}, spawn_key=(r,))`, so the same command gives "
            "the same numbers with any number of workers. `scenario.yaml` beside this report "
            "is the resolved scenario (overrides applied, every default written out): "
            f"`connectsim run scenario.yaml --replications {study.replications} "
            f"--seed {study.root_seed}` reruns the study from it alone."
        ),
    ]
    if record is None:
        blocks.append(
            Paragraph(
                "Package versions, git commit and executor: not recorded (the study was not "
                "written to a directory)."
            )
        )
    else:
        commit = record.get("git_commit") or "not recorded (not run from a git checkout)"
        rows = [
            ["scenario hash", str(record.get("scenario_hash", "n/a"))],
            ["root seed", str(record.get("root_seed", study.root_seed))],
            ["replications per arm", str(record.get("replications", study.replications))],
            ["executor", str(record.get("executor", "n/a"))],
            ["git commit", str(commit)],
            ["started", str(record.get("started") or "n/a")],
            ["finished", str(record.get("finished") or "not finished")],
        ]
        versions = record.get("versions") or {}
        rows += [[f"version of {name}", str(v)] for name, v in versions.items()]
        blocks.append(TableBlock(["", "from manifest.json"], rows, "How the study was run"))
    blocks.append(
        Details(
            "scenario.yaml",
            [CodeBlock(_scenario_yaml(study))],
            markdown_note="the file beside this report.",
        ),
    )
    return blocks


def _scenario_yaml(study: Study) -> str:
    data = study.scenario.model_dump(mode="json")
    return (
        f"# The resolved scenario of a study (root seed {study.root_seed}), written by\n"
        "# connectsim's report; run it with connectsim run scenario.yaml\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    )


def _default_command(study: Study, report_dir: Path) -> str:
    words = ["connectsim", "run", str(report_dir / "scenario.yaml")]
    words += ["--replications", str(study.replications), "--seed", str(study.root_seed)]
    if study.path is not None:
        words += ["--out", str(study.path)]
    return " ".join(shlex.quote(w) for w in words)


def report_blocks(study: Study, figures: list[FigureBlock], command: str) -> list[Block]:
    """The report's content, in order, for both the page and the Markdown."""
    sc = study.scenario
    blocks: list[Block] = [
        Heading(1, f"{sc.name}: what the study found"),
        Paragraph(_opening(study), "lede"),
        *_scenario_blocks(study),
        Heading(2, "Charts"),
        Paragraph("Each chart is also in `charts/` beside this report, as PNG and SVG."),
        *figures,
        *_table_blocks(study),
        *_reproduce_blocks(study, command),
    ]
    return blocks


# ---------------------------------------------------------------- Markdown
def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(table: TableBlock) -> str:
    lines = []
    if table.caption:
        lines += [f"**{table.caption}**", ""]
    lines.append("| " + " | ".join(_md_cell(h) for h in table.headers) + " |")
    lines.append("|" + "---|" * len(table.headers))
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def render_markdown(blocks: list[Block]) -> str:
    """The blocks as Markdown."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append("#" * block.level + " " + block.text)
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, TableBlock):
            parts.append(_md_table(block))
        elif isinstance(block, FigureBlock):
            parts.append(
                f"![{block.caption}]({block.png})\n\n*Figure {block.number}. {block.caption}*"
            )
        elif isinstance(block, CodeBlock):
            parts.append("\n".join("    " + line for line in block.text.splitlines()))
        elif block.markdown_note:
            parts.append(f"**{block.summary}**: {block.markdown_note}")
        else:
            parts.append(f"**{block.summary}**")
            parts.append(render_markdown(block.blocks).rstrip("\n"))
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------- HTML
def _inline(text: str) -> str:
    """Escape text; `backticks` become <code>."""
    pieces = re.split(r"`([^`]*)`", text)
    return "".join(
        f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(pieces)
    )


_NUMBER = re.compile(r"^(?:[+\-]?\$?\d|n/a$)")
_INTERVAL = re.compile(r"^(.*\S) (\[[^\]]*\])$")


def _html_cell(text: str) -> str:
    if not _NUMBER.match(text):
        return f"<td>{html.escape(text)}</td>"
    interval = _INTERVAL.match(text)
    if interval is None:
        return f'<td class="num">{html.escape(text)}</td>'
    mean, bounds = interval.groups()
    return (
        f'<td class="num">{html.escape(mean)}<br><span class="ci">{html.escape(bounds)}</span></td>'
    )


def _html_table(table: TableBlock) -> str:
    caption = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in table.headers)
    body = "\n".join(
        ('<tr class="group">' if table.grouped and i > 0 and row[0] else "<tr>")
        + "".join(
            f'<th scope="row">{html.escape(c)}</th>' if j == 0 else _html_cell(c)
            for j, c in enumerate(row)
        )
        + "</tr>"
        for i, row in enumerate(table.rows)
    )
    return (
        f'<div class="table-wrap"><table>{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )


def _html_figure(figure: FigureBlock) -> str:
    data = base64.b64encode(figure.svg).decode("ascii")
    caption = html.escape(figure.caption)
    return (
        f'<figure id="chart-{html.escape(figure.slug)}" data-chart="{html.escape(figure.slug)}">'
        f'<img src="data:image/svg+xml;base64,{data}" alt="{caption}">'
        f"<figcaption>Figure {figure.number}. {caption}</figcaption></figure>"
    )


def _render_html_blocks(blocks: list[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            cls = f' class="{html.escape(block.css_class)}"' if block.css_class else ""
            parts.append(f"<p{cls}>{_inline(block.text)}</p>")
        elif isinstance(block, TableBlock):
            parts.append(_html_table(block))
        elif isinstance(block, FigureBlock):
            parts.append(_html_figure(block))
        elif isinstance(block, CodeBlock):
            parts.append(f"<pre><code>{html.escape(block.text)}</code></pre>")
        else:
            parts.append(
                f"<details><summary>{html.escape(block.summary)}</summary>\n"
                f"{_render_html_blocks(block.blocks)}\n</details>"
            )
    return "\n".join(parts)


_STYLE = """
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --rule: #d0d7de;
  --band: #f6f8fa; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 1rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 0.75rem; padding-bottom: 0.3rem;
  border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.1rem; margin: 1.75rem 0 0.5rem; }
p { max-width: 48rem; }
p.lede { font-size: 1.08rem; max-width: 56rem; border-left: 4px solid var(--accent);
  padding-left: 1rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.9em; }
pre { background: var(--band); border: 1px solid var(--rule); padding: 0.75rem 1rem;
  overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.table-wrap { overflow-x: auto; margin: 0.75rem 0 1.25rem; }
table { border-collapse: collapse; font-size: 0.88rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { border: 1px solid var(--rule); padding: 0.3rem 0.55rem; text-align: left;
  vertical-align: top; }
th[scope="col"] { background: var(--band); text-align: center; max-width: 12rem; }
th[scope="row"] { font-weight: 500; }
td.num { text-align: right; white-space: nowrap; }
.ci { color: var(--muted); font-size: 0.92em; }
tbody tr:nth-child(even) { background: #fbfcfd; }
tbody tr.group > * { border-top: 2px solid #afb8c1; }
figure { margin: 1.5rem 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); margin-top: 0.4rem; }
details { margin: 0.75rem 0; }
summary { cursor: pointer; font-weight: 600; }
footer { color: var(--muted); font-size: 0.85rem; margin-top: 3rem; }
@media print { main { max-width: none; } details { display: block; } }
"""

_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="$csp">
<title>$title</title>
<link rel="icon" href="data:,">
<style>$style</style>
</head>
<body>
<main>
$body
<footer>Written by connectsim $version. This page is self-contained: it loads nothing \
from anywhere.</footer>
</main>
</body>
</html>
""")

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""The page may load nothing but its own inline styles and data: images."""


def render_html(blocks: list[Block], title: str) -> str:
    """The blocks as one self-contained HTML page."""
    from simulator import __version__

    return _PAGE.substitute(
        csp=html.escape(_CSP),
        title=html.escape(title),
        style=_STYLE,
        body=_render_html_blocks(blocks),
        version=html.escape(__version__),
    )


# ---------------------------------------------------------------- writing
def write_report(study: Study, out: str | Path, command: str | None = None) -> Path:
    """Write the report of ``study`` into ``out/report/``; return the path of index.html.

    ``out`` is the study directory. ``command`` is the command that made the
    study, shown under "Reproduce"; without it the report shows the command the
    study's manifest recorded, or else a command that reruns the study from the
    resolved ``scenario.yaml`` it writes beside itself.
    """
    report_dir = Path(out) / REPORT_DIR
    figures = []
    for number, spec in enumerate(charts.CHARTS, start=1):
        saved = {
            path.suffix: path
            for path in charts.save(spec.draw(study), report_dir / "charts" / spec.slug)
        }
        png, svg = saved[".png"], saved[".svg"]
        figures.append(
            FigureBlock(
                spec.slug,
                spec.caption,
                number,
                png.relative_to(report_dir).as_posix(),
                svg.read_bytes(),
            )
        )
    write_text_atomic(report_dir / "scenario.yaml", _scenario_yaml(study))
    if command is None:
        record = _manifest(study)
        command = record.get("command") if record else None
    blocks = report_blocks(study, figures, command or _default_command(study, report_dir))
    write_text_atomic(report_dir / "report.md", render_markdown(blocks))
    title = f"{study.scenario.name}: what the study found"
    index = report_dir / "index.html"
    write_text_atomic(index, render_html(blocks, title))
    return index
