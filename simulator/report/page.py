"""The page machinery every report shares: blocks, their Markdown and their HTML page.

A report is a list of blocks (:data:`Block`): headings, paragraphs, lists,
tables, figures, code and collapsed details. :func:`render_markdown` and
:func:`render_html` render the same list, so a report's Markdown and its page
say the same thing; :func:`write_page` writes both atomically::

    DIR/report/index.html        one self-contained page (charts, styles inline; opens offline)
    DIR/report/<name>.md         the same content in Markdown
    DIR/report/charts/<slug>.*   each chart as PNG and SVG (:func:`figure_block`)

The page loads nothing: its content security policy (:data:`CSP`) allows only
its own inline styles and ``data:`` images, and the charts are embedded as
SVG ``data:`` URIs. A study's, a sweep's and a sensitivity analysis' reports
(:mod:`simulator.report.study`, :mod:`simulator.report.sweep`,
:mod:`simulator.report.sensitivity`) only assemble their blocks.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from simulator.charts.style import save
from simulator.errors import ResultsError
from simulator.experiments.store import ResultsStore, write_text_atomic

REPORT_DIR = "report"
"""The report's directory inside an experiment directory."""

INDEX_NAME = "index.html"
"""The page's file name inside the report directory."""


# ---------------------------------------------------------------- the blocks
@dataclass(frozen=True)
class Heading:
    """A heading; level 1 is the page's title."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """Plain text; `backticks` mark code."""

    text: str
    css_class: str = ""


@dataclass(frozen=True)
class BulletList:
    """An unordered list of plain-text items; `backticks` mark code."""

    items: list[str]


@dataclass(frozen=True)
class TableBlock:
    """A table of text cells; cells that read as numbers are right-aligned on the page."""

    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    grouped: bool = False
    """Rows come in groups, each named in its first cell on its first row only."""


@dataclass(frozen=True)
class FigureBlock:
    """A numbered chart with its caption."""

    slug: str
    caption: str
    number: int
    png: str
    """The PNG's path, relative to the report directory (Markdown shows it)."""
    svg: bytes
    """The SVG itself (the page embeds it)."""


@dataclass(frozen=True)
class CodeBlock:
    """Preformatted text: a command, a file."""

    text: str


@dataclass(frozen=True)
class Details:
    """Collapsed on the page (``<details>``), a titled part in Markdown."""

    summary: str
    blocks: list[Block] = field(default_factory=list)
    markdown_note: str = ""
    """If set, Markdown shows this line instead of the blocks."""


Block = Heading | Paragraph | BulletList | TableBlock | FigureBlock | CodeBlock | Details
"""One piece of a report's content."""


def frame_table(frame: pd.DataFrame, caption: str = "", grouped: bool = False) -> TableBlock:
    """A data frame as a table of its cells' text (the index left out)."""
    return TableBlock(
        [str(c) for c in frame.columns],
        [[str(v) for v in row] for row in frame.itertuples(index=False)],
        caption,
        grouped,
    )


def figure_block(
    fig: Figure, report_dir: Path, slug: str, caption: str, number: int
) -> FigureBlock:
    """Save a chart into ``report_dir/charts/`` (PNG and SVG) and make its block.

    Parameters
    ----------
    fig
        The chart; it is closed once saved.
    report_dir
        The report's directory (the PNG's path in the block is relative to it).
    slug
        The charts' file name, without extension, and the figure's id on the page.
    caption, number
        What the figure's caption says.
    """
    saved = {path.suffix: path for path in save(fig, report_dir / "charts" / slug)}
    png, svg = saved[".png"], saved[".svg"]
    return FigureBlock(
        slug, caption, number, png.relative_to(report_dir).as_posix(), svg.read_bytes()
    )


# ---------------------------------------------------------------- provenance
def read_record(path: Path | None) -> dict[str, Any] | None:
    """The manifest of an experiment directory, or ``None`` without a readable one."""
    if path is None:
        return None
    try:
        return ResultsStore(path).read_manifest()
    except ResultsError:
        return None


def run_rows(record: dict[str, Any]) -> list[list[str]]:
    """Rows of how an experiment was run, from its manifest: executor, git commit, times,
    versions."""
    commit = record.get("git_commit") or "not recorded (not run from a git checkout)"
    rows = [
        ["executor", str(record.get("executor", "n/a"))],
        ["git commit", str(commit)],
        ["started", str(record.get("started") or "n/a")],
        ["finished", str(record.get("finished") or "not finished")],
    ]
    versions = record.get("versions") or {}
    rows += [[f"version of {name}", str(v)] for name, v in versions.items()]
    return rows


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
        elif isinstance(block, BulletList):
            parts.append("\n".join(f"- {item}" for item in block.items))
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
        elif isinstance(block, BulletList):
            items = "".join(f"<li>{_inline(item)}</li>" for item in block.items)
            parts.append(f"<ul>{items}</ul>")
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


STYLE = """
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
"""The page's style sheet, inline in its ``<style>``."""

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

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""The page may load nothing but its own inline styles and data: images."""


def render_html(blocks: list[Block], title: str) -> str:
    """The blocks as one self-contained HTML page."""
    from simulator import __version__

    return _PAGE.substitute(
        csp=html.escape(CSP),
        title=html.escape(title),
        style=STYLE,
        body=_render_html_blocks(blocks),
        version=html.escape(__version__),
    )


# ---------------------------------------------------------------- writing
@dataclass(frozen=True)
class ReportFiles:
    """Where a report's page and its Markdown were written."""

    index: Path
    markdown: Path


def write_page(
    report_dir: Path, blocks: list[Block], title: str, markdown_name: str
) -> ReportFiles:
    """Write the blocks as ``report_dir/<markdown_name>`` and ``report_dir/index.html``.

    Both are written atomically: a reader sees the old file or the new one,
    never half of one.
    """
    markdown = report_dir / markdown_name
    write_text_atomic(markdown, render_markdown(blocks))
    index = report_dir / INDEX_NAME
    write_text_atomic(index, render_html(blocks, title))
    return ReportFiles(index, markdown)
