"""Metrics, accumulated while a replication runs and turned into tidy frames.

Nothing is stored per proposal: the engine adds to per-freelancer counters
(columns of the population), to per-post counters at closing, and to a
small daily table. At the end, :meth:`MetricsRecorder.result` aggregates the
counters overall and by region, membership and cohort.

The tidy frame has one row per (segment, metric) with columns ``arm``,
``replication``, ``root_seed``, ``segment_kind``, ``segment``, ``metric`` and
``value``. Ratios are ratios of totals within the segment (for example hires
per proposal is the segment's hires over its proposals); per-month figures
divide by freelancer-months of presence in the recorded window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from simulator.config.scenario import Clients
from simulator.engine.columns import ClosedPosts, RecordedCounters
from simulator.engine.contracts import ContractBook
from simulator.engine.jobs import JobBoard, closing_tallies
from simulator.engine.kernels import add_at
from simulator.engine.ledger import DAYS_PER_MONTH
from simulator.engine.population import Population
from simulator.engine.rows import RowColumn

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

PROPOSAL_HISTOGRAM_MAX = 200
"""Posts with more proposals than this are counted in the last histogram bin."""

FREELANCER_MONTH_MAX = 150
"""Freelancer-months with more proposals than this are counted in the last bin."""

LORENZ_POINTS = 101
"""Population shares (0, 0.01, ..., 1) at which the Lorenz curve of earnings is kept."""


@dataclass(frozen=True, slots=True)
class ReplicationWindow:
    """Which replication a recorder records, over which days, and the client
    parameters its metrics read (what it needs of the market, and no more)."""

    arm: str
    replication: int
    root_seed: int
    warmup_days: float
    """Metrics are recorded from here on (the end of the warm-up)."""
    end_day: float
    """The end of the recorded horizon."""
    clients: Clients
    """The clients' rules: the reservation score (client surplus) and the screening
    cost per review, and whatever a recorder that records more reads."""
    full_effort_proposals_per_week: int = 0
    """Proposals a freelancer can write in a week at full effort (the weekly time budget
    over the hours of a careful proposal); the rest get less (docs/model.md §5.4)."""


@dataclass(frozen=True, slots=True)
class ReplicationResult:
    """What one replication of one arm produced."""

    arm: str
    replication: int
    root_seed: int
    metrics: pd.DataFrame
    """Tidy: segment_kind, segment, metric, value (plus arm, replication, root_seed)."""
    daily: pd.DataFrame
    """One row a day, warm-up included: proposals, hires, posts, freelancers, contracts."""
    proposals_per_job: pd.DataFrame
    """Histogram of proposals per closed post: proposals, posts."""
    distributions: pd.DataFrame
    """Tidy: distribution, x, value (see :data:`DISTRIBUTIONS`)."""


def gini(values: FloatArray) -> float:
    """Gini coefficient of non-negative values (0 = equal, near 1 = concentrated)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return float("nan")
    ranks = np.arange(1, n + 1)
    return float((2.0 * np.sum(ranks * x) / (n * total)) - (n + 1.0) / n)


def weighted_median(values: FloatArray, weights: FloatArray) -> float:
    """The value below which half the total weight lies (NaN without positive weight).

    The lower weighted median: the smallest value whose cumulative weight
    reaches half the total, so that it is always one of ``values``.
    """
    x = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    keep = w > 0
    if not keep.any():
        return float("nan")
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    cumulative = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def lorenz(values: FloatArray, points: int = LORENZ_POINTS) -> tuple[FloatArray, FloatArray]:
    """The Lorenz curve of non-negative values at ``points`` evenly spaced population shares.

    Returns the shares and the cumulative share of the total held by that
    share of the population, poorest first (the diagonal when the total is 0).
    """
    shares = np.linspace(0.0, 1.0, points)
    v = np.sort(np.clip(values, 0.0, None))
    total = float(v.sum())
    if v.size == 0 or total <= 0.0:
        return shares, shares.copy()
    held = np.concatenate([[0.0], np.cumsum(v) / total])
    population = np.arange(v.size + 1) / v.size
    return shares, np.interp(shares, population, held)


def kaplan_meier(event_days: FloatArray, observed_days: FloatArray, at: FloatArray) -> FloatArray:
    """Kaplan-Meier share without the event at each of ``at`` days.

    Parameters
    ----------
    event_days
        Days from the origin to the event, ``inf`` (or anything beyond
        ``observed_days``) when it was not seen.
    observed_days
        Days each subject was observed for (censoring time).
    at
        Days at which to evaluate the curve.

    Returns
    -------
    numpy.ndarray
        The survival estimate, 1 before the first event; ``nan`` everywhere when
        there are no subjects.
    """
    if event_days.size == 0:
        return np.full(at.size, np.nan)
    seen = event_days <= observed_days
    time = np.where(seen, event_days, observed_days)
    event_times = np.unique(time[seen])
    if event_times.size == 0:
        return np.ones(at.size)
    at_risk = time.size - np.searchsorted(np.sort(time), event_times, side="left")
    events = np.bincount(
        np.searchsorted(event_times, time[seen]), minlength=event_times.size
    ).astype(np.float64)
    survival = np.cumprod(1.0 - events / at_risk)
    index = np.searchsorted(event_times, at, side="right") - 1
    return np.where(index >= 0, survival[np.maximum(index, 0)], 1.0)


_SEGMENT_KINDS = ("region", "membership", "cohort")
"""The columns of the freelancer frame that metrics are broken down by."""


def _categorical(codes: IntArray, names: list[str]) -> pd.Categorical[str]:
    # from the codes themselves: building it from labels would look each one up
    return pd.Categorical.from_codes(codes, categories=pd.Index(names))


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


class MetricsRecorder:
    """Counters the engine adds to while it runs.

    Parameters
    ----------
    window
        The replication's identity, recorded window and client parameters.
    pop, board, contracts
        The market's freelancers, job board and contracts in progress, which the
        recorder reads (and, for the population's recorded columns, adds to).
        Events that count only after the warm-up are told whether it is over
        (``recording``).
    """

    month_connects_spent = RowColumn[np.int64]()
    rec_bought = RowColumn[np.int64]()
    rec_boost_bids = RowColumn[np.int64]()

    def __init__(
        self, window: ReplicationWindow, pop: Population, board: JobBoard, contracts: ContractBook
    ) -> None:
        self.window = window
        self.pop = pop
        self.board = board
        self.contracts = contracts
        n = len(pop.skill)
        self.rows = pop.rows
        """Where ``month_connects_spent``, ``rec_bought`` and ``rec_boost_bids`` live: the
        population's browsing records (see :mod:`simulator.engine.rows`)."""
        self.rec_granted = np.zeros(n, dtype=np.int64)
        self.rec_earned = np.zeros(n, dtype=np.int64)
        # boosts: bids outbid, boosts charged, their Connects, hires won by them (the
        # bids placed are rec_boost_bids)
        self.rec_boost_outbid = np.zeros(n, dtype=np.int64)
        self.rec_boosted = np.zeros(n, dtype=np.int64)
        self.rec_boost_connects = np.zeros(n, dtype=np.int64)
        self.rec_boosted_hires = np.zeros(n, dtype=np.int64)
        days = int(np.ceil(window.end_day)) + 1
        self._daily = np.zeros((days, 6))
        self._today = np.zeros(6)
        self._day_index = 0
        self.hist = np.zeros(PROPOSAL_HISTOGRAM_MAX + 1, dtype=np.int64)
        self.month_start_proposals = np.zeros(n, dtype=np.int64)
        self.month_hist = np.zeros(FREELANCER_MONTH_MAX + 1, dtype=np.int64)
        self._month_start_day = 0.0
        self.jobs: dict[str, float] = dict.fromkeys(
            (
                "closed",
                "genuine",
                "hired",
                "proposals",
                "fifty_plus",
                "days_to_hire",
                "reviewed",
                "busy_reviewed",
                "hired_skill",
                "hired_quality",
                "client_surplus",
                "unfilled_by_screening",
                "reduced_effort",
                "connects_revenue_usd",
                "fee_revenue_usd",
                "service_fee_revenue_usd",
                "hires",
                "contract_days",
                "active_contracts_days",
                "recorded_days",
            ),
            0.0,
        )

    # ----------------------------------------------------------- growth
    def _fit(self, size: int) -> None:
        if size <= self.rec_granted.size:
            return
        grow = max(size, 2 * self.rec_granted.size)
        self.rows.ensure(grow)
        for name in (
            "rec_granted",
            "rec_earned",
            "rec_boost_outbid",
            "rec_boosted",
            "rec_boost_connects",
            "rec_boosted_hires",
            "month_start_proposals",
        ):
            old = getattr(self, name)
            new = np.zeros(grow, dtype=old.dtype)
            new[: old.size] = old
            setattr(self, name, new)

    def counters(self, recording: bool) -> RecordedCounters:
        """The counters compiled kernels add to (built at each call: the arrays are
        replaced as the population grows)."""
        pop = self.pop
        return RecordedCounters(
            recording,
            pop.rec_proposals,
            pop.rec_connects_spent,
            pop.rec_connects_spend_usd,
            pop.rec_connects_wasted_ghost,
            pop.rec_earnings_usd,
            self.rec_bought,
            self.rec_boost_bids,
            self.month_connects_spent,
        )

    # ----------------------------------------------------------- events
    def granted(self, rows: IntArray, n: IntArray, recording: bool) -> None:
        self._fit(self.pop.size)
        if recording:
            add_at(self.rec_granted, rows, n)

    def earned(self, rows: IntArray, n: IntArray, recording: bool) -> None:
        self._fit(self.pop.size)
        if recording:
            add_at(self.rec_earned, rows, n)

    def posted(self, slots: IntArray) -> None:
        self._today[2] += slots.size

    def proposals_sent(self, proposals: int, cost_usd: FloatArray, recording: bool) -> None:
        """Count a wave's proposals and Connects revenue (the per-freelancer totals are
        added by the browsing kernel itself)."""
        self._today[0] += proposals
        if recording:
            self.jobs["connects_revenue_usd"] += float(cost_usd.sum())

    def posts_closed(
        self,
        slots: IntArray,
        hired_agent: IntArray,
        hired_col: IntArray,
        reviewed: IntArray,
        busy: IntArray,
        day: float,
        recording: bool,
        stopped: BoolArray | None = None,
    ) -> None:
        """Record posts closing: proposals, hires, and what their clients reviewed
        (``hired_agent`` and ``hired_col`` give each post's hire, -1 for none;
        ``reviewed`` and ``busy`` count each post's reviewed proposals and those
        from freelancers already at capacity; ``stopped``, under sequential
        screening, whether the client stopped with proposals unread)."""
        if not recording:
            return
        board = self.board
        clients = self.window.clients
        counts, days_to_hire, skill, quality, surplus = closing_tallies(
            ClosedPosts(slots, hired_agent, hired_col, reviewed, busy),
            board.columns(),
            self.pop.skill,
            day,
            self.window.warmup_days,
            clients.reservation_score,
            self.hist,
        )
        closed, genuine, hired, proposals, fifty_plus, reviewed_n, busy_n = (int(c) for c in counts)
        if closed == 0:
            return
        j = self.jobs
        j["closed"] += closed
        j["genuine"] += float(genuine)
        j["hired"] += float(hired)
        j["proposals"] += float(proposals)
        j["fifty_plus"] += float(fifty_plus)
        # sums of the same arrays as NumPy made them, so that they round the same way
        j["days_to_hire"] += float(np.sum(days_to_hire))
        j["reviewed"] += float(reviewed_n)
        j["busy_reviewed"] += float(busy_n)
        j["hired_skill"] += float(skill.sum())
        j["hired_quality"] += float(quality.sum())
        j["client_surplus"] += float(surplus.sum())
        cost_per_read = clients.screening.cost_per_read
        if cost_per_read > 0.0:
            j["client_surplus"] -= cost_per_read * float(reviewed_n)
        if stopped is not None:
            counted = (board.post_day[slots] >= self.window.warmup_days) & ~board.ghost[slots]
            j["unfilled_by_screening"] += float(np.sum(counted & stopped & (hired_agent < 0)))

    def week_ended(self, week_proposals: IntArray, recording: bool) -> None:
        """Count the proposals of the week that ends sent with less than full effort
        (those beyond the weekly time budget)."""
        if recording:
            beyond = week_proposals - self.window.full_effort_proposals_per_week
            self.jobs["reduced_effort"] += float(np.maximum(beyond, 0).sum())

    def boosts_outbid(self, agents: IntArray, recorded: IntArray) -> None:
        """Count boost bids outbid (those placed while recording)."""
        add_at(self.rec_boost_outbid, agents, recorded)

    def boosts_charged(self, agents: IntArray, bids: IntArray, recorded: BoolArray) -> None:
        """Count boosts charged at review (those placed while recording) and their Connects."""
        add_at(self.rec_boosted, agents[recorded], 1)
        add_at(self.rec_boost_connects, agents[recorded], bids[recorded])

    def boosted_hires(self, agents: IntArray) -> None:
        """Count hires won by boosted proposals whose bids were placed while recording."""
        add_at(self.rec_boosted_hires, agents, 1)

    def refunded(self, agents: IntArray, connects: IntArray, recorded: BoolArray) -> None:
        """Refunded Connects no longer count as spent (if they were counted)."""
        add_at(self.pop.rec_connects_spent, agents[recorded], -connects[recorded])

    def wasted_on_ghosts(self, agents: IntArray, connects: IntArray, recording: bool) -> None:
        """Connects spent on ghost posts (negative when a recorded spend is refunded)."""
        if recording:
            add_at(self.pop.rec_connects_wasted_ghost, agents, connects)

    def hired(self, agents: IntArray, length_days: FloatArray, recording: bool) -> None:
        self._today[1] += agents.size
        if recording:
            add_at(self.pop.rec_hires, agents, 1)
            self.jobs["hires"] += agents.size
            self.jobs["contract_days"] += float(length_days.sum())

    def completed(self, service_fee_usd: FloatArray, recording: bool) -> None:
        """Service fees of ended contracts (their pay is added to the freelancers'
        earnings by the engine itself)."""
        if recording:
            self.jobs["service_fee_revenue_usd"] += float(service_fee_usd.sum())

    def fees(self, rows: IntArray, fee_usd: FloatArray, recording: bool) -> None:
        if recording:
            self.pop.rec_fee_usd[rows] += fee_usd
            self.jobs["fee_revenue_usd"] += float(fee_usd.sum())

    def entered(self, rows: IntArray) -> None:
        self._fit(self.pop.size)

    def month_ended(self, day: float) -> None:
        """Count the proposals of each freelancer present through the month ending at ``day``.

        Called before the month's exits and entries. Only months wholly inside
        the recorded window count, so a freelancer-month is a full month.
        """
        pop = self.pop
        n = pop.size
        month_start = day - DAYS_PER_MONTH
        if month_start >= self.window.warmup_days - 1e-9:
            rows = np.flatnonzero(pop.in_market[:n] & (pop.joined_day[:n] <= month_start + 1e-9))
            sent = pop.rec_proposals[rows] - self.month_start_proposals[rows]
            self.month_hist += np.bincount(
                np.minimum(sent, FREELANCER_MONTH_MAX), minlength=FREELANCER_MONTH_MAX + 1
            )
        self.month_start_proposals[:n] = pop.rec_proposals[:n]
        self._month_start_day = day

    def end_of_day(self, day: float) -> None:
        pop = self.pop
        self._today[3] = float(np.count_nonzero(pop.in_market[: pop.size]))
        self._today[4] = float(self.contracts.agent.size)
        self._today[5] = float(np.count_nonzero(self.board.open))
        if self._day_index < self._daily.shape[0]:
            self._daily[self._day_index] = self._today
        self._day_index += 1
        # the day ending at the warm-up's end is still warm-up
        if day > self.window.warmup_days + 1e-9:
            self.jobs["active_contracts_days"] += self._today[4]
            self.jobs["recorded_days"] += 1.0
        self._today = np.zeros(6)

    # ----------------------------------------------------------- results
    def result(self, segments: bool = True) -> ReplicationResult:
        """The replication's results; ``segments=False`` leaves out the metrics of each
        region, membership and cohort (most of the cost of a small run's results)."""
        w = self.window
        keys: dict[str, str | int] = {
            "arm": w.arm,
            "replication": w.replication,
            "root_seed": w.root_seed,
        }
        # one frame for both uses: building it is most of the cost of the results
        frame = self.freelancer_frame()
        metrics = self._segment_metrics(frame, segments)
        metrics = pd.concat([metrics, self._market_metrics()], ignore_index=True)
        for k, v in reversed(keys.items()):
            metrics.insert(0, k, v)
        days = self._day_index
        daily = pd.DataFrame(
            self._daily[:days],
            columns=[
                "proposals",
                "hires",
                "posts",
                "freelancers",
                "active_contracts",
                "open_posts",
            ],
        )
        daily.insert(0, "day", np.arange(1, days + 1, dtype=np.int64))
        for k, v in reversed(keys.items()):
            daily.insert(0, k, v)
        hist = pd.DataFrame(
            {"proposals": np.arange(PROPOSAL_HISTOGRAM_MAX + 1), "posts": self.hist}
        )
        for k, v in reversed(keys.items()):
            hist.insert(0, k, v)
        # the run ends on a month boundary that no monthly cycle follows
        if w.end_day - self._month_start_day >= DAYS_PER_MONTH - 1e-9:
            self.month_ended(w.end_day)
        dists = self._distributions(frame)
        for k, v in reversed(keys.items()):
            dists.insert(0, k, v)
        return ReplicationResult(w.arm, w.replication, w.root_seed, metrics, daily, hist, dists)

    def _distributions(self, f: pd.DataFrame) -> pd.DataFrame:
        parts = [
            (
                "proposals_per_freelancer_month",
                np.arange(FREELANCER_MONTH_MAX + 1),
                self.month_hist,
            ),
            ("lorenz_earnings", *lorenz(f["earnings_usd"].to_numpy(dtype=np.float64))),
        ]
        new = f[f["cohort"] == "new"]
        joined = new["joined_day"].to_numpy(dtype=np.float64)
        window = self.window
        end = np.minimum(new["left_day"].to_numpy(dtype=np.float64), window.end_day)
        first_hire = new["first_hire_day"].to_numpy(dtype=np.float64)
        days = np.arange(int(window.end_day - window.warmup_days) + 1, dtype=np.float64)
        parts.append(("new_unhired", days, kaplan_meier(first_hire - joined, end - joined, days)))
        return pd.concat(
            [
                pd.DataFrame(
                    {
                        "distribution": name,
                        "x": np.asarray(x, dtype=np.float64),
                        "value": np.asarray(v, dtype=np.float64),
                    }
                )
                for name, x, v in parts
            ],
            ignore_index=True,
        )

    def freelancer_frame(self) -> pd.DataFrame:
        """One row per freelancer present in the recorded window, with its totals."""
        pop = self.pop
        n = pop.size
        start, end = self.window.warmup_days, self.window.end_day
        joined = pop.joined_day[:n]
        left = pop.left_day[:n]
        exposure = np.clip(np.minimum(left, end) - np.maximum(joined, start), 0.0, None)
        present = exposure > 0
        rows = np.flatnonzero(present)
        income = pop.region_income_usd[pop.region[rows]]
        frame = pd.DataFrame(
            {
                "region": _categorical(pop.region[rows], pop.region_names),
                "membership": _categorical(pop.membership[rows], ["basic", "plus"]),
                "cohort": _categorical(
                    pop.new_cohort[rows].astype(np.int64), ["established", "new"]
                ),
                "months": exposure[rows] / DAYS_PER_MONTH,
                "income_usd": income,
                "proposals": pop.rec_proposals[rows],
                "hires": pop.rec_hires[rows],
                "connects_spent": pop.rec_connects_spent[rows],
                "connects_bought": self.rec_bought[rows],
                "boost_bids": self.rec_boost_bids[rows],
                "boost_outbid": self.rec_boost_outbid[rows],
                "boosted": self.rec_boosted[rows],
                "boost_connects": self.rec_boost_connects[rows],
                "boosted_hires": self.rec_boosted_hires[rows],
                "connects_granted": self.rec_granted[rows],
                "connects_earned": self.rec_earned[rows],
                "connects_wasted_ghost": pop.rec_connects_wasted_ghost[rows],
                "connects_usd": pop.rec_connects_spend_usd[rows],
                "fee_usd": pop.rec_fee_usd[rows],
                "earnings_usd": pop.rec_earnings_usd[rows],
                "joined_day": joined[rows],
                "left_day": left[rows],
                "first_hire_day": pop.first_hire_day[rows],
            }
        )
        frame["spend_usd"] = frame["connects_usd"] + frame["fee_usd"]
        return frame

    def _segment_metrics(self, f: pd.DataFrame, segments: bool = True) -> pd.DataFrame:
        start, end = self.window.warmup_days, self.window.end_day
        # NumPy columns and index arrays rather than pandas groups: some 50 sums per
        # segment, each a few microseconds in NumPy and tens in pandas, over 12
        # segments, at the end of every replication
        columns = {name: f[name].to_numpy() for name in f.columns if name not in _SEGMENT_KINDS}
        columns["cohort_new"] = (f["cohort"] == "new").to_numpy()
        totals = {
            "hires": _total(columns["hires"]),
            "earnings": _total(columns["earnings_usd"]),
            "months": _total(columns["months"]),
        }
        rows: list[tuple[str, str, str, float]] = []
        groups: list[tuple[str, str, dict[str, npt.NDArray[Any]]]] = [("overall", "all", columns)]
        for kind in _SEGMENT_KINDS if segments else ():
            codes = f[kind].cat.codes.to_numpy()
            # every category in order, empty ones too (as groupby(observed=False) gives)
            for code, name in enumerate(f[kind].cat.categories):
                members = np.flatnonzero(codes == code)
                groups.append((kind, str(name), {k: v[members] for k, v in columns.items()}))
        for kind, name, g in groups:
            for metric, value in _freelancer_metrics(g, totals, start, end).items():
                rows.append((kind, name, metric, value))
        return pd.DataFrame(rows, columns=["segment_kind", "segment", "metric", "value"])

    def _market_metrics(self) -> pd.DataFrame:
        j = self.jobs
        months = (self.window.end_day - self.window.warmup_days) / DAYS_PER_MONTH
        days = max(j["recorded_days"], 1.0)
        values = {
            "jobs_closed": j["closed"],
            "proposals_per_job": _ratio(j["proposals"], j["closed"]),
            "share_jobs_50plus": _ratio(j["fifty_plus"], j["closed"]),
            "fill_rate": _ratio(j["hired"], j["closed"]),
            "fill_rate_genuine": _ratio(j["hired"], j["genuine"]),
            "days_to_hire": _ratio(j["days_to_hire"], j["hired"]),
            "proposals_reviewed_per_hire": _ratio(j["reviewed"], j["hired"]),
            "proposals_read_per_post": _ratio(j["reviewed"], j["genuine"]),
            "screening_hours_per_hire": _ratio(
                j["reviewed"] * self.window.clients.minutes_per_read / 60.0, j["hired"]
            ),
            "unfilled_by_screening_share": _ratio(j["unfilled_by_screening"], j["genuine"]),
            "reduced_effort_share_of_proposals": _ratio(
                j["reduced_effort"], float(self.pop.rec_proposals[: self.pop.size].sum())
            ),
            "hired_skill": _ratio(j["hired_skill"], j["hired"]),
            "hired_proposal_quality": _ratio(j["hired_quality"], j["hired"]),
            "busy_share_of_reviewed": _ratio(j["busy_reviewed"], j["reviewed"]),
            "client_surplus_per_post": _ratio(j["client_surplus"], j["genuine"]),
            "connects_revenue_usd_per_month": j["connects_revenue_usd"] / months,
            "membership_revenue_usd_per_month": j["fee_revenue_usd"] / months,
            "service_fee_revenue_usd_per_month": j["service_fee_revenue_usd"] / months,
            "mean_active_contracts": j["active_contracts_days"] / days,
            "hires_per_day_x_contract_days": (j["hires"] / days)
            * _ratio(j["contract_days"], j["hires"]),
        }
        return pd.DataFrame(
            [("overall", "all", k, float(v)) for k, v in values.items()],
            columns=["segment_kind", "segment", "metric", "value"],
        )


def _total(values: npt.NDArray[Any]) -> float:
    """The sum of ``values`` as pandas' ``Series.sum`` makes it: NaN left out, and
    added in the same (pairwise) order, so the totals are bit for bit the same."""
    return float(np.nansum(values))


def _mean(values: npt.NDArray[Any]) -> float:
    """The mean of ``values`` as pandas' ``Series.mean`` makes it (NaN left out; NaN
    when nothing is left)."""
    count = int(np.count_nonzero(~np.isnan(values)))
    return _total(values) / count if count else float("nan")


def _freelancer_metrics(
    g: Mapping[str, npt.NDArray[Any]], totals: dict[str, float], start: float, end: float
) -> dict[str, float]:
    size = float(g["months"].size)
    months = _total(g["months"])
    proposals = _total(g["proposals"])
    hires = _total(g["hires"])
    earnings = _total(g["earnings_usd"])
    spend = _total(g["spend_usd"])
    boosted = _total(g["boosted"])
    boosted_hires = _total(g["boosted_hires"])
    new = g["cohort_new"]
    hired_new = new & np.isfinite(g["first_hire_day"])
    old_enough = new & (g["joined_day"] <= end - 60.0)
    per_month = months if months > 0 else float("nan")
    income = g["income_usd"]

    def per_freelancer_month(name: str) -> float:
        return _total(g[name]) / per_month

    return {
        "freelancers": size,
        "freelancer_months": months,
        "proposals_per_freelancer_month": proposals / per_month,
        "hires_per_proposal": _ratio(hires, proposals),
        "share_with_hire": _ratio(float(np.count_nonzero(g["hires"] > 0)), size),
        "connects_spent_per_freelancer_month": per_freelancer_month("connects_spent"),
        "connects_bought_per_freelancer_month": per_freelancer_month("connects_bought"),
        "connects_granted_per_freelancer_month": per_freelancer_month("connects_granted"),
        "connects_earned_per_freelancer_month": per_freelancer_month("connects_earned"),
        "connects_wasted_on_ghosts_per_freelancer_month": per_freelancer_month(
            "connects_wasted_ghost"
        ),
        "connects_spend_usd_per_freelancer_month": per_freelancer_month("connects_usd"),
        # each freelancer's own monthly spend, weighted by months present: published
        # figures describe the typical freelancer ("most spend $5 or less"), not the mean
        "median_connects_spend_usd_per_freelancer_month": weighted_median(
            g["connects_usd"] / np.where(g["months"] > 0, g["months"], np.nan),
            g["months"].astype(np.float64),
        ),
        "fee_usd_per_freelancer_month": per_freelancer_month("fee_usd"),
        "total_spend_usd_per_freelancer_month": spend / per_month,
        "earnings_usd_per_freelancer_month": earnings / per_month,
        # spend per month of presence over regional income, averaged over freelancer-months
        "connects_spend_share_of_income": _total(g["connects_usd"] / income) / per_month,
        "fee_share_of_income": _total(g["fee_usd"] / income) / per_month,
        "total_spend_share_of_income": _total(g["spend_usd"] / income) / per_month,
        "spend_share_of_earnings": _ratio(spend, earnings),
        "share_spend_exceeds_earnings": _ratio(
            float(np.count_nonzero(g["spend_usd"] > g["earnings_usd"] + 1e-9)), size
        ),
        "boost_bids_per_freelancer_month": per_freelancer_month("boost_bids"),
        "boost_connects_per_freelancer_month": per_freelancer_month("boost_connects"),
        "boosted_share_of_proposals": _ratio(boosted, proposals),
        "boost_outbid_share": _ratio(_total(g["boost_outbid"]), _total(g["boost_bids"])),
        "hires_per_boosted_proposal": _ratio(boosted_hires, boosted),
        "hires_per_unboosted_proposal": _ratio(hires - boosted_hires, proposals - boosted),
        "days_to_first_hire": _mean(
            (g["first_hire_day"] - g["joined_day"])[hired_new].astype(np.float64)
        ),
        "new_hired_within_60_days": _ratio(
            float(np.count_nonzero((g["first_hire_day"] - g["joined_day"])[old_enough] <= 60.0)),
            float(np.count_nonzero(old_enough)),
        ),
        "share_of_hires": _ratio(hires, totals["hires"]),
        "share_of_earnings": _ratio(earnings, totals["earnings"]),
        "population_share": _ratio(months, totals["months"]),
        "gini_earnings": gini(g["earnings_usd"].astype(np.float64)),
        # strictly after the warm-up's end for both: a freelancer leaving at that
        # instant is never present in the window, so joins there are left out too
        "entries": float(np.count_nonzero((g["joined_day"] > start) & (g["joined_day"] < end))),
        "exits": float(np.count_nonzero((g["left_day"] > start) & (g["left_day"] < end))),
    }
