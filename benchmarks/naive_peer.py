"""The market as a SimPy tutorial would write it: the engine's naive peer.

A process per freelancer (sleeping until its next browsing session), a process
per job post (open until its client decides) and per contract, and a small
object per proposal. No arrays, no compiled code: every view of a post is a
few lines of Python. It exists for two reasons (connectsim issue 16):

* **A yardstick for speed.** ``benchmarks/bench_engine.py`` divides the
  engine's proposals a second by this peer's, on the same world.
* **An independent check.** Written from docs/model.md rather than from the
  engine's code, it must give the same proposals per post and hires per
  proposal as the engine (``tests/benchmarks/test_naive_peer.py``).

It implements the mechanics of the reference market (the paid arm of
``scenarios/reference_market.yaml``): regions, Basic and Plus memberships with
their fees, monthly grants, rollover caps and Connects kept as lots by month of
issue (spent oldest first, free before bought, expiring), the one-time grant for
new accounts, the proposal cost rule of the arm (flat, by tier or by budget
brackets), bundles bought within the month's budget (schema version 1's
``income_share`` rule), the bidding rule of docs/model.md §5.3 with the pacing
shadow price of free Connects, the weekly time budget and the effort factor of
§5.4, clients who read the first K proposals (the ``first_k`` rule), hire the
best one from a freelancer with room, contracts, five-star reviews, and the
monthly cycle of exits (losing months, churn) and entries (§8). Timing follows
docs/model.md §2: posts close and contracts end at the first wave start at or
after their time, a freelancer browses at most once a wave, at a uniform moment
in it, looking at ``jobs_viewed_per_session`` posts per session of that wave.

What it does not implement it refuses (:class:`NotImplementedError` naming the
field), so that a shared scenario turns such a mechanic off in both rather than
having the two approximate it differently: the wallet budget, sequential
screening, boosts, refunds, earned Connects, eligibility rules, daily refills,
the first proposal free, membership choice, applicant caps, closing when K
proposals are in, textbook rounds and a weekly cycle in the posting rate.

Its random numbers come from its own generators (seeded from the replication's
``SeedSequence``), drawn one at a time where a tutorial would draw them, so it
agrees with the engine in distribution, not draw for draw: the engine's
client taste and reviews are hashes of the two parties' keys (common random
numbers across arms), the peer's are plain normal and uniform draws, which is
the same law within one arm (a freelancer sends at most one proposal to a post).

Usage::

    python benchmarks/naive_peer.py [SCENARIO] [--arm paid] [--set PATH=VALUE]
"""

from __future__ import annotations

import argparse
import bisect
import math
import time
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import simpy

from simulator.config.loading import load_scenario
from simulator.config.policy import BudgetCost, CreditPolicy, FlatCost, TierCost
from simulator.config.scenario import (
    TIERS,
    FirstKScreening,
    IncomeShareBudget,
    Scenario,
)

DAYS_PER_MONTH = 30.0
"""Months are 30 days (docs/model.md §2)."""

MAX_SESSIONS_PER_WAVE = 8
"""Sessions counted per freelancer and wave at most (docs/model.md §5.2)."""

BUCKET_LOWER_EDGES = (0, 5, 10, 15, 20, 50)
"""Smallest proposal count of each bucket a post shows (docs/model.md §5.3)."""

BUCKET_MIDPOINTS = (2.0, 7.5, 12.5, 17.5, 35.0, 60.0)
"""What a freelancer takes each bucket to mean."""

MEMBERSHIPS = ("basic", "plus")

REFERENCE = Path(__file__).resolve().parent.parent / "scenarios" / "reference_market.yaml"


@dataclass(slots=True)
class Freelancer:
    """One freelancer: traits drawn when it joins, and its state."""

    region: int
    plus: bool
    category: int
    skill: float
    asking_rate: float
    reservation_rate: float
    sessions_per_day: float
    month_budget_usd: float
    completed: int
    five_star: int
    joined_day: float
    in_market: bool = True
    active_contracts: int = 0
    last_seen: int = 0
    """How far down its category's feed it has looked (a feed position)."""
    week_proposals: int = 0
    month_spend_usd: float = 0.0
    month_earnings_usd: float = 0.0
    losing_months: int = 0
    free_lots: dict[int, int] = field(default_factory=dict)
    """Free Connects by month of issue (dicts keep insertion order: oldest first)."""
    paid_lots: dict[int, int] = field(default_factory=dict)
    """Bought Connects by month of issue."""

    @property
    def free_balance(self) -> int:
        """Free Connects in hand."""
        return sum(self.free_lots.values())

    @property
    def paid_balance(self) -> int:
        """Bought Connects in hand."""
        return sum(self.paid_lots.values())


@dataclass(slots=True)
class Proposal:
    """One proposal: who sent it and how the client will score it."""

    freelancer: Freelancer
    score: float


@dataclass(slots=True)
class Post:
    """One job post and the proposals it has received."""

    day: float
    category: int
    budget_usd: float
    hours: float
    connects: int
    ghost: bool
    close_day: float
    proposals: list[Proposal] = field(default_factory=list)
    open: bool = True


@dataclass(frozen=True, slots=True)
class PeerResult:
    """What one run of the peer measured."""

    proposals_per_post: float
    """Proposals received by the posts posted after the warm-up and closed before the
    end, over those posts (the engine's ``proposals_per_job``)."""
    hires_per_proposal: float
    """Hires made after the warm-up over proposals sent after it (the engine's
    ``hires_per_proposal``)."""
    proposals: int
    """Every proposal simulated, warm-up included (for proposals a second)."""
    recorded_proposals: int
    hires: int
    posts_closed: int
    seconds: float
    """Wall time of the simulation (building the initial market not included)."""


def _take_oldest_first(lots: dict[int, int], amount: int) -> None:
    """Remove ``amount`` Connects from ``lots``, oldest lot first."""
    for month in list(lots):
        if amount == 0:
            return
        taken = min(lots[month], amount)
        lots[month] -= taken
        amount -= taken
        if lots[month] == 0:
            del lots[month]
    if amount:
        raise RuntimeError("a freelancer spent Connects it did not have")


def _bundle(shortfall: int, sizes: list[int]) -> int:
    """Connects bought for a shortfall: as many of the largest bundle as needed, then
    the smallest bundle that covers the rest (docs/model.md §5.3)."""
    largest = sizes[-1]
    whole, rest = divmod(shortfall, largest)
    if rest == 0:
        return whole * largest
    return whole * largest + next(s for s in sizes if s >= rest)


_EARNINGS = (
    "per_five_star_review",
    "per_completed_project",
    "per_course",
    "per_community_post",
    "per_interview",
)
"""The ways a policy can pay Connects for activity (none is implemented)."""


def _refuse_unsupported(scenario: Scenario, policy: CreditPolicy) -> None:
    """Raise NotImplementedError for a mechanic the peer leaves out."""
    world = scenario.world
    unsupported = {
        "world.population.budget (only rule income_share)": not isinstance(
            world.population.budget, IncomeShareBudget
        ),
        "world.clients.screening (only rule first_k)": not isinstance(
            world.clients.screening, FirstKScreening
        ),
        "world.clients.applicant_cap": world.clients.applicant_cap is not None,
        "world.clients.close_when_reviewed_full": world.clients.close_when_reviewed_full,
        "world.jobs.weekly_amplitude": world.jobs.weekly_amplitude != 0.0,
        "world.textbook": world.textbook is not None,
        "world.behaviour.membership_choice (only drawn)": world.behaviour.membership_choice
        != "drawn",
        "boosts": policy.boosts.enabled,
        "refunds": any(policy.refunds.model_dump().values()),
        "earning": any(getattr(policy.earning, name) for name in _EARNINGS),
        "eligibility": policy.eligibility.require_verified
        or policy.eligibility.min_rating > 0.0
        or policy.eligibility.active_within_days is not None,
        "daily_refill": policy.daily_refill > 0,
        "first_proposal_free": policy.first_proposal_free,
    }
    refused = [name for name, on in unsupported.items() if on]
    if refused:
        raise NotImplementedError(f"the naive peer does not implement: {', '.join(refused)}")


class NaivePeer:
    """One replication of one arm of a scenario, as plain SimPy processes and objects."""

    def __init__(self, scenario: Scenario, arm: str, replication: int = 0) -> None:
        policy = scenario.arms[arm]
        _refuse_unsupported(scenario, policy)
        self.scenario = scenario
        self.policy = policy
        world = scenario.world
        self.world = world
        self.pop = world.population
        self.clients = world.clients
        self.behaviour = world.behaviour
        self.terms = world.contracts

        # one generator per source, spawned from the replication's seed sequence
        seed = np.random.SeedSequence(scenario.run.seed, spawn_key=(replication,))
        streams = seed.spawn(5)
        self.rng_people = np.random.default_rng(streams[0])
        self.rng_jobs = np.random.default_rng(streams[1])
        self.rng_sessions = np.random.default_rng(streams[2])
        self.rng_clients = np.random.default_rng(streams[3])
        self.rng_months = np.random.default_rng(streams[4])

        self.waves_per_day = round(1.0 / scenario.run.wave_days)
        self.wave_days = 1.0 / self.waves_per_day
        self.warmup_days = scenario.run.warmup_days
        self.end_day = scenario.run.warmup_days + scenario.run.horizon_days

        regions = list(world.regions.values())
        self.region_share = [r.share for r in regions]
        self.region_plus_share = [r.plus_share for r in regions]
        self.region_rate = [r.typical_rate_usd_per_hour for r in regions]
        income_share = world.population.budget
        assert isinstance(income_share, IncomeShareBudget)
        self.region_budget = [r.monthly_income_usd * income_share.share_of_income for r in regions]
        self.price = [
            policy.price_usd_per_connect
            * (r.connect_price_multiplier if policy.regional_pricing else 1.0)
            for r in regions
        ]
        self.bundles = sorted(policy.bundle_sizes)
        self.fee = [world.memberships[m].fee_usd_per_month for m in MEMBERSHIPS]
        self.grant = [policy.monthly_grant.get(m, 0) for m in MEMBERSHIPS]
        self.rollover_cap = [policy.rollover_cap.get(m) for m in MEMBERSHIPS]
        tiers = [world.jobs.tiers[t] for t in TIERS]
        self.tier_share = [t.share for t in tiers]
        self.tier_log_median = [math.log(t.budget_median_usd) for t in tiers]
        self.tier_sigma = [t.budget_sigma for t in tiers]
        self.tier_client_rate = [t.client_rate_usd_per_hour for t in tiers]
        weights = self.clients.weight_quality + self.clients.weight_rating
        weights += self.clients.weight_price
        self.score_weights = weights if weights > 0.0 else 1.0

        self.env = simpy.Environment()
        self.month = 0
        self.freelancers: list[Freelancer] = []
        # each category's feed: the newest posts only (nobody looks further back than
        # jobs_viewed_per_session x MAX_SESSIONS_PER_WAVE), and how many were ever posted
        lookback = self.pop.jobs_viewed_per_session * MAX_SESSIONS_PER_WAVE
        self.feeds: list[deque[Post]] = [deque(maxlen=lookback) for _ in range(self.pop.categories)]
        self.feed_count = [0] * self.pop.categories

        # what happens at a wave start, by wave index: posts close (their clients decide),
        # then contracts end, as in the engine (docs/model.md §2); a process waiting for
        # a wave start waits on one of these events, which the wave clock triggers
        self.closings: dict[int, simpy.Event] = {}
        self.endings: dict[int, simpy.Event] = {}

        self.proposals = 0
        self.recorded_proposals = 0
        self.hires = 0
        self.posts_closed = 0
        self.posts_closed_proposals = 0

        # day 0: the initial freelancers, their one-time and monthly grants and fees
        established = 1.0 - self.pop.new_share
        for _ in range(self.pop.freelancers):
            self._join(0.0, established)
        # the calendar first: at a shared instant SimPy runs events in the order they
        # were scheduled, and month starts and weekly resets come before the wave's
        # closings, as in the engine
        self.env.process(self._monthly())
        self.env.process(self._weekly())
        self.env.process(self._wave_clock())
        self.env.process(self._job_stream())

    # ------------------------------------------------------------ freelancers
    def _join(self, day: float, established_share: float) -> Freelancer:
        """A new freelancer: draw its traits, grant, charge, and start its process."""
        rng, p = self.rng_people, self.pop
        region = int(rng.choice(len(self.region_share), p=self.region_share))
        skill = float(rng.beta(p.skill_beta_a, p.skill_beta_b))
        rate = self.region_rate[region] * math.exp(
            p.rate_sigma * rng.standard_normal() - 0.5 * p.rate_sigma**2
        )
        completed = 0
        five_star = 0
        if rng.random() < established_share:
            # at least one past job, history_jobs_mean on average
            completed = int(rng.geometric(1.0 / p.history_jobs_mean))
            five_star = int(rng.binomial(completed, self._five_star_probability(skill)))
        f = Freelancer(
            region=region,
            plus=bool(rng.random() < self.region_plus_share[region]),
            category=int(rng.integers(p.categories)),
            skill=skill,
            asking_rate=rate,
            reservation_rate=rate * p.reservation_rate_share,
            sessions_per_day=float(
                rng.gamma(
                    p.sessions_per_day_shape, p.sessions_per_day_mean / p.sessions_per_day_shape
                )
            ),
            month_budget_usd=self.region_budget[region],
            completed=completed,
            five_star=five_star,
            joined_day=day,
        )
        f.last_seen = self.feed_count[f.category]
        if completed == 0:
            one_time = self.policy.new_account_grant
            if rng.random() < self.policy.readiness_pass_share:
                one_time += self.policy.readiness_test_grant
            self._give_free(f, one_time)
        self._give_free(f, self.grant[f.plus])
        f.month_spend_usd += self.fee[f.plus]
        self.freelancers.append(f)
        self.env.process(self._browsing(f))
        return f

    def _give_free(self, f: Freelancer, connects: int) -> None:
        if connects > 0:
            f.free_lots[self.month] = f.free_lots.get(self.month, 0) + connects

    def _five_star_probability(self, skill: float) -> float:
        t = self.terms
        return min(max(t.five_star_base + t.five_star_per_skill * skill, 0.0), 1.0)

    def _browsing(self, f: Freelancer) -> Generator[simpy.Event, None, None]:
        """A freelancer's life: sleep until the next wave it browses in, then browse.

        It browses in a wave with the probability that a Poisson number of
        sessions, at its rate, is at least one; waves are independent, so the
        next such wave is a geometric number of waves ahead. It browses once,
        at a uniform moment of that wave, looking at as many posts as it has
        sessions there (docs/model.md §5.2).
        """
        rate = f.sessions_per_day * self.wave_days
        p_none = math.exp(-rate)
        wave = round(self.env.now * self.waves_per_day) - 1
        while True:
            wave += int(self.rng_sessions.geometric(1.0 - p_none))
            moment = (wave + self.rng_sessions.random()) * self.wave_days
            yield self.env.timeout(moment - self.env.now)
            if not f.in_market:
                return
            # contracts start and end only at wave starts: room now is room at its start
            if f.active_contracts >= self.pop.capacity_contracts:
                continue
            self._browse(f, self._sessions(rate, p_none), wave * self.wave_days)

    def _sessions(self, rate: float, p_none: float) -> int:
        """Sessions in a wave, given at least one: a Poisson count at ``rate``, at most
        MAX_SESSIONS_PER_WAVE, by inverting its distribution above zero."""
        u = p_none + (1.0 - p_none) * self.rng_sessions.random()
        term = p_none
        below = p_none
        k = 1
        while k < MAX_SESSIONS_PER_WAVE:
            term *= rate / k
            if u <= below + term:
                break
            below += term
            k += 1
        return k

    def _browse(self, f: Freelancer, sessions: int, wave_start: float) -> None:
        """Look at the newest unseen posts of the category, newest first, and bid on
        each that is worth its Connects (docs/model.md §5.3)."""
        c, beh, cl = f.category, self.behaviour, self.clients
        newest = self.feed_count[c]
        oldest = max(f.last_seen, newest - self.pop.jobs_viewed_per_session * sessions)
        f.last_seen = max(f.last_seen, newest)
        if oldest >= newest:
            return
        feed = self.feeds[c]
        first_in_feed = newest - len(feed)

        rating = (f.five_star + 1.0) / (f.completed + 2.0)
        seen_rating = cl.new_freelancer_rating if f.completed == 0 else rating
        strength = f.skill + seen_rating
        effort_cost = beh.proposal_hours * f.reservation_rate
        price = self.price[f.region]
        days_to_grant = (self.month + 1) * DAYS_PER_MONTH - wave_start
        planned_use = max(days_to_grant * beh.pacing_connects_per_day, 1e-9)
        recording = self.env.now >= self.warmup_days - 1e-9
        free_left = f.free_balance
        paid_left = f.paid_balance
        for position in range(newest - 1, oldest - 1, -1):
            post = feed[position - first_in_feed]
            if not post.open:
                continue
            count = len(post.proposals)
            quote = min(post.budget_usd, f.asking_rate * post.hours)
            surplus = quote * (1.0 - self.terms.service_fee_share) - f.reservation_rate * post.hours
            bucket = bisect.bisect_right(BUCKET_LOWER_EDGES, count) - 1
            competitors = BUCKET_MIDPOINTS[bucket] * beh.expected_final_proposals_multiplier
            p_win = beh.believed_hire_rate * strength / (strength + competitors)
            gain = p_win * surplus - effort_cost
            if gain <= 0.0:
                continue
            need = post.connects
            from_free = min(need, free_left)
            from_paid = need - from_free
            buy = 0
            if from_paid > paid_left:
                if not self.policy.purchase_allowed:
                    continue
                buy = _bundle(from_paid - paid_left, self.bundles)
                money_left = f.month_budget_usd - f.month_spend_usd
                if buy * price > money_left + 1e-9:
                    continue
            scarcity = min(max(1.0 - free_left / planned_use, 0.0), 1.0)
            shadow = beh.pacing_value_usd_per_connect * scarcity
            if gain <= from_free * shadow + from_paid * price:
                continue

            # send it: buy, then pay free Connects first, oldest lots first
            if buy:
                f.paid_lots[self.month] = f.paid_lots.get(self.month, 0) + buy
                f.month_spend_usd += buy * price
            _take_oldest_first(f.free_lots, from_free)
            _take_oldest_first(f.paid_lots, from_paid)
            free_left -= from_free
            paid_left += buy - from_paid
            effort = beh.weekly_proposal_hours / ((f.week_proposals + 1.0) * beh.proposal_hours)
            effort = min(max(effort, beh.min_effort), 1.0)
            f.week_proposals += 1
            fit = min(max(1.0 - quote / (2.0 * post.budget_usd), 0.0), 1.0)
            score = (
                cl.weight_quality * f.skill * effort
                + cl.weight_rating * seen_rating
                + cl.weight_price * fit
            ) / self.score_weights
            if cl.noise_sd > 0.0:
                score += cl.noise_sd * self.rng_clients.standard_normal()
            post.proposals.append(Proposal(f, score))
            self.proposals += 1
            if recording:
                self.recorded_proposals += 1

    # ------------------------------------------------------------------ jobs
    def _job_stream(self) -> Generator[simpy.Event, None, None]:
        """Posts arrive as a Poisson process; each gets its own process."""
        rng, jobs = self.rng_jobs, self.world.jobs
        while True:
            yield self.env.timeout(rng.exponential(1.0 / jobs.jobs_per_day))
            tier = int(rng.choice(len(self.tier_share), p=self.tier_share))
            budget = math.exp(
                self.tier_log_median[tier] + self.tier_sigma[tier] * rng.standard_normal()
            )
            ghost = bool(rng.random() < jobs.ghost_share)
            removed = ghost and bool(rng.random() < jobs.ghost_removed_share)
            decision = min(float(rng.exponential(jobs.decision_days_mean)), jobs.open_days_max)
            # a ghost that moderation does not remove stays until it expires
            open_days = jobs.open_days_max if ghost and not removed else decision
            post = Post(
                day=self.env.now,
                category=int(rng.integers(self.pop.categories)),
                budget_usd=budget,
                hours=budget / self.tier_client_rate[tier],
                connects=self._connects(tier, budget),
                ghost=ghost,
                close_day=self.env.now + open_days,
            )
            self.feeds[post.category].append(post)
            self.feed_count[post.category] += 1
            self.env.process(self._post(post))

    def _connects(self, tier: int, budget_usd: float) -> int:
        """Connects a proposal to this post costs, by the arm's rule."""
        cost = self.policy.proposal_cost
        if isinstance(cost, FlatCost):
            return cost.connects
        if isinstance(cost, TierCost):
            return (cost.entry, cost.intermediate, cost.expert)[tier]
        assert isinstance(cost, BudgetCost)
        # a threshold is its bracket's inclusive upper limit
        return cost.connects[bisect.bisect_left(cost.thresholds_usd, budget_usd)] * cost.multiplier

    def _wave_start(self, events: dict[int, simpy.Event], day: float) -> simpy.Event:
        """The event of the first wave start at or after ``day`` (later than now)."""
        wave = max(
            math.ceil(day * self.waves_per_day - 1e-9),
            math.floor(self.env.now * self.waves_per_day + 1e-9) + 1,
        )
        if wave not in events:
            events[wave] = self.env.event()
        return events[wave]

    def _wave_clock(self) -> Generator[simpy.Event, None, None]:
        """Trigger each wave start's closings, then its contract ends."""
        wave = 0
        while True:
            # succeeded in this order, they are processed in this order, and the
            # processes waiting on each resume in the order they began to wait
            for events in (self.closings, self.endings):
                event = events.pop(wave, None)
                if event is not None:
                    event.succeed()
            wave += 1
            # aim at the wave's absolute time, so that rounding errors do not add up
            yield self.env.timeout(wave / self.waves_per_day - self.env.now)

    def _post(self, post: Post) -> Generator[simpy.Event, None, None]:
        """A post is open until the first wave start at or after its closing time; then
        its client reads the first K proposals and hires the best one it can."""
        # posts closing at the same wave start decide in posting order: each began to
        # wait when it was posted
        yield self._wave_start(self.closings, post.close_day)
        post.open = False
        now = self.env.now
        if post.day >= self.warmup_days - 1e-9:
            self.posts_closed += 1
            self.posts_closed_proposals += len(post.proposals)
        if post.ghost:
            return
        cl, capacity = self.clients, self.pop.capacity_contracts
        best: Proposal | None = None
        for proposal in post.proposals[: cl.max_reviewed]:
            f = proposal.freelancer
            if cl.recall and (f.active_contracts >= capacity or not f.in_market):
                continue
            if proposal.score >= cl.reservation_score and (
                best is None or proposal.score > best.score
            ):
                best = proposal
        post.proposals.clear()  # nothing reads them again: let them go
        if best is None:
            return
        f = best.freelancer
        if not cl.recall and (f.active_contracts >= capacity or not f.in_market):
            return
        f.active_contracts += 1
        if now >= self.warmup_days - 1e-9:
            self.hires += 1
        value = min(post.budget_usd, f.asking_rate * post.hours)
        self.env.process(self._contract(f, value, now + post.hours / self.terms.hours_per_day))

    def _contract(
        self, f: Freelancer, value_usd: float, end_day: float
    ) -> Generator[simpy.Event, None, None]:
        """Work until the first wave start at or after the end (after that wave start's
        posts have decided), then get paid and reviewed."""
        yield self._wave_start(self.endings, end_day)
        f.active_contracts -= 1
        f.completed += 1
        if self.rng_clients.random() < self._five_star_probability(f.skill):
            f.five_star += 1
        f.month_earnings_usd += value_usd * (1.0 - self.terms.service_fee_share)

    # --------------------------------------------------------------- calendar
    def _weekly(self) -> Generator[simpy.Event, None, None]:
        while True:
            yield self.env.timeout(7.0)
            for f in self.freelancers:
                f.week_proposals = 0

    def _monthly(self) -> Generator[simpy.Event, None, None]:
        """Exits, expiry and rollover, entries, grants and fees (docs/model.md §8)."""
        p, rng = self.pop, self.rng_months
        while True:
            yield self.env.timeout(DAYS_PER_MONTH)
            day = self.env.now
            for f in self.freelancers:
                if not f.in_market:
                    continue
                churn = rng.random() < p.churn_per_month
                losing = f.month_spend_usd > f.month_earnings_usd + 1e-9
                f.losing_months = f.losing_months + 1 if losing else 0
                if f.active_contracts == 0 and (
                    f.losing_months >= p.exit_after_losing_months or churn
                ):
                    f.in_market = False
            self.month += 1
            free_expiry = self.policy.free_expiry_months
            paid_expiry = self.policy.purchased_expiry_months
            for f in self.freelancers:
                if not f.in_market:
                    continue
                f.month_spend_usd = 0.0
                f.month_earnings_usd = 0.0
                if free_expiry is not None:
                    f.free_lots.pop(self.month - free_expiry, None)
                if paid_expiry is not None:
                    f.paid_lots.pop(self.month - paid_expiry, None)
                cap = self.rollover_cap[f.plus]
                if cap is not None and f.free_balance > cap:
                    _take_oldest_first(f.free_lots, f.free_balance - cap)
            for _ in range(int(rng.poisson(p.entrants_per_month_share * p.freelancers))):
                self._join(day, established_share=0.0)
            for f in self.freelancers:
                # entrants got theirs on joining
                if f.in_market and f.joined_day < day:
                    self._give_free(f, self.grant[f.plus])
                    f.month_spend_usd += self.fee[f.plus]

    # -------------------------------------------------------------------- run
    def run(self) -> PeerResult:
        """Run the warm-up and the horizon; nothing scheduled at the end instant runs."""
        start = time.perf_counter()
        self.env.run(until=self.end_day)
        seconds = time.perf_counter() - start
        return PeerResult(
            proposals_per_post=self.posts_closed_proposals / max(self.posts_closed, 1),
            hires_per_proposal=self.hires / max(self.recorded_proposals, 1),
            proposals=self.proposals,
            recorded_proposals=self.recorded_proposals,
            hires=self.hires,
            posts_closed=self.posts_closed,
            seconds=seconds,
        )


def run_peer(scenario: Scenario, arm: str, replication: int = 0) -> PeerResult:
    """Run one replication of one arm with the naive peer."""
    return NaivePeer(scenario, arm, replication).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path, default=REFERENCE)
    parser.add_argument("--arm", default="paid")
    parser.add_argument("--replication", type=int, default=0)
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE"
    )
    args = parser.parse_args()
    scenario = load_scenario(args.scenario, args.overrides)
    r = run_peer(scenario, args.arm, args.replication)
    print(f"{scenario.name}, arm {args.arm}, replication {args.replication}")
    print(f"  proposals per post      {r.proposals_per_post:10.3f}")
    print(f"  hires per proposal      {r.hires_per_proposal:10.4f}")
    print(f"  proposals simulated     {r.proposals:10,d} in {r.seconds:.1f} s")
    print(f"  proposals per second    {r.proposals / r.seconds:10,.0f}")


if __name__ == "__main__":
    main()
