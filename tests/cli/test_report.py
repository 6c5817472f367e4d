"""The study report: ``DIR/report/`` (index.html, report.md, charts) and
``connectsim report DIR``.

The page must be one self-contained file (nothing it refers to lives
anywhere else), open with the scorecard, the headline sentences and the
trade-offs, show one figure per entry of the chart registry and say how to
reproduce the study. Its rendering in a
real browser is checked in ``tests/browser``.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import simulator
from simulator import charts, cli
from simulator.catalog import HEADLINE_METRICS, METRIC_GROUPS, fmt
from simulator.config.scenario import Scenario
from simulator.experiments import stats
from simulator.experiments.study import Study
from simulator.report.page import render_markdown
from simulator.report.study import (
    ANSWER_METRICS,
    GROUP_TITLES,
    TRADE_OFF_RELATIVE_CHANGE,
    headline_sentences,
    report_blocks,
    trade_offs,
    write_report,
)

COMMAND = "connectsim run scenarios/paid_vs_free.yaml --replications 2 --seed 20190501"


@pytest.fixture(scope="module")
def study(small_scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Study:
    """A finished two-replication study of the small scenario, written to a directory."""
    out = tmp_path_factory.mktemp("report") / "study"
    return simulator.run_study(small_scenario, replications=2, workers=1, out=out)


@pytest.fixture(scope="module")
def page(study: Study) -> tuple[Path, str, str]:
    """The report of :func:`study`: index.html's path, its text and report.md's text."""
    assert study.path is not None
    index = write_report(study, study.path, command=COMMAND)
    markdown = (index.parent / "report.md").read_text(encoding="utf-8")
    return index, index.read_text(encoding="utf-8"), markdown


def test_report_files_are_under_report_dir(study: Study, page: tuple[Path, str, str]) -> None:
    index, _, _ = page
    assert study.path is not None
    report_dir = study.path / "report"
    assert index == report_dir / "index.html"
    assert (report_dir / "report.md").is_file()
    assert (report_dir / "scenario.yaml").is_file()
    for spec in charts.CHARTS:
        for ext in ("png", "svg"):
            assert (report_dir / "charts" / f"{spec.slug}.{ext}").stat().st_size > 1000
    assert not (study.path / "report.md").exists() and not (study.path / "charts").exists()
    assert not list(study.path.rglob("*.tmp")), "atomic writes left temporary files behind"


def test_index_is_self_contained(page: tuple[Path, str, str]) -> None:
    _, text, _ = page
    refs = re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]*)""", text, flags=re.IGNORECASE)
    assert refs, "expected the embedded charts' src attributes"
    assert all(ref.startswith("data:") for ref in refs), [r[:60] for r in refs]
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*https?://", text, flags=re.IGNORECASE)
    assert not re.search(r"<script|@import|url\(\s*['\"]?https?:", text, flags=re.IGNORECASE)
    assert "<style>" in text


def test_report_opens_with_the_scorecard_and_the_answer(
    study: Study, page: tuple[Path, str, str]
) -> None:
    """The scorecard, then one sentence per headline metric and the fill rate, each with
    both levels and the paired difference's interval, then the trade-offs and the
    assumptions, before anything else."""
    _, text, markdown = page
    lv, diff = study.levels(), study.differences()
    sentences = headline_sentences(study)
    assert [*HEADLINE_METRICS, "fill_rate"] == list(ANSWER_METRICS)
    assert len(sentences) == len(ANSWER_METRICS)  # one arm against the baseline
    lede = re.search(r'<p class="lede">(.*?)</p>', text, flags=re.DOTALL)
    assert lede is not None
    opening_md = markdown.split("## Trade-offs", 1)[0]
    for sentence, metric in zip(sentences, ANSWER_METRICS, strict=True):
        assert html.escape(sentence) in lede.group(1)
        assert sentence in opening_md
        d = stats.row(diff, "free", metric)
        for value in (
            fmt(metric, stats.row(lv, "paid", metric)["mean"]),
            fmt(metric, stats.row(lv, "free", metric)["mean"]),
            fmt(metric, d["mean"], signed=True, difference=True),
            f"95% CI {fmt(metric, d['ci_low'], difference=True)} to "
            f"{fmt(metric, d['ci_high'], difference=True)}",
        ):
            assert value in sentence, (value, sentence)
    assert "fill rate" in sentences[-1]
    # the scorecard is the first thing under the title, in the page and the Markdown
    first_figure = re.search(r'<figure [^>]*data-chart="([^"]+)"', text)
    assert first_figure is not None and first_figure.group(1) == "scorecard"
    assert markdown.split("\n\n")[1].startswith("![") and "charts/scorecard.png" in opening_md
    order = ["<h1>", 'data-chart="scorecard"', '<p class="lede">', "<h2>Trade-offs"]
    order += ["<h2>What these results rest on", "<h2>The scenario", "<h2>Charts"]
    order += ["<h2>Tables", "<h2>Reproduce"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions), "sections out of order"
    assert text.count('data-chart="scorecard"') == 1


def _section(markdown: str, heading: str) -> str:
    """The Markdown under ``heading`` up to the next heading of any level."""
    after = markdown.split(heading + "\n", 1)[1]
    return re.split(r"^#+ ", after, maxsplit=1, flags=re.MULTILINE)[0]


def _with_difference(
    frame: pd.DataFrame, metric: str, baseline: float, relative: float, ci_halfwidth: float
) -> pd.DataFrame:
    """``frame`` with free's overall difference in ``metric`` set to ``relative`` times
    ``baseline``, plus or minus ``ci_halfwidth`` times ``baseline``."""
    out = frame.copy()
    hit = (out["arm"] == "free") & (out["metric"] == metric) & (out["segment_kind"] == "overall")
    assert hit.sum() == 1
    mean = relative * baseline
    out.loc[hit, ["mean", "ci_low", "ci_high", "baseline_mean", "relative"]] = [
        mean,
        mean - ci_halfwidth * baseline,
        mean + ci_halfwidth * baseline,
        baseline,
        relative,
    ]
    return out


def test_trade_offs_list_what_moved_beyond_the_threshold_under_its_group(study: Study) -> None:
    """A metric that moved by more than the threshold, with an interval excluding zero,
    is listed under its group with its interval; one under the threshold, or whose
    interval includes zero, is not listed anywhere."""
    over = 2 * TRADE_OFF_RELATIVE_CHANGE
    under = TRADE_OFF_RELATIVE_CHANGE / 2
    diff = study.differences()
    diff = _with_difference(diff, "gini_earnings", 0.6, over, over / 4)  # listed
    diff = _with_difference(diff, "new_hired_within_60_days", 0.9, -over, over / 4)  # listed
    diff = _with_difference(diff, "days_to_hire", 5.0, under, under / 4)  # too small
    diff = _with_difference(diff, "connects_revenue_usd_per_month", 900.0, over, 2 * over)
    diff = _with_difference(diff, "fill_rate", 0.8, -over, 2 * over)  # an answer, not shown
    doctored = dataclasses.replace(study, _differences=diff)
    fill = headline_sentences(doctored)[-1]
    assert "fill rate" in fill and "(-16.0 pp, 95% CI -48.0 pp to 16.0 pp)" in fill
    assert fill.endswith("the interval includes zero, so no difference is established.")
    markdown = render_markdown(report_blocks(doctored, [], COMMAND))
    assert METRIC_GROUPS["gini_earnings"] == "freelancers"
    assert METRIC_GROUPS["new_hired_within_60_days"] == "newcomers"
    assert METRIC_GROUPS["days_to_hire"] == "clients"
    freelancers = _section(markdown, "### " + GROUP_TITLES["freelancers"])
    newcomers = _section(markdown, "### " + GROUP_TITLES["newcomers"])
    paid_gini = fmt("gini_earnings", stats.row(study.levels(), "paid", "gini_earnings")["mean"])
    assert f"- Gini of earnings: from {paid_gini} to " in freelancers
    # 0.6 x 20% = 0.12, plus or minus 0.6 x 5% = 0.03
    assert "(+0.120, 95% CI 0.090 to 0.150; +20%)" in freelancers
    assert "- New freelancers hired within 60 days: from " in newcomers
    assert "(-18.0 pp, 95% CI -22.5 pp to -13.5 pp; -20%)" in newcomers
    trade_offs_md = markdown.split("## Trade-offs", 1)[1].split("## What these", 1)[0]
    for absent in ("Days to hire", "Connects revenue", "Fill rate:"):
        assert absent not in trade_offs_md
    # the threshold is stated on the page
    assert f"more than {TRADE_OFF_RELATIVE_CHANGE:.0%} of the baseline's level" in markdown


def test_trade_offs_include_what_only_one_arm_has(study: Study) -> None:
    """Paid Connects earn no Connects; the free program does: a move from a level of zero
    is listed, without a relative change."""
    lv = study.levels()
    assert stats.row(lv, "paid", "connects_earned_per_freelancer_month")["mean"] == 0
    lines = trade_offs(study)["freelancers"]
    earned = [line for line in lines if line.startswith("Connects earned per freelancer-month")]
    assert len(earned) == 1 and earned[0].startswith(
        "Connects earned per freelancer-month: from 0.00 to "
    )
    assert "%)" not in earned[0]


def test_one_figure_per_registered_chart(page: tuple[Path, str, str]) -> None:
    _, text, markdown = page
    figures = re.findall(r'<figure [^>]*data-chart="([^"]+)"', text)
    assert figures == [spec.slug for spec in charts.CHARTS]
    for spec in charts.CHARTS:
        assert html.escape(spec.caption) in text
        assert f"](charts/{spec.slug}.png)" in markdown
    assert text.count("<img ") == len(charts.CHARTS)


def test_reproduce_section(study: Study, page: tuple[Path, str, str]) -> None:
    _, text, markdown = page
    assert f"<pre><code>{html.escape(COMMAND)}</code></pre>" in text
    section = markdown.split("## Reproduce", 1)[1]
    assert next(line for line in section.splitlines() if line.strip()).strip() == COMMAND
    assert study.path is not None
    manifest = json.loads((study.path / "manifest.json").read_text(encoding="utf-8"))
    for value in (manifest["scenario_hash"], manifest["executor"], str(study.root_seed)):
        assert value in section and html.escape(value) in text
    for name, version in manifest["versions"].items():
        assert f"| version of {name} | {version} |" in section
    if manifest["git_commit"]:
        assert manifest["git_commit"] in text


def test_scenario_tables(study: Study, page: tuple[Path, str, str]) -> None:
    _, text, markdown = page
    for region in study.scenario.world.regions:
        assert f"| {region.replace('_', ' ')} | " in markdown
    # the policies side by side: a field where the arms differ, with both values
    assert "| purchase_allowed | yes | no |" in markdown
    for arm in study.arms:
        assert html.escape(study.label(arm)) in text


def test_every_text_is_escaped(study: Study, tmp_path: Path) -> None:
    sc = study.scenario
    hostile = "<script>alert('x')</script> & co"
    arms = dict(sc.arms)
    arms["free"] = arms["free"].model_copy(update={"label": hostile})
    spoiled = dataclasses.replace(study, scenario=sc.model_copy(update={"arms": arms}))
    text = write_report(spoiled, tmp_path).read_text(encoding="utf-8")
    assert "<script>" not in text
    assert html.escape(hostile) in text


def test_registry_entries_are_all_drawn(
    study: Study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart added to the registry shows up in the report without other changes."""
    extra = charts.ChartSpec(
        "extra_chart", "An extra chart & its caption", charts.region_comparison
    )
    monkeypatch.setattr(charts, "CHARTS", (*charts.CHARTS, extra))
    text = write_report(study, tmp_path).read_text(encoding="utf-8")
    assert 'data-chart="extra_chart"' in text
    assert "An extra chart &amp; its caption" in text
    assert (tmp_path / "report" / "charts" / "extra_chart.svg").is_file()
    assert text.count("<figure ") == len(charts.CHARTS)


def test_in_memory_study(small_scenario: Scenario, tmp_path: Path) -> None:
    study = simulator.run_study(small_scenario, replications=1, workers=1)
    index = write_report(study, tmp_path)
    text = index.read_text(encoding="utf-8")
    assert "not recorded" in text
    assert "connectsim run" in text
    # one replication: each answer gives the difference but no interval, and says why
    for sentence in headline_sentences(study):
        assert sentence.endswith("; no interval: one replication gives none).")
        assert html.escape(sentence) in text


# ------------------------------------------------------------ connectsim report


def test_report_command_writes_the_report(
    study: Study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``connectsim report DIR`` prints index.html's path; its Reproduce command (from
    the resolved scenario.yaml written beside the report) gives the same study."""
    assert study.path is not None
    result = CliRunner().invoke(cli.app, ["report", str(study.path)])
    assert result.exit_code == 0, result.output
    index = study.path / "report" / "index.html"
    assert result.stdout.strip() == str(index)
    markdown = (index.parent / "report.md").read_text(encoding="utf-8")
    section = markdown.split("## Reproduce", 1)[1]
    words = shlex.split(next(line for line in section.splitlines() if line.strip()))
    assert words[:3] == ["connectsim", "run", str(index.parent / "scenario.yaml")]
    i = words.index("--out")
    again = tmp_path / "again"
    rerun = [*words[1:i], "--out", str(again), *words[i + 2 :], "--workers", "1", "--no-report"]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, rerun)
    assert result.exit_code == 0, result.output
    for name in ("levels", "differences"):
        first = pd.read_csv(study.path / "summary" / f"{name}.csv")
        second = pd.read_csv(again / "summary" / f"{name}.csv")
        pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize("kind", ["empty_dir", "missing_dir", "a_file", "unfinished", "bad_json"])
def test_report_command_on_a_non_study_exits_2(
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    run_main: Callable[[list[str]], tuple[int, str, str]],
) -> None:
    target = tmp_path / "not_a_study"
    if kind == "empty_dir":
        target.mkdir()
    elif kind == "a_file":
        target.write_text("hello", encoding="utf-8")
    elif kind == "unfinished":
        target.mkdir()
        (target / "manifest.json").write_text(json.dumps({"finished": None}), encoding="utf-8")
    elif kind == "bad_json":
        target.mkdir()
        (target / "manifest.json").write_text("{not json", encoding="utf-8")
    code, stdout, stderr = run_main(["report", str(target)])
    assert code == 2
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and str(target) in lines[0]
    assert stdout.strip() == ""
    assert not (target / "report").exists()


@pytest.mark.parametrize("kind", ["study", "sweep", "sensitivity"])
def test_report_command_works_on_every_kind_and_says_which(
    kind: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    run_main: Callable[[list[str]], tuple[int, str, str]],
) -> None:
    """``connectsim report DIR`` writes the page of any finished experiment, prints its
    path on stdout and names the kind it found on stderr."""
    import shutil

    source: Path = request.getfixturevalue(f"tiny_{kind}_dir")
    target = tmp_path / kind
    shutil.copytree(source, target)
    shutil.rmtree(target / "report", ignore_errors=True)
    code, stdout, stderr = run_main(["report", str(target)])
    assert code == 0, stderr
    assert stdout.strip() == str(target / "report" / "index.html")
    assert stderr.strip() == f"{kind} report of {target}"
    assert (target / "report" / "index.html").stat().st_size > 0
