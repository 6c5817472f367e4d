"""The scenario schema: one world and the credit-policy arms compared in it.

Every model is frozen and forbids unknown fields, so a typo in a scenario file
is an error rather than a silently ignored setting. Attribute docstrings are
the reference documentation of each field (``connectsim schema`` prints them).
Units are carried in field names (``_usd``, ``_days``, ``_per_month``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from simulator.catalog import METRICS
from simulator.config.limits import MAX_DAYS as MAX_DAYS
from simulator.config.limits import MAX_REPLICATIONS as MAX_REPLICATIONS
from simulator.config.limits import MAX_SEED as MAX_SEED
from simulator.config.policy import Integer, PolicySpec, Real
from simulator.errors import did_you_mean

SCHEMA_VERSION = 2
"""The scenario format this version of connectsim reads and writes (older versions are
migrated on loading: :mod:`simulator.config.migration`)."""

TierName = Literal["entry", "intermediate", "expert"]
TIERS: tuple[TierName, ...] = ("entry", "intermediate", "expert")
"""Job tiers, in the order used by the engine's integer tier codes."""

# Every number is a Real or an Integer (a bool is refused; a float field still takes
# an integer such as YAML's 30), finite (the models refuse NaN and infinities) and
# bounded on both sides, so that a replication can run.
Share = Annotated[Real, Field(ge=0.0, le=1.0)]
"""A probability or share, in [0, 1]."""
UsdPerHour = Annotated[Real, Field(gt=0.0, le=1_000.0)]
"""An hourly rate, USD: at most $1,000 (above any freelance market's going rates)."""
ScoreWeight = Annotated[Real, Field(ge=0.0, le=1_000.0)]
"""A weight of the client's score (the weights are normalised: only ratios matter)."""
PerMonth = Annotated[Real, Field(ge=0.0, le=100.0)]
"""A mean count of activities a month."""

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")
"""A scenario or arm name: it names a directory (``reports/<name>``, ``replications/<arm>``)."""
NAME_RULE = "letters, digits, '_', '-' and '.', not starting with '.', at most 100 characters"
"""What :data:`NAME_PATTERN` allows, in words."""


def plausible(low: float, high: float) -> dict[str, Any]:
    """Schema metadata of an assumed figure: the range it may plausibly take (shown by
    ``connectsim schema`` and in reports beside the value a study used)."""
    return {"plausible_range": [low, high]}


def plausible_range(model: type[BaseModel], field: str) -> tuple[float, float] | None:
    """The plausible range a field of a scenario model declares, if any."""
    extra = model.model_fields[field].json_schema_extra
    bounds = extra.get("plausible_range") if isinstance(extra, dict) else None
    if isinstance(bounds, list) and len(bounds) == 2:
        low, high = bounds
        if isinstance(low, int | float) and isinstance(high, int | float):
            return float(low), float(high)
    return None


def rule_or(default: str) -> Callable[[Any], str]:
    """The discriminator of a choice of rules: the ``rule`` a mapping names, else
    ``default``, so that ``--set world.population.budget.earnings_kept_share=0.3`` tunes
    the default rule without naming it."""

    def pick(value: Any) -> str:
        if isinstance(value, dict):
            return str(value.get("rule", default))
        return str(getattr(value, "rule", default))

    return pick


def check_name(name: str, what: str) -> str:
    """Return ``name`` if it is a safe file name, else raise ``ValueError`` saying why.

    Parameters
    ----------
    name
        A scenario or arm name.
    what
        What the name is, for the message (``"the name"``, ``"arm name 'x'"``).

    Returns
    -------
    str
        ``name`` unchanged.

    Raises
    ------
    ValueError
        If ``name`` holds anything but letters, digits, ``_``, ``-`` and ``.``,
        starts with ``.`` or is longer than 100 characters (so that it cannot
        name a path outside the results directory).
    """
    if NAME_PATTERN.fullmatch(name) is None:
        raise ValueError(f"{what} is not a safe file name: use {NAME_RULE}")
    return name


class Frozen(BaseModel):
    """Base of every scenario model: frozen, unknown fields forbidden, finite numbers only."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, allow_inf_nan=False
    )


def _check_shares(shares: dict[str, float], what: str) -> None:
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"{what} must sum to 1 (got {total:.6g})")


class Region(Frozen):
    """A region of the world's freelancer population."""

    share: Share
    """Share of the freelancer population living in this region."""
    monthly_income_usd: Annotated[Real, Field(gt=0.0, le=1_000_000.0)]
    """Typical monthly income (the yardstick for cost burden), USD."""
    typical_rate_usd_per_hour: UsdPerHour
    """Typical hourly rate asked by freelancers of this region, USD."""
    connect_price_multiplier: Annotated[Real, Field(gt=0.0, le=100.0)] = 1.0
    """Multiplier on the price of a Connect when a policy prices by region."""
    plus_share: Share = 0.1
    """Share of this region's freelancers on the paid (Plus) membership."""


class Membership(Frozen):
    """A membership plan; its Connects grant and rollover cap belong to the policy."""

    fee_usd_per_month: Annotated[Real, Field(ge=0.0, le=1_000.0)] = 0.0
    """Monthly membership fee, USD."""


class Tier(Frozen):
    """A job tier: its share of posts and its budget distribution."""

    share: Share
    """Share of job posts in this tier."""
    budget_median_usd: Annotated[Real, Field(gt=0.0, le=1_000_000.0)]
    """Median job budget, USD (lognormal)."""
    budget_sigma: Annotated[Real, Field(gt=0.0, le=3.0)] = 0.8
    """Log-scale standard deviation of the budget."""
    client_rate_usd_per_hour: UsdPerHour
    """Hourly rate the client has in mind; sets the job's hours from its budget."""


class IncomeShareBudget(Frozen):
    """Schema version 1's rule: each month a fixed share of regional income per capita,
    the same for every freelancer of a region, nothing carried over, earnings unused."""

    rule: Literal["income_share"] = "income_share"
    share_of_income: Share = 0.08
    """Monthly budget for platform spend (Connects and fees), share of regional monthly
    income (an assumption without a source; version 1's default)."""


class WalletBudget(Frozen):
    """A wallet of the freelancer's own cash: an outside cash flow that differs between
    freelancers, a share of the platform earnings, savings carried over up to a cap.

    Each month the wallet receives ``s * income`` (``income`` the region's monthly
    income per capita, ``s`` the freelancer's own share, lognormal across
    freelancers and capped); each payment of a contract adds ``earnings_kept_share``
    of its net earnings; fees and Connects are paid from it and never beyond it.
    At the start of a month the balance carried over is capped at
    ``savings_cap_months`` months of the month's inflows (the rest goes to living
    costs). Figures and their sources: docs/model.md, "Money".
    """

    rule: Literal["wallet"] = "wallet"
    outside_cash_share_median: Annotated[
        Real, Field(gt=0.0, le=1.0, json_schema_extra=plausible(0.002, 0.05))
    ] = 0.01
    """Median share of regional monthly income a freelancer puts into the wallet from
    outside the platform each month (assumption, plausible range 0.002-0.05)."""
    outside_cash_share_sigma: Annotated[
        Real, Field(ge=0.0, le=3.0, json_schema_extra=plausible(0.5, 1.5))
    ] = 0.98
    """Log-scale spread of that share across freelancers (0.98: 5th-95th percentiles
    at a fifth and five times the median; assumption)."""
    outside_cash_share_cap: Annotated[Share, Field(json_schema_extra=plausible(0.08, 0.2))] = 0.10
    """Largest share any freelancer puts in (assumption; version 1's 8% sits below it)."""
    earnings_kept_share: Annotated[Share, Field(json_schema_extra=plausible(0.1, 0.3))] = 0.2
    """Share of net platform earnings kept in the wallet when a contract pays
    (assumption, plausible range 0.1-0.3)."""
    savings_cap_months: Annotated[
        Real, Field(ge=0.0, le=120.0, json_schema_extra=plausible(1.0, 6.0))
    ] = 3.0
    """Most a wallet carries into a new month, in months of the inflows of the month
    that ended (assumption, plausible range 1-6)."""


Budget = Annotated[
    Annotated[IncomeShareBudget, Tag("income_share")] | Annotated[WalletBudget, Tag("wallet")],
    Discriminator(rule_or("wallet")),
]
"""A budget rule, selected by its ``rule`` (the wallet when it names none)."""


class Population(Frozen):
    """Freelancers: how many, their traits, and how they enter and leave."""

    freelancers: Annotated[Integer, Field(ge=1, le=2_000_000)] = 2_000
    """Freelancers at the start of the run."""
    categories: Annotated[Integer, Field(ge=1, le=1_000)] = 10
    """Kinds of work; a freelancer bids only on jobs of its own category."""
    new_share: Share = 0.2
    """Share of the initial freelancers who are new (no completed job yet)."""
    history_jobs_mean: Annotated[Real, Field(ge=1.0, le=10_000.0)] = 12.0
    """Mean completed jobs of an established freelancer at the start (geometric, at
    least one)."""
    skill_beta_a: Annotated[Real, Field(gt=0.0, le=1_000.0)] = 2.0
    """Skill ~ Beta(a, b) in (0, 1)."""
    skill_beta_b: Annotated[Real, Field(gt=0.0, le=1_000.0)] = 2.0
    """Skill ~ Beta(a, b) in (0, 1)."""
    rate_sigma: Annotated[Real, Field(ge=0.0, le=3.0)] = 0.3
    """Log-scale spread of asking rates around the regional typical rate."""
    reservation_rate_share: Annotated[Real, Field(gt=0.0, le=1.0)] = 0.6
    """Reservation (walk-away) hourly rate as a share of the asking rate."""
    sessions_per_day_mean: Annotated[Real, Field(gt=0.0, le=100.0)] = 1.5
    """Mean browsing sessions a day (gamma-distributed across freelancers)."""
    sessions_per_day_shape: Annotated[Real, Field(gt=0.0, le=1_000.0)] = 2.0
    """Gamma shape of the sessions rate across freelancers (smaller = more spread)."""
    jobs_viewed_per_session: Annotated[Integer, Field(ge=1, le=200)] = 8
    """Newest unseen open jobs of its category a freelancer looks at per session."""
    capacity_contracts: Annotated[Integer, Field(ge=1, le=50)] = 2
    """Concurrent contracts at most; a full freelancer does not bid."""
    budget: Budget = Field(default_factory=lambda: WalletBudget())
    """Where the money for Connects and membership fees comes from: a wallet of the
    freelancer's own cash (``rule: wallet``), or schema version 1's fixed share of
    regional income (``rule: income_share``)."""
    verified_share: Share = 0.9
    """Share of freelancers with a verified identity."""
    entrants_per_month_share: Share = 0.02
    """New freelancers joining each month, as a share of the initial population."""
    exit_after_losing_months: Annotated[Integer, Field(ge=1, le=120)] = 3
    """A freelancer leaves after this many consecutive months spending more than it earned."""
    churn_per_month: Share = 0.01
    """Probability a month that a freelancer leaves for reasons outside the model."""


class JobStream(Frozen):
    """Clients' job posts: a Poisson stream with tiers, budgets and ghosts."""

    jobs_per_day: Annotated[Real, Field(gt=0.0, le=100_000.0)] = 150.0
    """Mean job posts a day."""
    weekly_amplitude: Annotated[Real, Field(ge=0.0, lt=1.0)] = 0.0
    """Relative amplitude of a 7-day sinusoidal cycle in the posting rate (0 = none)."""
    tiers: dict[TierName, Tier] = Field(
        default_factory=lambda: {  # type: ignore[arg-type]
            "entry": Tier(share=0.5, budget_median_usd=150.0, client_rate_usd_per_hour=15.0),
            "intermediate": Tier(
                share=0.35, budget_median_usd=500.0, client_rate_usd_per_hour=30.0
            ),
            "expert": Tier(share=0.15, budget_median_usd=1500.0, client_rate_usd_per_hour=55.0),
        }
    )
    """The job tiers, each with its share, budget distribution and client rate."""
    ghost_share: Share = 0.1
    """Share of posts that never hire (vague or unrealistic posts)."""
    ghost_removed_share: Share = 0.3
    """Share of ghost posts removed by moderation (the rest expire)."""
    decision_days_mean: Annotated[Real, Field(gt=0.0, le=1_000_000.0)] = 3.0
    """Mean days from posting to the client's decision (exponential). A decision never
    comes later than ``open_days_max``, so a mean far beyond it (up to the bound, 1e6)
    means every post is decided when it closes."""
    open_days_max: Annotated[Real, Field(gt=0.0, le=365.0)] = 30.0
    """A post never stays open longer than this, days."""

    @field_validator("tiers")
    @classmethod
    def _tiers_complete(cls, tiers: dict[TierName, Tier]) -> dict[TierName, Tier]:
        missing = [t for t in TIERS if t not in tiers]
        if missing:
            raise ValueError(f"tiers must define {', '.join(missing)}")
        _check_shares({k: v.share for k, v in tiers.items()}, "tier shares")
        return tiers


class FirstKScreening(Frozen):
    """Schema version 1's rule: the client reads the first K proposals in arrival order
    (boosted ones first), whatever reading them costs."""

    rule: Literal["first_k"] = "first_k"
    cost_per_read: Annotated[Real, Field(ge=0.0, le=100.0)] = 0.0
    """Cost of reading one proposal, in score units, subtracted in
    ``client_surplus_per_post`` only (welfare net of screening, as in Arnosti, Johari
    & Kanoria 2021): it changes no decision. Version 1's ``screening_cost_per_review``."""


class SequentialScreening(Frozen):
    """A client that reads proposals one at a time and stops when one more is not worth
    its cost.

    Proposals are shown boosted first, then ranked by the platform (``ranking``). Before
    each read the client weighs the expected gain of one more, ``E[max(X - b, 0)]``,
    against ``cost_per_read``: ``b`` is the best score read so far that it could hire
    (at least the reservation score) and ``X`` the next score, believed normal with the
    mean and spread of the scores read so far, shrunk towards a prior worth
    ``prior_reads`` reads. It stops when the gain falls below the cost, after
    ``max_reviewed`` reads, or when no proposal is left (docs/model.md §6.3).
    """

    rule: Literal["sequential"] = "sequential"
    ranking: Literal["relevance", "arrival"] = "relevance"
    """After the boosted ones, proposals in order of the platform's relevance (the part
    of the client's score the platform can see: all but the client's own taste) or of
    arrival. Relevance: oDesk ranked weaker matches lower and hid some (docs/model.md)."""
    cost_per_read: Annotated[
        Real, Field(ge=0.0, le=100.0, json_schema_extra=plausible(0.001, 0.02))
    ] = 0.005
    """Cost of reading one proposal, in score units (assumption, plausible range
    0.001-0.02; no source gives it). It also counts in ``client_surplus_per_post``."""
    prior_score_mean: Annotated[Real, Field(ge=-100.0, le=100.0)] = 0.55
    """The score the client expects of a proposal before reading any (assumption: the
    default reservation score)."""
    prior_score_sd: Annotated[Real, Field(gt=0.0, le=100.0)] = 0.25
    """The spread it expects (assumption: the default taste noise)."""
    prior_reads: Annotated[Real, Field(ge=0.0, le=1_000.0)] = 3.0
    """How many reads the prior is worth against the scores read (assumption)."""


Screening = Annotated[
    Annotated[FirstKScreening, Tag("first_k")] | Annotated[SequentialScreening, Tag("sequential")],
    Discriminator(rule_or("sequential")),
]
"""A screening rule, selected by its ``rule`` (sequential search when it names none)."""


class Clients(Frozen):
    """How clients review proposals and hire."""

    max_reviewed: Annotated[Integer, Field(ge=1, le=1_000)] = 20
    """K: the client reads at most this many proposals (under ``first_k``, exactly the
    first K to arrive)."""
    close_when_reviewed_full: bool = False
    """Close the post as soon as K proposals have arrived instead of at the decision time."""
    applicant_cap: Annotated[Integer, Field(ge=1, le=100_000)] | None = None
    """Stop accepting proposals once a post has this many (None = no cap)."""
    applicant_cap_share: Share = 1.0
    """Share of posts the applicant cap applies to: 1 caps every post; below 1 each post
    is capped or not at random (a draw from its key), so that capped and uncapped posts
    share one market, as in Horton & Vasserman's field experiment, which randomized the
    cap across job openings. Ignored without ``applicant_cap``."""
    screening: Screening = Field(default_factory=lambda: SequentialScreening())
    """How the client reads proposals and when it stops: a sequential search over the
    proposals in the order the platform shows them (``rule: sequential``), or schema
    version 1's first K in arrival order (``rule: first_k``). K (``max_reviewed``)
    caps the reading under either rule."""
    minutes_per_read: Annotated[
        Real, Field(gt=0.0, le=600.0, json_schema_extra=plausible(1.0, 10.0))
    ] = 3.0
    """Minutes a client spends reading one proposal (assumption, plausible range 1-10;
    no source gives it), for ``screening_hours_per_hire``."""
    weight_quality: ScoreWeight = 1.0
    """Weight of proposal quality (skill x effort) in the client's score (weights are
    normalised to sum to one)."""
    weight_rating: ScoreWeight = 0.6
    """Weight of the freelancer's rating in the score."""
    weight_price: ScoreWeight = 0.6
    """Weight of price fit (cheaper relative to budget is better) in the score."""
    new_freelancer_rating: Share = 0.5
    """Rating a client assumes for a freelancer with no reviews."""
    noise_sd: Annotated[Real, Field(ge=0.0, le=10.0)] = 0.25
    """Standard deviation of the client's idiosyncratic taste in the score."""
    reservation_score: Annotated[Real, Field(ge=-1e9, le=1e9)] = 0.55
    """The client hires only a proposal scoring at least this. A score is a weighted mean
    in [0, 1] plus ``noise_sd`` times a standard normal (at most about 8.2 in size), so
    a reservation below -9 x ``noise_sd`` lets every proposal through (the textbook
    check uses -1e9) and one above 1 + 9 x ``noise_sd`` lets none through; the bounds,
    +-1e9, only keep the value finite."""
    interviews_per_post: Annotated[Integer, Field(ge=0, le=1_000)] = 3
    """A client interviews its best reviewed proposals scoring at least the reservation
    score, at most this many (an assumption; policies may pay Connects per interview)."""
    recall: bool = True
    """When the best proposal's freelancer has no room for another contract (hired by
    an earlier post at the same moment, or busy), hire the next best (True) or nobody
    (False: offers without recall, as in the textbook matching models)."""


class Contracts(Frozen):
    """Work, payment and reviews."""

    hours_per_day: Annotated[Real, Field(gt=0.0, le=24.0)] = 4.0
    """Hours a day a freelancer works on one contract."""
    service_fee_share: Annotated[Real, Field(ge=0.0, lt=1.0)] = 0.10
    """Platform's service fee, share of the contract's value."""
    five_star_base: Share = 0.5
    """Probability of a five-star review for skill 0."""
    five_star_per_skill: Share = 0.45
    """Added probability of a five-star review per unit of skill."""


class Behaviour(Frozen):
    """The boundedly rational rules freelancers follow (every rule a parameter)."""

    proposal_hours: Annotated[Real, Field(gt=0.0, le=24.0)] = 0.25
    """Hours a careful proposal takes."""
    weekly_proposal_hours: Annotated[Real, Field(gt=0.0, le=168.0)] = 4.0
    """Hours a week a freelancer will spend writing proposals; beyond it, quality falls."""
    min_effort: Annotated[Real, Field(gt=0.0, le=1.0)] = 0.2
    """Floor on the effort factor of a rushed proposal."""
    expected_final_proposals_multiplier: Annotated[Real, Field(ge=1.0, le=100.0)] = 1.5
    """How many times the visible proposal count a freelancer expects by the decision."""
    believed_hire_rate: Share = 0.7
    """Probability, as freelancers believe, that a post hires anyone at all."""
    pacing_value_usd_per_connect: Annotated[Real, Field(ge=0.0, le=100.0)] = 0.5
    """Shadow price of a free Connect when the allowance is about to run out, USD."""
    pacing_connects_per_day: Annotated[Real, Field(gt=0.0, le=1_000.0)] = 1.0
    """Connects a day a freelancer plans to use when pacing a free allowance."""
    membership_choice: Literal["drawn", "choose"] = "drawn"
    """'drawn': membership by regional shares; 'choose': upgrade when the gain beats the fee."""
    courses_per_month: PerMonth = 0.2
    """Mean courses a freelancer completes a month (earns Connects if the policy pays)."""
    community_posts_per_month: PerMonth = 0.3
    """Mean community contributions a month (earns Connects if the policy pays)."""


class Textbook(Frozen):
    """The textbook special case of the market, for checks against closed-form results.

    The market runs in rounds of one wave each: the round's posts (exactly
    ``jobs_per_day x wave_days`` of them) appear at its start and close at its
    end; every freelancer in the market browses once in every round, applies to
    ``applications_per_freelancer`` distinct posts chosen uniformly at random
    among those open, whatever they cost or pay; contracts last less than a
    round and end before the round's posts close, so every freelancer is free
    again when the next round is decided. Combine it with clients who pick
    uniformly (all score weights 0, ``noise_sd`` > 0, a very low reservation
    score), ``capacity_contracts: 1`` and ``recall: false`` for the urn-ball and
    multiple-applications models (see docs/validation.md).
    """

    applications_per_freelancer: Annotated[Integer, Field(ge=1, le=1_000)] = 1
    """a: distinct posts each freelancer applies to in every round."""


class World(Frozen):
    """Everything that does not change between arms: people, jobs, clients."""

    regions: dict[str, Region]
    """The regions, keyed by name."""
    memberships: dict[str, Membership] = Field(
        default_factory=lambda: {
            "basic": Membership(fee_usd_per_month=0.0),
            "plus": Membership(fee_usd_per_month=14.99),
        }
    )
    """Membership plans, keyed by name; exactly 'basic' and 'plus'."""
    population: Population = Population()
    """Freelancers and their traits."""
    jobs: JobStream = JobStream()
    """The job stream."""
    clients: Clients = Clients()
    """Client review and hiring."""
    contracts: Contracts = Contracts()
    """How contracts are worked, paid and reviewed."""
    behaviour: Behaviour = Behaviour()
    """Freelancers' decision rules."""
    textbook: Textbook | None = None
    """Switch the market to the textbook rounds of :class:`Textbook` (None: the full model)."""

    @field_validator("regions")
    @classmethod
    def _regions_share_one(cls, regions: dict[str, Region]) -> dict[str, Region]:
        if not regions:
            raise ValueError("regions must name at least one region")
        _check_shares({k: v.share for k, v in regions.items()}, "region shares")
        return regions

    @field_validator("memberships")
    @classmethod
    def _two_memberships(cls, memberships: dict[str, Membership]) -> dict[str, Membership]:
        if set(memberships) != {"basic", "plus"}:
            raise ValueError(
                f"memberships must be exactly 'basic' and 'plus' (got {sorted(memberships)})"
            )
        return memberships


class RunSettings(Frozen):
    """Length of a run and the study defaults."""

    warmup_days: Annotated[Real, Field(ge=0.0, le=MAX_DAYS)] = 60.0
    """Days simulated before anything is recorded."""
    horizon_days: Annotated[Real, Field(gt=0.0, le=MAX_DAYS)] = 180.0
    """Days recorded after the warm-up."""
    wave_days: Annotated[Real, Field(ge=0.01, le=1.0)] = 0.125
    """Length of a browsing wave, days: the time step of posting, closing, hiring and
    contract ends (bidding within a wave is in exact session order); a whole number of
    waves a day, at most 100."""
    replications: Annotated[Integer, Field(ge=1, le=MAX_REPLICATIONS)] = 10
    """Default number of replications."""
    seed: Annotated[Integer, Field(ge=0, le=MAX_SEED)] = 20_190_501
    """Default root seed of the study's SeedSequence."""

    @model_validator(mode="after")
    def _whole_waves(self) -> RunSettings:
        per_day = 1.0 / self.wave_days
        if abs(per_day - round(per_day)) > 1e-9:
            raise ValueError(f"wave_days must divide a day evenly (got {self.wave_days})")
        return self


def vary_path(text: str) -> str:
    """The path of a ``--vary`` text (``PATH=...`` -> ``PATH``), stripped."""
    return text.partition("=")[0].strip()


class BreakEvenSpec(Frozen):
    """A break-even question of a sweep: where one arm's paired difference from the
    baseline, in one metric, crosses zero along one varied parameter.

    The answer is found for each combination of the sweep's other parameters, by
    linear interpolation between neighbouring levels, with the interval where the
    difference's 95% interval holds zero (``simulator.experiments.break_even``).
    """

    arm: str
    """The arm compared with the baseline (not the baseline itself)."""
    metric: str
    """The metric whose difference is solved for zero, overall (a name of
    ``summary/levels.csv``, e.g. ``proposals_per_job``)."""
    along: str
    """The varied path to solve along: one of ``vary``'s paths, with numbers as levels."""

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        if metric not in METRICS:
            shown = metric if len(metric) <= 40 else metric[:40] + "..."
            raise ValueError(
                f"{shown!r} is not a metric (e.g. proposals_per_job, fill_rate; every name is "
                f"a row of a study's summary/levels.csv){did_you_mean(metric, METRICS)}"
            )
        return metric


class SweepSpec(Frozen):
    """The axes of ``connectsim sweep`` when the command line gives no ``--vary``.

    ``connectsim run`` ignores this block, and it is left out of the scenario's
    hash: no replication depends on it (a sweep's own hash covers its points).
    """

    vary: Annotated[list[str], Field(min_length=1, max_length=20)]
    """The varied fields, each as ``--vary`` takes it: ``PATH=V1,V2,...``,
    ``PATH=LOW:HIGH:N`` or (Latin hypercube only) ``PATH=LOW:HIGH``."""
    design: Literal["grid", "lhs"] = "grid"
    """``grid``: every combination of the levels; ``lhs``: a Latin hypercube of ``points``."""
    points: Annotated[Integer, Field(ge=1, le=100_000)] | None = None
    """Design points of a Latin hypercube (``design: lhs`` only)."""
    break_even: BreakEvenSpec | None = None
    """Where an arm's difference from the baseline crosses zero along one of the axes
    (a grid only); the sweep's report and ``connectsim sweep`` show it."""

    @field_validator("vary")
    @classmethod
    def _vary_texts(cls, vary: list[str]) -> list[str]:
        seen: set[str] = set()
        for text in vary:
            path = vary_path(text)
            if "=" not in text or not path:
                shown = text if len(text) <= 60 else text[:60] + "..."
                raise ValueError(
                    f"{shown!r} is not PATH=V1,V2,... or PATH=LOW:HIGH:N "
                    "(e.g. arms.free.monthly_grant.basic=10,20,40)"
                )
            if path in seen:
                raise ValueError(f"{path} is varied twice")
            seen.add(path)
        return vary

    @model_validator(mode="after")
    def _design_fits(self) -> SweepSpec:
        if self.design == "lhs" and self.points is None:
            raise ValueError("design lhs needs points (how many design points to draw)")
        if self.design == "grid" and self.points is not None:
            raise ValueError("points applies to design lhs only (a grid has every level)")
        if self.break_even is not None:
            paths = [vary_path(text) for text in self.vary]
            if self.break_even.along not in paths:
                raise ValueError(
                    f"break_even.along {self.break_even.along!r} is not varied "
                    f"(vary: {', '.join(paths)})"
                )
            if self.design != "grid":
                raise ValueError("break_even needs design grid (levels shared between points)")
        return self


class Scenario(Frozen):
    """A scenario: one world, several credit-policy arms, and a baseline among them."""

    schema_version: Literal[2] = 2
    """Version of this file format (version 1 files are migrated on loading)."""
    name: str
    """Short name of the scenario; it names the results directory ``reports/<name>``, so
    it holds letters, digits, '_', '-' and '.' only, and does not start with '.'."""
    description: str = ""
    """What the scenario asks, and where its figures come from."""
    world: World
    """The world every arm runs in."""
    arms: dict[str, PolicySpec]
    """The credit policies compared, keyed by arm name (a directory name of the results:
    letters, digits, '_', '-' and '.', not starting with '.')."""
    baseline: str
    """Name of the arm that differences are taken against."""
    run: RunSettings = RunSettings()
    """Length of each run and the study defaults."""
    sweep: SweepSpec | None = Field(default=None, exclude=True)
    """What ``connectsim sweep`` varies when no ``--vary`` is given, and an optional
    break-even question; ignored by ``connectsim run``. Never dumped (so never in the
    scenario's hash, nor in a study's manifest): no replication depends on it."""

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        return check_name(name, "the name")

    @field_validator("arms")
    @classmethod
    def _safe_arm_names(cls, arms: dict[str, PolicySpec]) -> dict[str, PolicySpec]:
        for arm in arms:
            check_name(arm, f"arm name {arm if len(arm) <= 40 else arm[:40] + '...'!r}")
        return arms

    @model_validator(mode="after")
    def _baseline_is_an_arm(self) -> Scenario:
        if not self.arms:
            raise ValueError("arms must define at least one policy")
        if self.baseline not in self.arms:
            shown = self.baseline if len(self.baseline) <= 40 else self.baseline[:40] + "..."
            raise ValueError(
                f"baseline {shown!r} is not an arm (arms: {', '.join(self.arms)})"
                f"{did_you_mean(self.baseline, self.arms)}"
            )
        for arm_name, spec in self.arms.items():
            spec.check_against(arm_name, set(self.world.memberships), set(self.world.regions))
        question = self.sweep.break_even if self.sweep is not None else None
        if question is not None and (
            question.arm not in self.arms or question.arm == self.baseline
        ):
            shown = question.arm if len(question.arm) <= 40 else question.arm[:40] + "..."
            others = ", ".join(a for a in self.arms if a != self.baseline)
            raise ValueError(
                f"sweep.break_even.arm {shown!r} is not an arm other than the baseline "
                f"{self.baseline!r} (arms: {others or 'none'})"
                f"{did_you_mean(question.arm, [a for a in self.arms if a != self.baseline])}"
            )
        return self
