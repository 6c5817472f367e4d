"""The study report: headline differences in plain sentences, tables and charts.

:func:`write_report` turns a :class:`~simulator.experiments.study.Study` into a report
directory, ``DIR/report/``::

    index.html              one self-contained page (charts, styles inline; opens offline)
    report.md               the same content in Markdown
    charts/<slug>.png, .svg every chart of :data:`simulator.charts.study.CHARTS`
    scenario.yaml           the resolved scenario, to rerun the study from

The page and the Markdown are rendered from one list of blocks
(:func:`report_blocks`) by :mod:`simulator.report.page`, so they say the same
thing. Every file is written atomically.
"""

from __future__ import annotations

import math
import shlex
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel

from simulator import charts
from simulator.catalog import GROUPS, HEADLINE_METRICS, METRIC_DESCRIPTIONS, METRIC_GROUPS, METRICS

# how a metric is named and formatted is the catalogue's; both stay importable from here
from simulator.catalog import fmt as fmt
from simulator.catalog import metric_label as metric_label
from simulator.config.scenario import (
    Scenario,
    SequentialScreening,
    WalletBudget,
    plausible_range,
)
from simulator.errors import ResultsError
from simulator.experiments import stats
from simulator.experiments.break_even import break_even as break_even_answer
from simulator.experiments.break_even import number, study_mismatch
from simulator.experiments.frontier import Sweep
from simulator.experiments.store import write_text_atomic
from simulator.experiments.study import Study
from simulator.report import sweep as sweep_report
from simulator.report.page import (
    REPORT_DIR,
    Block,
    BulletList,
    CodeBlock,
    Details,
    FigureBlock,
    Heading,
    Paragraph,
    TableBlock,
    figure_block,
    frame_table,
    read_record,
    run_rows,
    write_page,
)

# the page machinery this module held before it moved to page.py stays importable from here
from simulator.report.page import render_html as render_html
from simulator.report.page import render_markdown as render_markdown

METRIC_LABELS: dict[str, str] = {name: m.label for name, m in METRICS.items()}
"""Short names of the metrics (the glossary at the end gives their meaning), from
:data:`simulator.catalog.METRICS`."""

ANSWER_METRICS: tuple[str, ...] = (*HEADLINE_METRICS, "fill_rate")
"""The metrics the report's answer gives a sentence each: the headline metrics and the
fill rate, which tells what clients get from the proposals."""

TRADE_OFF_RELATIVE_CHANGE = 0.10
"""A metric outside :data:`ANSWER_METRICS` is a trade-off when its paired difference is
more than this share of the baseline's level (any change from a level of zero counts)
and its 95% interval excludes zero."""

GROUP_TITLES: dict[str, str] = {
    "freelancers": "For freelancers",
    "clients": "For clients",
    "newcomers": "For newcomers (freelancers who joined during the run)",
    "platform": "For the platform",
}
"""Headings of the trade-offs, one per group of :data:`simulator.catalog.GROUPS`."""

OPENING_CHART = "scorecard"
"""The chart the report opens with, before the answer (the others follow under Charts)."""

OVERALL_METRICS: tuple[str, ...] = (
    "proposals_per_job",
    "hires_per_proposal",
    "connects_spend_share_of_income",
    "total_spend_share_of_income",
    "fill_rate",
    "proposals_per_freelancer_month",
    "hired_proposal_quality",
)
"""Metrics of the report's overall tables (the headline metrics first, then the quality
of the proposals clients hired, which falls when freelancers send more a week)."""

NEWCOMER_METRICS: tuple[str, ...] = ("new_hired_within_60_days", "days_to_first_hire")
"""Metrics of the report's table of newcomers (freelancers who joined during the run)."""

SCREENING_METRICS: tuple[str, ...] = (
    "proposals_read_per_post",
    "screening_hours_per_hire",
    "unfilled_by_screening_share",
    "busy_share_of_reviewed",
)
"""Metrics of the report's table of clients' screening."""

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


def _sentence_case(text: str) -> str:
    # str.capitalize() would lower-case the rest ("Connects" -> "connects")
    return text[:1].upper() + text[1:]


def _excludes_zero(difference: dict[str, float]) -> bool:
    return difference["ci_low"] > 0 or difference["ci_high"] < 0


def _interval(metric: str, difference: dict[str, float]) -> str:
    """'+1.20 pp, 95% CI 0.90 pp to 1.50 pp': a paired difference and its interval."""
    mean = fmt(metric, difference["mean"], signed=True, difference=True)
    low = fmt(metric, difference["ci_low"], difference=True)
    high = fmt(metric, difference["ci_high"], difference=True)
    return f"{mean}, 95% CI {low} to {high}"


def _sentence_noun(metric: str) -> str:
    """A metric named as the object of a sentence: 'proposals per post', 'the fill rate'."""
    known = METRICS[metric]
    # a label with a comma ('Connects spend, share of income') is a table's name
    noun = known.description if ", " in known.label else known.label
    first = noun.split(" ", 1)[0]
    # counts read without an article ('hires per proposal'), single things with one
    return noun if first.endswith("s") else f"the {noun}"


def headline_sentences(study: Study) -> list[str]:
    """The answer: one short sentence per arm and metric of :data:`ANSWER_METRICS`, with
    the paired difference from the baseline and its 95% interval."""
    lv = study.levels()
    diff = study.differences()
    base = study.baseline
    sentences = []
    for arm in study.arms:
        if arm == base:
            continue
        subject = _sentence_case(study.label(arm))
        for metric in ANSWER_METRICS:
            a = fmt(metric, stats.row(lv, arm, metric)["mean"])
            b = fmt(metric, stats.row(lv, base, metric)["mean"])
            d = stats.row(diff, arm, metric)
            noun = _sentence_noun(metric)
            if _excludes_zero(d):
                verb = "raised" if d["mean"] > 0 else "cut"
                sentences.append(
                    f"{subject} {verb} {noun} from {b} to {a} ({_interval(metric, d)})."
                )
            elif math.isnan(d["ci_low"]):
                mean = fmt(metric, d["mean"], signed=True, difference=True)
                why = ": one replication gives none" if d["n"] < 2 else ""
                sentences.append(
                    f"{subject} moved {noun} from {b} to {a} ({mean}; no interval{why})."
                )
            else:
                sentences.append(
                    f"{subject} moved {noun} from {b} to {a} ({_interval(metric, d)}): the "
                    "interval includes zero, so no difference is established."
                )
    return sentences


def is_trade_off(difference: dict[str, float]) -> bool:
    """Whether a paired difference moved by more than :data:`TRADE_OFF_RELATIVE_CHANGE`
    of the baseline's level, with a 95% interval that excludes zero.

    ``difference`` is a row of :meth:`Study.differences` (:func:`stats.row`).
    """
    if not _excludes_zero(difference):
        return False
    if difference["baseline_mean"] == 0:
        # from nothing to something: larger than any share of nothing
        return True
    return abs(difference["relative"]) > TRADE_OFF_RELATIVE_CHANGE


def trade_offs(study: Study) -> dict[str, list[str]]:
    """The metrics outside the answer that moved (:func:`is_trade_off`), by group of
    :data:`simulator.catalog.GROUPS`: one line each, with its levels, paired difference,
    95% interval and relative change. Every group is a key, in order, possibly empty."""
    lv = study.levels()
    diff = study.differences()
    base = study.baseline
    others = [arm for arm in study.arms if arm != base]
    # without boosts, the unboosted proposals' win rate is every proposal's, already said
    skipped = {*ANSWER_METRICS, *([] if _any_boosts(study) else BOOST_METRICS)}
    found: dict[str, list[str]] = {group: [] for group in GROUPS}
    for metric, group in METRIC_GROUPS.items():
        if group is None or metric in skipped:
            continue
        for arm in others:
            try:
                d = stats.row(diff, arm, metric)
            except KeyError:
                continue
            if not is_trade_off(d):
                continue
            a = fmt(metric, stats.row(lv, arm, metric)["mean"])
            b = fmt(metric, stats.row(lv, base, metric)["mean"])
            rel = "" if math.isnan(d["relative"]) else f"; {d['relative'] * 100:+.0f}%"
            # with several arms, each line says which one it is about
            name = (
                f"{study.label(arm)}, {metric_label(metric)}"
                if len(others) > 1
                else (metric_label(metric))
            )
            found[group].append(
                f"{_sentence_case(name)}: from {b} to {a} ({_interval(metric, d)}{rel})."
            )
    return found


def _trade_off_blocks(study: Study) -> list[Block]:
    others = [arm for arm in study.arms if arm != study.baseline]
    if not others:
        return []
    base = study.label(study.baseline)
    against = (
        f"{study.label(others[0])} against {base}"
        if len(others) == 1
        else f"each arm against {base}"
    )
    blocks: list[Block] = [
        Heading(2, "Trade-offs"),
        Paragraph(
            f"Every other metric that moved, {against}: those whose paired difference is "
            f"more than {TRADE_OFF_RELATIVE_CHANGE:.0%} of the baseline's level (or moved "
            "from a level of zero) and whose 95% interval excludes zero; the rest are in "
            "the tables below. Each line gives the baseline's level, then the arm's, the "
            "paired difference with its interval and the change relative to the baseline."
        ),
    ]
    for group, lines in trade_offs(study).items():
        blocks.append(Heading(3, GROUP_TITLES[group]))
        blocks.append(
            BulletList(lines)
            if lines
            else Paragraph(
                f"Nothing moved by more than {TRADE_OFF_RELATIVE_CHANGE:.0%} with an interval "
                "that excludes zero."
            )
        )
    return blocks


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
        frame_table(comparison_table(study, "overall", list(OVERALL_METRICS))),
    ]
    blocks += [
        Heading(3, "Newcomers"),
        Paragraph(
            "Freelancers who joined during the run: the share hired within 60 days of "
            "joining (of those who joined at least 60 days before the end) and the days "
            "to their first hire (of those hired)."
        ),
        frame_table(comparison_table(study, "overall", list(NEWCOMER_METRICS))),
        Heading(3, "Clients' screening"),
        Paragraph(_screening_rule(study.scenario)),
        frame_table(comparison_table(study, "overall", list(SCREENING_METRICS))),
    ]
    for kind, title in _SEGMENTS:
        if _segments(study, kind):
            blocks += [
                Heading(3, title),
                frame_table(comparison_table(study, kind, list(SEGMENT_METRICS)), grouped=True),
            ]
    used = list(
        dict.fromkeys([*OVERALL_METRICS, *NEWCOMER_METRICS, *SCREENING_METRICS, *SEGMENT_METRICS])
    )
    if _any_boosts(study):
        blocks += [
            Heading(3, "Boosted proposals"),
            frame_table(comparison_table(study, "overall", list(BOOST_METRICS))),
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


def _reproduce_blocks(study: Study, command: str) -> list[Block]:
    record = read_record(study.path)
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
        rows = [
            ["scenario hash", str(record.get("scenario_hash", "n/a"))],
            ["root seed", str(record.get("root_seed", study.root_seed))],
            ["replications per arm", str(record.get("replications", study.replications))],
            *run_rows(record),
        ]
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


def _screening_rule(scenario: Scenario) -> str:
    """The clients' screening rule of a scenario, in a sentence."""
    clients = scenario.world.clients
    rule = clients.screening
    if isinstance(rule, SequentialScreening):
        return (
            f"Clients read proposals one at a time, boosted ones first, then by "
            f"{rule.ranking}, and stop when one more is not expected to be worth its cost "
            f"({rule.cost_per_read:g} score units a read), after {clients.max_reviewed} "
            f"reads, or when none is left; a read takes {clients.minutes_per_read:g} minutes "
            "(docs/model.md, section 6.3)."
        )
    return (
        f"Clients read the first {clients.max_reviewed} proposals in arrival order, whatever "
        "reading them costs (schema version 1's rule; docs/model.md, section 6.3)."
    )


def _range_text(model: type[BaseModel], field: str, scale: float = 1.0, unit: str = "") -> str:
    bounds = plausible_range(model, field)
    if bounds is None:
        return "no source; no range given"
    return f"assumption; plausible {bounds[0] * scale:g}{unit} to {bounds[1] * scale:g}{unit}"


def assumption_rows(scenario: Scenario) -> list[list[str]]:
    """The assumed figures a study's headline rests on: what, the value it used, and the
    range the figure may plausibly take (docs/model.md gives the reasoning)."""
    budget = scenario.world.population.budget
    clients = scenario.world.clients
    rows: list[list[str]] = []
    if isinstance(budget, WalletBudget):
        spread = math.exp(1.645 * budget.outside_cash_share_sigma)
        median = budget.outside_cash_share_median
        rows += [
            [
                "freelancers' own cash for the platform, a month (median share of regional "
                "income; 5th to 95th percentile)",
                f"{median:.2%} ({median / spread:.2%} to "
                f"{min(median * spread, budget.outside_cash_share_cap):.2%})",
                _range_text(WalletBudget, "outside_cash_share_median", 100.0, "%"),
            ],
            [
                "share of net platform earnings kept for the platform",
                f"{budget.earnings_kept_share:.0%}",
                _range_text(WalletBudget, "earnings_kept_share", 100.0, "%"),
            ],
            [
                "savings carried into a month, at most (months of inflows)",
                f"{budget.savings_cap_months:g}",
                _range_text(WalletBudget, "savings_cap_months"),
            ],
        ]
    else:
        rows.append(
            [
                "budget for the platform, a month (share of regional income, everyone)",
                f"{budget.share_of_income:.0%}",
                "assumption without a source (schema version 1's rule)",
            ]
        )
    rule = clients.screening
    if isinstance(rule, SequentialScreening):
        rows += [
            [
                "cost to a client of reading a proposal (score units)",
                f"{rule.cost_per_read:g}",
                _range_text(SequentialScreening, "cost_per_read"),
            ],
            [
                "minutes a client spends reading a proposal",
                f"{clients.minutes_per_read:g}",
                _range_text(type(clients), "minutes_per_read"),
            ],
        ]
    else:
        rows.append(
            [
                "proposals a client reads (the first K, in arrival order)",
                str(clients.max_reviewed),
                "assumption (schema version 1's rule)",
            ]
        )
    for arm, spec in scenario.arms.items():
        basic, plus = spec.monthly_grant.get("basic", 0), spec.monthly_grant.get("plus", 0)
        rows.append(
            [
                f"free Connects a month under {arm} (Basic, Plus)",
                f"{basic}, {plus}",
                _grant_basis(spec.kind, basic, plus),
            ]
        )
    return rows


def _grant_basis(kind: str, basic: int, plus: int) -> str:
    """Where a policy's monthly allowances come from."""
    if kind == "free" and (basic, plus) == (10, 70):
        return "the seed article's 10 and 70 (MODEL.md)"
    if kind == "paid" and (basic, plus) == (0, 70):
        return "Plus 70: the seed article (MODEL.md); Basic 0: an assumption"
    return "this study's choice"


def _assumption_blocks(study: Study, break_even: Sweep | None = None) -> list[Block]:
    kinds = {spec.kind for spec in study.scenario.arms.values()}
    pointer = (
        " For paid against free Connects, scenarios/break_even.yaml finds the free "
        "allowance at which the two give the same proposals per post, at half, the "
        "default and double the freelancers' own cash (`make break-even`; `connectsim "
        "report DIR --break-even SWEEP_DIR` puts its answer here)."
        if {"paid", "free"} <= kinds and break_even is None
        else ""
    )
    blocks: list[Block] = [
        Heading(2, "What these results rest on"),
        Paragraph(
            "Each difference above holds for the figures below, most of them assumptions "
            "without a published source. A difference whose sign changes when one of them "
            "moves within its plausible range is a result conditional on that figure, not a "
            "finding." + pointer
        ),
        TableBlock(
            ["assumed figure", "in this study", "basis"],
            assumption_rows(study.scenario),
            "Assumptions of the headline",
        ),
    ]
    if break_even is not None:
        blocks += break_even_blocks(break_even)
    return blocks


def break_even_blocks(sweep: Sweep) -> list[Block]:
    """Where the study's answer changes sign: the break-even sweep's table, introduced.

    ``sweep`` must answer for the study (:func:`~simulator.experiments.break_even.study_mismatch`
    is None); its ``sweep.break_even`` question names the arm, metric and parameter.
    """
    question = sweep.plan.break_even
    assert question is not None
    others = [p for p in sweep.parameters if p != question.along]
    levels = sorted({float(v) for v in sweep.points()[question.along]})
    across = f", at each {', '.join(f'`{p}`' for p in others)} swept" if others else ""
    return [
        Heading(3, "Where the answer changes sign"),
        Paragraph(
            f"The value of `{question.along}` at which `{question.arm}` minus "
            f"`{sweep.baseline}` in {metric_label(question.metric)} crosses zero{across}: "
            f"a sweep of this study's scenario over {', '.join(number(v) for v in levels)} "
            f"({sweep.replications} replications a point), interpolated between the levels; "
            "the interval is the stretch where the difference's 95% confidence interval "
            "holds zero. Its own report is in the sweep's directory."
        ),
        sweep_report.break_even_table(sweep, break_even_answer(sweep)),
    ]


def _condition(break_even: Sweep | None) -> str:
    """The sentence that ties the answer to what it rests on."""
    text = (
        " Each of these differences holds under the assumed figures listed under "
        '"What these results rest on", and is conditional on them'
    )
    if break_even is None or break_even.plan.break_even is None:
        return text + "."
    question = break_even.plan.break_even
    return (
        text + f"; there too is the value of `{question.along}` at which "
        f"{metric_label(question.metric)} under `{question.arm}` and `{break_even.baseline}` "
        "would be the same."
    )


def report_blocks(
    study: Study, figures: list[FigureBlock], command: str, break_even: Sweep | None = None
) -> list[Block]:
    """The report's content, in order, for both the page and the Markdown (with the
    break-even sweep's answer among the assumptions, when one is given)."""
    sc = study.scenario
    opening = [f for f in figures if f.slug == OPENING_CHART]
    rest = [f for f in figures if f.slug != OPENING_CHART]
    blocks: list[Block] = [
        Heading(1, f"{sc.name}: what the study found"),
        *opening,
        Paragraph(_opening(study) + _condition(break_even), "lede"),
        *_trade_off_blocks(study),
        *_assumption_blocks(study, break_even),
        *_scenario_blocks(study),
        Heading(2, "Charts"),
        Paragraph(
            "Each chart is also in `charts/` beside this report, as PNG and SVG"
            + (f" (Figure {opening[0].number} opens the report)." if opening else ".")
        ),
        *rest,
        *_table_blocks(study),
        *_reproduce_blocks(study, command),
    ]
    return blocks


# ---------------------------------------------------------------- writing
def write_report(
    study: Study,
    out: str | Path,
    command: str | None = None,
    break_even: Sweep | None = None,
) -> Path:
    """Write the report of ``study`` into ``out/report/``; return the path of index.html.

    ``out`` is the study directory. ``command`` is the command that made the
    study, shown under "Reproduce"; without it the report shows the command the
    study's manifest recorded, or else a command that reruns the study from the
    resolved ``scenario.yaml`` it writes beside itself. ``break_even``, a finished
    sweep of the study's scenario with a break-even question, adds its answer to
    "What these results rest on".

    Raises
    ------
    ResultsError
        When ``break_even`` does not answer for the study (another world, other
        arms or another run length; see
        :func:`~simulator.experiments.break_even.study_mismatch`).
    """
    if break_even is not None:
        mismatch = study_mismatch(break_even, study.scenario)
        if mismatch is not None:
            raise ResultsError(f"{break_even.path}: cannot give the study's break-even: {mismatch}")
    report_dir = Path(out) / REPORT_DIR
    figures = [
        figure_block(spec.draw(study), report_dir, spec.slug, spec.caption, number)
        for number, spec in enumerate(charts.CHARTS, start=1)
    ]
    write_text_atomic(report_dir / "scenario.yaml", _scenario_yaml(study))
    if command is None:
        record = read_record(study.path)
        command = record.get("command") if record else None
    blocks = report_blocks(
        study, figures, command or _default_command(study, report_dir), break_even
    )
    title = f"{study.scenario.name}: what the study found"
    return write_page(report_dir, blocks, title, "report.md").index
