"""The market: a SimPy engine whose events act on whole batches of agents.

SimPy owns time. Six processes share one environment: the job stream, the
browsing waves, the clients' decisions, contract completions, the weekly
reset and the monthly cycle (grants, expiry, fees, eligibility, exits and
entries), plus a daily recorder. Each event acts on every agent concerned at
once, with array operations or a compiled loop (:mod:`simulator.engine.bidding`):
there is no SimPy event and no Python object per proposal, which is what lets
a replication of a large market run in seconds.

A replication is a pure function of (scenario, arm, root seed, replication):
see :func:`run_replication`.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import numpy as np
import numpy.typing as npt
import simpy

from simulator.config.scenario import Scenario, SequentialScreening, WalletBudget
from simulator.engine.bidding import (
    BiddingParameters,
    PolicyPrices,
    WaveOutputs,
    WaveSessions,
    browse_wave,
    choose_hires,
    draw_sessions,
    order_sessions,
)
from simulator.engine.boosts import settle_boosts
from simulator.engine.contracts import (
    ContractBook,
    ContractTerms,
    complete_contracts,
    start_contracts,
)
from simulator.engine.jobs import JobBoard, ProposalLog
from simulator.engine.ledger import DAYS_PER_MONTH, ConnectsLedger
from simulator.engine.population import Population
from simulator.engine.recorder import MetricsRecorder, ReplicationResult, ReplicationWindow
from simulator.engine.resources import check_replication_memory
from simulator.engine.rng import replication_seed, spawn_streams
from simulator.engine.screening import screen_and_hire

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MAX_SESSIONS_PER_WAVE = 8
"""Sessions counted per freelancer and wave at most (a cap on the feed's lookback)."""


class _Scratch:
    """Reusable int64 output buffers for the browsing kernel.

    Fresh arrays every wave would cost page faults on megabytes of new memory
    each time; these grow when needed and are otherwise reused. Callers get
    views of the first ``n`` entries, valid until the next :meth:`take`.
    """

    def __init__(self, count: int) -> None:
        self._arrays = [np.empty(0, dtype=np.int64) for _ in range(count)]

    def take(self, n: int) -> list[IntArray]:
        if n > self._arrays[0].size:
            size = max(n, 2 * self._arrays[0].size)
            self._arrays = [np.empty(size, dtype=np.int64) for _ in self._arrays]
        return [a[:n] for a in self._arrays]


class Market:
    """One replication of one arm: the world, the policy and the SimPy environment."""

    recorder_class: type[MetricsRecorder] = MetricsRecorder
    """What records the metrics (a subclass can record more, as the validation checks do)."""

    def __init__(
        self,
        scenario: Scenario,
        arm: str,
        replication: int = 0,
        root_seed: int | None = None,
        keep_log: bool = False,
    ) -> None:
        # before anything is allocated: a scenario too large for this machine is refused
        # in one line rather than failing in NumPy (or being killed) part-way through
        check_replication_memory(scenario)
        if arm not in scenario.arms:
            raise KeyError(f"arm {arm!r} is not in scenario {scenario.name!r}")
        self.scenario = scenario
        self.arm = arm
        self.replication = replication
        self.root_seed = scenario.run.seed if root_seed is None else root_seed
        world = scenario.world
        self.world = world
        # a whole number of waves a day; wave k starts at k / waves_per_day, a division
        # of integers, so whole days (k a multiple of waves_per_day) are exact
        self.waves_per_day = round(1.0 / scenario.run.wave_days)
        self.wave_days = 1.0 / self.waves_per_day
        self.warmup_days = scenario.run.warmup_days
        self.end_day = scenario.run.warmup_days + scenario.run.horizon_days
        self.streams = spawn_streams(replication_seed(self.root_seed, replication))

        region_multipliers = np.array([r.connect_price_multiplier for r in world.regions.values()])
        self.policy = scenario.arms[arm].compile(region_multipliers, list(world.regions))
        self.fee_usd = np.array(
            [
                world.memberships["basic"].fee_usd_per_month,
                world.memberships["plus"].fee_usd_per_month,
            ]
        )

        p = world.population
        months = self.end_day / DAYS_PER_MONTH
        capacity = int(p.freelancers * (1.0 + 1.5 * p.entrants_per_month_share * months)) + 64
        self.pop = Population(world, capacity)
        self.ledger = ConnectsLedger(
            capacity,
            self.policy.free_expiry_months,
            self.policy.purchased_expiry_months,
            keep_log=keep_log,
            rows=self.pop.rows,
        )
        self.textbook = world.textbook
        lookback = p.jobs_viewed_per_session * MAX_SESSIONS_PER_WAVE
        if self.textbook is not None:
            # a round's freelancers choose among all of the round's posts
            lookback = max(lookback, round(world.jobs.jobs_per_day * self.wave_days) + 1)
        self.board = JobBoard(
            world.jobs,
            p.categories,
            world.clients.max_reviewed,
            self.wave_days,
            feed_lookback=lookback,
            rounds=self.textbook is not None,
            boost_slots=self.policy.boost_slots,
        )
        self.env = simpy.Environment()
        self.contracts = ContractBook()
        # sessions' Poisson rates and P(no session) per freelancer, rebuilt as it grows
        self._session_rate = np.zeros(0)
        self._p_no_session = np.zeros(0)
        beh, cl = world.behaviour, world.clients
        self._bidding = BiddingParameters(
            jobs_viewed_per_session=p.jobs_viewed_per_session,
            applicant_cap=-1 if cl.applicant_cap is None else cl.applicant_cap,
            max_reviewed=cl.max_reviewed,
            service_fee_share=world.contracts.service_fee_share,
            proposal_hours=beh.proposal_hours,
            weekly_proposal_hours=beh.weekly_proposal_hours,
            min_effort=beh.min_effort,
            final_multiplier=beh.expected_final_proposals_multiplier,
            believed_hire_rate=beh.believed_hire_rate,
            pacing_value_usd=beh.pacing_value_usd_per_connect,
            pacing_connects_per_day=beh.pacing_connects_per_day,
            new_freelancer_rating=cl.new_freelancer_rating,
            weight_quality=cl.weight_quality,
            weight_rating=cl.weight_rating,
            weight_price=cl.weight_price,
            noise_sd=cl.noise_sd,
            purchase_allowed=self.policy.purchase_allowed,
            textbook_applications=0
            if self.textbook is None
            else self.textbook.applications_per_freelancer,
            first_proposal_free=self.policy.first_proposal_free,
            boost_slots=self.policy.boost_slots,
            boost_min_bid=self.policy.boost_min_bid,
            boost_max_bid=self.policy.boost_max_bid,
            applicant_cap_share=cl.applicant_cap_share,
            keep_most_relevant=isinstance(cl.screening, SequentialScreening)
            and cl.screening.ranking == "relevance",
            min_connects_per_proposal=self.policy.min_connects_per_proposal,
        )
        ct = world.contracts
        self._contract_terms = ContractTerms(
            ct.service_fee_share, ct.five_star_base, ct.five_star_per_skill, ct.hours_per_day
        )
        self.proposal_log = ProposalLog()
        self._proposal_buffers = _Scratch(4)
        self._agent_buffers = _Scratch(4)
        self._outbid_buffers = _Scratch(4)
        window = ReplicationWindow(
            arm=arm,
            replication=replication,
            root_seed=self.root_seed,
            warmup_days=self.warmup_days,
            end_day=self.end_day,
            clients=world.clients,
            # a careful proposal takes proposal_hours; the budget holds this many a week
            full_effort_proposals_per_week=math.floor(
                beh.weekly_proposal_hours / beh.proposal_hours + 1e-9
            ),
        )
        self.metrics = self.recorder_class(window, self.pop, self.board, self.contracts)
        self._week_interview_connects = np.zeros(capacity, dtype=np.int64)
        self.month = 0

        budget = p.budget
        self.wallet = budget if isinstance(budget, WalletBudget) else None
        rows = self.pop.add(self.streams["population"], p.freelancers, 0.0, 1.0 - p.new_share)
        self._welcome(rows, 0.0)
        self._hold_affordable_memberships(rows)
        self._grant_monthly(rows, 0.0)
        self._charge_fees(rows)

        # At an instant shared by several processes SimPy runs them in the order their
        # events were scheduled. Creating the calendar processes first keeps month
        # starts, weekly resets and the daily record ahead of that instant's wave
        # even when waves are whole days long.
        deciding = (self._clients, self._contract_completions)
        if self.textbook is not None:
            # textbook rounds: last round's contracts end before this round's posts
            # are decided, so that every freelancer can take an offer in every round
            deciding = (self._contract_completions, self._clients)
        calendar = [self._monthly, self._weekly, self._recorder]
        if self.policy.daily_refill > 0:
            # only for policies that refill, so that other markets' events are unchanged
            calendar.append(self._daily_refill)
        for process in (*calendar, self._job_stream, *deciding, self._browsing):
            self.env.process(process())

    # ------------------------------------------------------------ utilities
    @property
    def recording(self) -> bool:
        """Whether the warm-up is over and metrics are being recorded."""
        return self.env.now >= self.warmup_days - 1e-9

    def _wave_index(self) -> int:
        return round(self.env.now * self.waves_per_day)

    def _to_next_wave(self) -> float:
        # aim at the next wave's absolute time rather than adding wave lengths, whose
        # rounding errors would accumulate
        return (self._wave_index() + 1) / self.waves_per_day - self.env.now

    def _now(self) -> float:
        # SimPy adds float timeouts; snap to the wave grid so days stay exact.
        return self._wave_index() / self.waves_per_day

    def _eligible(self, rows: IntArray, day: float) -> BoolArray:
        pop = self.pop
        return (
            self.policy.eligible(
                pop.verified[rows],
                pop.rating(rows),
                pop.completed_jobs[rows] == 0,
                day - pop.last_proposal_day[rows],
            )
            & pop.in_market[rows]
        )

    def _welcome(self, rows: IntArray, day: float) -> None:
        """One-time grants for new accounts."""
        pol = self.policy
        new = rows[self.pop.new_cohort[rows]]
        if new.size == 0:
            return
        grant = np.full(new.size, pol.new_account_grant, dtype=np.int64)
        grant += np.where(
            self.pop.readiness_draw[new] < pol.readiness_pass_share, pol.readiness_test_grant, 0
        )
        if pol.require_verified:
            grant = np.where(self.pop.verified[new], grant, 0)
        self.ledger.grant(new, grant, self.month, day)
        self.metrics.granted(new, grant, self.recording)

    def _grant_monthly(self, rows: IntArray, day: float) -> None:
        ok = self._eligible(rows, day)
        grant = np.where(ok, self.policy.monthly_grant[self.pop.membership[rows]], 0)
        self.ledger.grant(rows, grant, self.month, day)
        self.metrics.granted(rows, grant, self.recording)

    def _earn(self, rows: IntArray, connects: IntArray, day: float) -> None:
        """Credit earned Connects, within eligibility and the monthly cap."""
        if rows.size == 0:
            return
        # several events of one agent in a batch: total them first so the cap holds
        uniq, inverse = np.unique(rows, return_inverse=True)
        total = np.bincount(inverse, weights=connects, minlength=uniq.size).astype(np.int64)
        room = np.maximum(self.policy.earn_cap_per_month - self.pop.month_earned_connects[uniq], 0)
        credit = np.where(self._eligible(uniq, day), np.minimum(total, room), 0)
        if not np.any(credit):
            return
        self.pop.month_earned_connects[uniq] += credit
        self.ledger.earn(uniq, credit, self.month, day)
        self.metrics.earned(uniq, credit, self.recording)

    # ------------------------------------------------------------ processes
    def _job_stream(self) -> Generator[simpy.Event, None, None]:
        rng = self.streams["jobs"]
        while True:
            slots = self.board.post(rng, self._now(), self.wave_days)
            self.board.connects_needed[slots] = self.policy.connects_per_proposal(
                self.board.tier[slots], self.board.budget_usd[slots]
            )
            self.metrics.posted(slots)
            yield self.env.timeout(self._to_next_wave())

    def _clients(self) -> Generator[simpy.Event, None, None]:
        while True:
            self._close_posts(self._now())
            yield self.env.timeout(self._to_next_wave())

    def _contract_completions(self) -> Generator[simpy.Event, None, None]:
        while True:
            self._complete_contracts(self._now())
            yield self.env.timeout(self._to_next_wave())

    def _browsing(self) -> Generator[simpy.Event, None, None]:
        rng = self.streams["browsing"]
        while True:
            self._browse(rng, self._now())
            yield self.env.timeout(self._to_next_wave())

    def _weekly(self) -> Generator[simpy.Event, None, None]:
        while True:
            yield self.env.timeout(7.0)
            self.metrics.week_ended(self.pop.week_proposals[: self.pop.size], self.recording)
            self.pop.week_proposals[: self.pop.size] = 0
            self._week_interview_connects[: self.pop.size] = 0

    def _daily_refill(self) -> Generator[simpy.Event, None, None]:
        while True:
            yield self.env.timeout(1.0)
            pop, pol = self.pop, self.policy
            rows = np.flatnonzero(pop.in_market[: pop.size])
            room = np.maximum(pol.refill_cap - self.ledger.free_balance[rows], 0)
            grant = np.where(
                self._eligible(rows, self._now()), np.minimum(pol.daily_refill, room), 0
            )
            self.ledger.grant(rows, grant, self.month, self._now())
            self.metrics.granted(rows, grant, self.recording)

    def _monthly(self) -> Generator[simpy.Event, None, None]:
        while True:
            yield self.env.timeout(DAYS_PER_MONTH)
            self._new_month(self._now())

    def _recorder(self) -> Generator[simpy.Event, None, None]:
        while True:
            yield self.env.timeout(1.0)
            self.metrics.end_of_day(self._now())

    # ------------------------------------------------------------- browsing
    def _browse(self, rng: np.random.Generator, day: float) -> None:
        pop, board, pol = self.pop, self.board, self.policy
        drawn, drawn_sessions, offset_in_wave = self._sessions(rng, pop.size)
        if drawn.size == 0:
            return
        agents, sessions, session_day, distinct = order_sessions(
            drawn, drawn_sessions, offset_in_wave, day, self.wave_days
        )
        if not distinct:
            # sessions at the same instant (rare): NumPy's argsort orders them
            session_day = day + offset_in_wave * self.wave_days
            order = np.argsort(session_day)
            agents, sessions, session_day = drawn[order], drawn_sessions[order], session_day[order]

        per_session = self.world.population.jobs_viewed_per_session
        if self.textbook is not None:
            per_session = max(per_session, self.textbook.applications_per_freelancer)
        # the kernel writes without bounds checks: room for every possible proposal
        most = int(sessions.sum()) * per_session
        out_slot, out_agent, out_connects, out_paid = self._proposal_buffers.take(most)
        outbid_agent, outbid_free, outbid_paid, outbid_recorded = self._outbid_buffers.take(
            most if pol.boost_slots > 0 else 0
        )
        free_used, paid_used, bought, sent = self._agent_buffers.take(agents.size)
        cost_usd = np.empty(agents.size)
        ledger = self.ledger
        days_to_grant = (self.month + 1) * DAYS_PER_MONTH - day
        n, n_outbid = browse_wave(
            WaveSessions(agents, sessions, session_day, day, self.wave_days, days_to_grant),
            pop.columns(),
            board.columns(),
            ledger.columns(self.month),
            self.metrics.counters(self.recording),
            PolicyPrices(pol.price_usd, pol.bundle_sizes),
            self._bidding,
            WaveOutputs(
                out_slot,
                out_agent,
                out_connects,
                out_paid,
                outbid_agent,
                outbid_free,
                outbid_paid,
                outbid_recorded,
                free_used,
                paid_used,
                bought,
                cost_usd,
                sent,
            ),
        )
        if n < 0:
            raise RuntimeError("a freelancer's Connects were overdrawn: the bidding rule is wrong")
        if ledger.keep_log:
            ledger.record_settlement(agents, bought, free_used, paid_used, day)
        if n_outbid:
            self._refund_boosts(
                outbid_agent[:n_outbid],
                outbid_free[:n_outbid],
                outbid_paid[:n_outbid],
                outbid_recorded[:n_outbid].astype(np.bool_),
                day,
            )
            self.metrics.boosts_outbid(outbid_agent[:n_outbid], outbid_recorded[:n_outbid])
        if n == 0:
            return
        # the log exists only to refund: a policy that never refunds keeps none
        if pol.refund_on_cancel or pol.refund_on_removed or pol.refund_on_expired:
            slots, agent = out_slot[:n], out_agent[:n]
            need, paid_part = out_connects[:n], out_paid[:n]
            traced = (
                board.ghost[slots] & (pol.refund_on_removed | pol.refund_on_expired)
            ) | pol.refund_on_cancel
            if np.any(traced):
                self.proposal_log.append(
                    slots[traced],
                    agent[traced],
                    (need - paid_part)[traced],
                    paid_part[traced],
                    self.recording,
                )
        self.metrics.proposals_sent(n, cost_usd, self.recording)

    def _sessions(self, rng: np.random.Generator, n: int) -> tuple[IntArray, IntArray, FloatArray]:
        """Who browses in this wave, how many sessions, and when (share of the wave).

        One uniform per freelancer ever created (so the stream stays aligned
        across arms) gives both the Poisson session count, by inverting its
        distribution, and the time, as the position of the uniform within the
        count's probability interval (which is again uniform and independent).
        """
        pop = self.pop
        if self._session_rate.size != n:
            self._session_rate = pop.sessions_per_day[:n] * self.wave_days
            self._p_no_session = np.exp(-self._session_rate)
        u = rng.random(n)
        if self.textbook is not None:
            # every freelancer in the market browses once a round, at a random moment
            rows = np.flatnonzero(pop.in_market[:n])
            return rows, np.ones(rows.size, dtype=np.int64), u[rows]
        drawn: tuple[IntArray, IntArray, FloatArray] = draw_sessions(
            u,
            self._session_rate,
            self._p_no_session,
            pop.in_market,
            pop.active_contracts,
            self.world.population.capacity_contracts,
            MAX_SESSIONS_PER_WAVE,
        )
        return drawn

    # ---------------------------------------------------------------- hiring
    def _close_posts(self, day: float) -> None:
        board, pop, cl = self.board, self.pop, self.world.clients
        due = board.due(day, cl.close_when_reviewed_full)
        if due.size == 0:
            return
        boosted = self._settle_boosts(due, day) if board.boost_slots else None
        screening = cl.screening
        stopped = None
        if isinstance(screening, SequentialScreening):
            hired_agent, hired_col, reviewed, busy, stopped = screen_and_hire(
                due,
                board.post_day,
                board.ghost,
                board.reviewed_agent,
                board.reviewed_score,
                np.zeros(due.size, dtype=np.int64) if boosted is None else boosted[0],
                board.key,
                pop.key,
                pop.active_contracts,
                pop.in_market,
                self.world.population.capacity_contracts,
                cl.reservation_score,
                cl.recall,
                screening.ranking == "relevance",
                cl.noise_sd,
                cl.max_reviewed,
                screening.cost_per_read,
                screening.prior_score_mean,
                screening.prior_score_sd,
                screening.prior_reads,
            )
        else:
            hired_agent, hired_col, reviewed, busy = choose_hires(
                due,
                board.post_day,
                board.ghost,
                board.reviewed_agent,
                board.reviewed_score,
                pop.active_contracts,
                pop.in_market,
                self.world.population.capacity_contracts,
                cl.reservation_score,
                cl.recall,
            )
        self._start_contracts(due, hired_agent, day)
        if self.policy.earn_interview > 0:
            self._reward_interviews(due[~board.ghost[due]], day)

        self.metrics.posts_closed(
            due, hired_agent, hired_col, reviewed, busy, day, self.recording, stopped
        )
        if boosted is not None:
            count, recorded = boosted
            won = np.flatnonzero((hired_agent >= 0) & (hired_col < count))
            # a boosted hire counts with its bid, as the charged boost does
            won = won[recorded[won, hired_col[won]]]
            self.metrics.boosted_hires(hired_agent[won])
        if self.proposal_log.size:
            ghost = board.ghost[due]
            removed = board.removed[due]
            cancelled = ~ghost & (hired_agent < 0)
            expired = ghost & ~removed
            refund = self.policy.refunds(cancelled, ghost & removed, expired)
            self._trace_closed(due, refund, day)
        board.open[due] = False

    def _settle_boosts(self, due: IntArray, day: float) -> tuple[IntArray, BoolArray]:
        """Charge the boosts of posts whose clients review now, refund those on ghost
        posts, and put each reading list in order; return, per post of ``due``, how
        many of its reviewed proposals were boosted, and per boosted column whether
        its bid was placed while recording."""
        board = self.board
        boosted, boosted_recorded, agent, bid, free_n, paid_n, charged, recorded = settle_boosts(
            due,
            board.ghost,
            board.reviewed_agent,
            board.reviewed_score,
            board.reviewed_quality,
            board.boosts,
            board.max_reviewed,
        )
        refunded = ~charged
        if np.any(refunded):
            self._refund_boosts(
                agent[refunded], free_n[refunded], paid_n[refunded], recorded[refunded], day
            )
        self.metrics.boosts_charged(agent[charged], bid[charged], recorded[charged])
        return boosted, boosted_recorded

    def _refund_boosts(
        self, agents: IntArray, free_n: IntArray, paid_n: IntArray, recorded: BoolArray, day: float
    ) -> None:
        self.ledger.refund(agents, free_n, paid_n, self.month, day)
        self.metrics.refunded(agents, free_n + paid_n, recorded)

    def _reward_interviews(self, slots: IntArray, day: float) -> None:
        """Connects for interviews (each post's best reviewed proposals above the
        reservation score, up to ``interviews_per_post``), within the weekly cap."""
        board, pol, cl = self.board, self.policy, self.world.clients
        agents = board.reviewed_agent[slots]
        scores = np.where(
            (agents >= 0) & (board.reviewed_score[slots] >= cl.reservation_score),
            board.reviewed_score[slots],
            -np.inf,
        )
        best = np.argsort(-scores, axis=1, kind="stable")[:, : cl.interviews_per_post]
        picked = np.take_along_axis(agents, best, axis=1)
        good = np.isfinite(np.take_along_axis(scores, best, axis=1))
        if not np.any(good):
            return
        rows, interviews = np.unique(picked[good].astype(np.int64), return_counts=True)
        room = np.maximum(pol.interview_cap_per_week - self._week_interview_connects[rows], 0)
        credit = np.minimum(interviews * pol.earn_interview, room)
        self._week_interview_connects[rows] += credit
        self._earn(rows, credit, day)

    def _trace_closed(self, due: IntArray, refund: BoolArray, day: float) -> None:
        """Refund what the policy refunds and count Connects wasted on ghost posts."""
        board = self.board
        closing = np.zeros(board.capacity, dtype=np.bool_)
        closing[due] = True
        slot, agent, free_n, paid_n, recorded = self.proposal_log.take(closing)
        refunded_slot = np.zeros(board.capacity, dtype=np.bool_)
        refunded_slot[due[refund]] = True
        back = refunded_slot[slot]
        if np.any(back):
            self.ledger.refund(agent[back], free_n[back], paid_n[back], self.month, day)
            self.metrics.refunded(agent[back], (free_n + paid_n)[back], recorded[back])
        ghost_back = back & board.ghost[slot] & recorded
        if np.any(ghost_back):
            self.metrics.wasted_on_ghosts(
                agent[ghost_back], -(free_n + paid_n)[ghost_back], self.recording
            )

    def _start_contracts(self, due: IntArray, hired_agent: IntArray, day: float) -> None:
        """Contracts for the posts in ``due`` that hired (``hired_agent`` >= 0;
        choose_hires has already taken the freelancers' contract slots)."""
        pop, board = self.pop, self.board
        # a contract ends at the first wave boundary at or after its due day: that,
        # not the nominal length, is its time in progress (what Little's law counts);
        # textbook rounds: within the round, ending at the next round's start
        agents, end_day, value, key, in_progress_days = start_contracts(
            due,
            hired_agent,
            day,
            board.columns(),
            pop.columns(),
            self._contract_terms,
            0.0 if self.textbook is None else 0.5 * self.wave_days,
            self.wave_days,
        )
        if agents.size == 0:
            return
        self.contracts.add(agents, end_day, value, key)
        self.metrics.hired(agents, in_progress_days, self.recording)

    def _complete_contracts(self, day: float) -> None:
        agent, value, key = self.contracts.pop_due(day)
        if agent.size == 0:
            return
        recording, pop = self.recording, self.pop
        if self.wallet is not None:
            paid = np.unique(agent)
            earned_before = pop.month_earnings_usd[paid].copy()
        fee, five_star = complete_contracts(
            agent,
            value,
            key,
            self._contract_terms,
            pop.columns(),
            self.metrics.counters(recording),
        )
        self.metrics.completed(fee, recording)
        if self.wallet is not None:
            kept = self.wallet.earnings_kept_share * (pop.month_earnings_usd[paid] - earned_before)
            pop.month_cash_usd[paid] += kept
            pop.month_kept_usd[paid] += kept
        pol = self.policy
        if pol.earn_completion > 0 or pol.earn_five_star > 0:
            earn = pol.earn_completion + np.where(five_star, pol.earn_five_star, 0)
            self._earn(agent, earn.astype(np.int64), day)

    # --------------------------------------------------------------- monthly
    def _new_month(self, day: float) -> None:
        self.metrics.month_ended(day)
        pop, pol, p = self.pop, self.policy, self.world.population
        n = pop.size
        rows = np.arange(n, dtype=np.int64)
        beh = self.world.behaviour
        # exits: money-losing months, and churn from outside the model
        exit_rng = self.streams["exit"]
        churn = exit_rng.random(n) < p.churn_per_month
        losing = (pop.month_spend_usd[:n] > pop.month_earnings_usd[:n] + 1e-9) & pop.in_market[:n]
        pop.losing_months[:n] = np.where(losing, pop.losing_months[:n] + 1, 0)
        leave = (
            pop.in_market[:n]
            & (pop.active_contracts[:n] == 0)
            & ((pop.losing_months[:n] >= p.exit_after_losing_months) | churn)
        )
        leavers = np.flatnonzero(leave)
        pop.in_market[leavers] = False
        pop.left_day[leavers] = day

        self.month += 1
        if beh.membership_choice == "choose":
            self._choose_memberships(rows[pop.in_market[:n]])
        if self.wallet is not None:
            self._carry_wallets(n)
        self.metrics.month_connects_spent[:n] = 0
        pop.month_spend_usd[:n] = 0.0
        pop.month_earnings_usd[:n] = 0.0
        pop.month_earned_connects[:n] = 0
        self.ledger.start_month(self.month, day, pol.rollover_cap[pop.membership], n)
        # activity of the month just ended earns Connects where the policy pays for it;
        # credited after expiry, so that a monthly expiry does not take them at once
        act = self.streams["activity"]
        courses = act.poisson(beh.courses_per_month, size=n)
        community = act.poisson(beh.community_posts_per_month, size=n)
        earned = courses * pol.earn_course + community * pol.earn_community
        hit = np.flatnonzero((earned > 0) & pop.in_market[:n])
        self._earn(hit, earned[hit], day)

        # entries, then grants and fees for everyone in the market
        entry_rng = self.streams["entry"]
        arrivals = int(entry_rng.poisson(p.entrants_per_month_share * p.freelancers))
        if arrivals:
            self.ledger.ensure(pop.size + arrivals)
            new_rows = pop.add(entry_rng, arrivals, day, established_share=0.0)
            pop.last_seen_seq[new_rows] = self.board.feed_count[pop.category[new_rows]]
            self._welcome(new_rows, day)
            self.metrics.entered(new_rows)
        present = np.flatnonzero(pop.in_market[: pop.size])
        self._hold_affordable_memberships(present)
        self._grant_monthly(present, day)
        self._charge_fees(present)

    def _carry_wallets(self, n: int) -> None:
        """A new month's wallets: what is left, up to the savings cap, plus outside cash.

        The cap is ``savings_cap_months`` months of the inflows of the month that
        ended (outside cash and earnings kept); the rest went to living costs.
        """
        assert self.wallet is not None
        pop = self.pop
        left = np.maximum(pop.month_cash_usd[:n] - pop.month_spend_usd[:n], 0.0)
        inflow = pop.outside_cash_usd[:n] + pop.month_kept_usd[:n]
        carried = np.minimum(left, self.wallet.savings_cap_months * inflow)
        pop.month_cash_usd[:n] = carried + pop.outside_cash_usd[:n]
        pop.month_kept_usd[:n] = 0.0

    def _hold_affordable_memberships(self, rows: IntArray) -> None:
        """Under the wallet rule, a freelancer holds the membership it wants only when its
        wallet can pay the month's fee; otherwise it is on the free plan this month."""
        if self.wallet is None:
            return
        pop = self.pop
        wanted = pop.membership_intent[rows]
        left = pop.month_cash_usd[rows] - pop.month_spend_usd[rows]
        pop.membership[rows] = np.where(self.fee_usd[wanted] <= left, wanted, 0)

    def _charge_fees(self, rows: IntArray) -> None:
        """Membership fees for the month that starts, out of the month's budget."""
        fee = self.fee_usd[self.pop.membership[rows]]
        self.pop.month_spend_usd[rows] += fee
        self.metrics.fees(rows, fee, self.recording)

    def _choose_memberships(self, rows: IntArray) -> None:
        """Upgrade when last month's extra allowance would have been worth the fee."""
        pop, pol = self.pop, self.policy
        used = self.metrics.month_connects_spent[rows]
        extra = pol.monthly_grant[1] - pol.monthly_grant[0]
        useful = np.clip(used - pol.monthly_grant[0], 0, extra)
        unit = (
            pol.price_usd_per_connect(pop.region[rows])
            if pol.purchase_allowed
            else np.full(rows.size, self.world.behaviour.pacing_value_usd_per_connect)
        )
        pop.membership[rows] = (useful * unit > self.fee_usd[1] - self.fee_usd[0]).astype(np.int64)
        pop.membership_intent[rows] = pop.membership[rows]

    # ------------------------------------------------------------------- run
    def run(self, segments: bool = True) -> ReplicationResult:
        """Run the warm-up and the horizon; return the recorded metrics (without each
        segment's when ``segments`` is false)."""
        # events at the end instant itself (a new month, the next wave) are not run:
        # they belong to a period that is not recorded
        self.env.run(until=self.end_day - 0.5 * self.wave_days)
        self.metrics.end_of_day(self.end_day)
        return self.metrics.result(segments)


def run_replication(
    scenario: Scenario,
    arm: str,
    replication: int,
    root_seed: int | None = None,
    segments: bool = True,
) -> ReplicationResult:
    """Run one replication of one arm: a pure function of its arguments.

    ``segments=False`` returns only the overall metrics (a calibration needs no
    more, and each segment's cost as much as the run of a small market).
    """
    return Market(scenario, arm, replication, root_seed).run(segments)
