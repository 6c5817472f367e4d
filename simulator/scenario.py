"""The scenario schema: one world and the credit-policy arms compared in it.

Every model is frozen and forbids unknown fields, so a typo in a scenario file
is an error rather than a silently ignored setting. Attribute docstrings are
the reference documentation of each field (``connectsim schema`` prints them).
Units are carried in field names (``_usd``, ``_days``, ``_per_month``).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator.policy import PolicySpec

SCHEMA_VERSION = 1
"""The scenario format this version of connectsim reads and writes."""

TierName = Literal["entry", "intermediate", "expert"]
TIERS: tuple[TierName, ...] = ("entry", "intermediate", "expert")
"""Job tiers, in the order used by the engine's integer tier codes."""

Share = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]


class Frozen(BaseModel):
    """Base of every scenario model: frozen, unknown fields forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _check_shares(shares: dict[str, float], what: str) -> None:
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"{what} must sum to 1 (got {total:.6g})")


class Region(Frozen):
    """A region of the world's freelancer population."""

    share: Share
    """Share of the freelancer population living in this region."""
    monthly_income_usd: PositiveFloat
    """Typical monthly income (the yardstick for cost burden), USD."""
    typical_rate_usd_per_hour: PositiveFloat
    """Typical hourly rate asked by freelancers of this region, USD."""
    connect_price_multiplier: PositiveFloat = 1.0
    """Multiplier on the price of a Connect when a policy prices by region."""
    plus_share: Share = 0.1
    """Share of this region's freelancers on the paid (Plus) membership."""


class Membership(Frozen):
    """A membership plan; its Connects grant and rollover cap belong to the policy."""

    fee_usd_per_month: NonNegativeFloat = 0.0
    """Monthly membership fee, USD."""


class Tier(Frozen):
    """A job tier: its share of posts and its budget distribution."""

    share: Share
    """Share of job posts in this tier."""
    budget_median_usd: PositiveFloat
    """Median job budget, USD (lognormal)."""
    budget_sigma: Annotated[float, Field(gt=0.0, le=3.0)] = 0.8
    """Log-scale standard deviation of the budget."""
    client_rate_usd_per_hour: PositiveFloat
    """Hourly rate the client has in mind; sets the job's hours from its budget."""


class Population(Frozen):
    """Freelancers: how many, their traits, and how they enter and leave."""

    freelancers: Annotated[int, Field(ge=1, le=2_000_000)] = 2_000
    """Freelancers at the start of the run."""
    categories: Annotated[int, Field(ge=1, le=1_000)] = 10
    """Kinds of work; a freelancer bids only on jobs of its own category."""
    new_share: Share = 0.2
    """Share of the initial freelancers who are new (no completed job yet)."""
    history_jobs_mean: Annotated[float, Field(ge=1.0)] = 12.0
    """Mean completed jobs of an established freelancer at the start (geometric, at
    least one)."""
    skill_beta_a: PositiveFloat = 2.0
    """Skill ~ Beta(a, b) in (0, 1)."""
    skill_beta_b: PositiveFloat = 2.0
    """Skill ~ Beta(a, b) in (0, 1)."""
    rate_sigma: NonNegativeFloat = 0.3
    """Log-scale spread of asking rates around the regional typical rate."""
    reservation_rate_share: Annotated[float, Field(gt=0.0, le=1.0)] = 0.6
    """Reservation (walk-away) hourly rate as a share of the asking rate."""
    sessions_per_day_mean: PositiveFloat = 1.5
    """Mean browsing sessions a day (gamma-distributed across freelancers)."""
    sessions_per_day_shape: PositiveFloat = 2.0
    """Gamma shape of the sessions rate across freelancers (smaller = more spread)."""
    jobs_viewed_per_session: Annotated[int, Field(ge=1, le=200)] = 8
    """Newest unseen open jobs of its category a freelancer looks at per session."""
    capacity_contracts: Annotated[int, Field(ge=1, le=50)] = 2
    """Concurrent contracts at most; a full freelancer does not bid."""
    platform_budget_share_of_income: Share = 0.08
    """Monthly budget for platform spend (Connects and fees), share of regional income."""
    verified_share: Share = 0.9
    """Share of freelancers with a verified identity."""
    entrants_per_month_share: NonNegativeFloat = 0.02
    """New freelancers joining each month, as a share of the initial population."""
    exit_after_losing_months: Annotated[int, Field(ge=1, le=120)] = 3
    """A freelancer leaves after this many consecutive months spending more than it earned."""
    churn_per_month: Share = 0.01
    """Probability a month that a freelancer leaves for reasons outside the model."""


class JobStream(Frozen):
    """Clients' job posts: a Poisson stream with tiers, budgets and ghosts."""

    jobs_per_day: PositiveFloat = 150.0
    """Mean job posts a day."""
    weekly_amplitude: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
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
    decision_days_mean: PositiveFloat = 3.0
    """Mean days from posting to the client's decision (exponential)."""
    open_days_max: PositiveFloat = 30.0
    """A post never stays open longer than this, days."""

    @field_validator("tiers")
    @classmethod
    def _tiers_complete(cls, tiers: dict[TierName, Tier]) -> dict[TierName, Tier]:
        missing = [t for t in TIERS if t not in tiers]
        if missing:
            raise ValueError(f"tiers must define {', '.join(missing)}")
        _check_shares({k: v.share for k, v in tiers.items()}, "tier shares")
        return tiers


class Clients(Frozen):
    """How clients review proposals and hire."""

    max_reviewed: Annotated[int, Field(ge=1, le=1_000)] = 20
    """K: the client reviews at most this many proposals, in arrival order."""
    close_when_reviewed_full: bool = False
    """Close the post as soon as K proposals have arrived instead of at the decision time."""
    applicant_cap: Annotated[int, Field(ge=1)] | None = None
    """Stop accepting proposals once a post has this many (None = no cap)."""
    applicant_cap_share: Share = 1.0
    """Share of posts the applicant cap applies to: 1 caps every post; below 1 each post
    is capped or not at random (a draw from its key), so that capped and uncapped posts
    share one market, as in Horton & Vasserman's field experiment, which randomized the
    cap across job openings. Ignored without ``applicant_cap``."""
    screening_cost_per_review: NonNegativeFloat = 0.0
    """Cost to the client of reviewing one proposal, in score units, subtracted in
    ``client_surplus_per_post`` (welfare net of screening, as in Arnosti, Johari &
    Kanoria 2021). It changes no decision: clients review the same K proposals.
    Default 0: an assumption (no source gives a screening cost in score units)."""
    weight_quality: NonNegativeFloat = 1.0
    """Weight of proposal quality (skill x effort) in the client's score (weights are
    normalised to sum to one)."""
    weight_rating: NonNegativeFloat = 0.6
    """Weight of the freelancer's rating in the score."""
    weight_price: NonNegativeFloat = 0.6
    """Weight of price fit (cheaper relative to budget is better) in the score."""
    new_freelancer_rating: Share = 0.5
    """Rating a client assumes for a freelancer with no reviews."""
    noise_sd: NonNegativeFloat = 0.25
    """Standard deviation of the client's idiosyncratic taste in the score."""
    reservation_score: float = 0.55
    """The client hires only a proposal scoring at least this."""
    interviews_per_post: Annotated[int, Field(ge=0, le=1_000)] = 3
    """A client interviews its best reviewed proposals scoring at least the reservation
    score, at most this many (an assumption; policies may pay Connects per interview)."""
    recall: bool = True
    """When the best proposal's freelancer has no room for another contract (hired by
    an earlier post at the same moment, or busy), hire the next best (True) or nobody
    (False: offers without recall, as in the textbook matching models)."""


class Contracts(Frozen):
    """Work, payment and reviews."""

    hours_per_day: Annotated[float, Field(gt=0.0, le=24.0)] = 4.0
    """Hours a day a freelancer works on one contract."""
    service_fee_share: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.10
    """Platform's service fee, share of the contract's value."""
    five_star_base: Share = 0.5
    """Probability of a five-star review for skill 0."""
    five_star_per_skill: Share = 0.45
    """Added probability of a five-star review per unit of skill."""


class Behaviour(Frozen):
    """The boundedly rational rules freelancers follow (every rule a parameter)."""

    proposal_hours: PositiveFloat = 0.25
    """Hours a careful proposal takes."""
    weekly_proposal_hours: PositiveFloat = 4.0
    """Hours a week a freelancer will spend writing proposals; beyond it, quality falls."""
    min_effort: Annotated[float, Field(gt=0.0, le=1.0)] = 0.2
    """Floor on the effort factor of a rushed proposal."""
    expected_final_proposals_multiplier: Annotated[float, Field(ge=1.0)] = 1.5
    """How many times the visible proposal count a freelancer expects by the decision."""
    believed_hire_rate: Share = 0.7
    """Probability, as freelancers believe, that a post hires anyone at all."""
    pacing_value_usd_per_connect: NonNegativeFloat = 0.5
    """Shadow price of a free Connect when the allowance is about to run out, USD."""
    pacing_connects_per_day: PositiveFloat = 1.0
    """Connects a day a freelancer plans to use when pacing a free allowance."""
    membership_choice: Literal["drawn", "choose"] = "drawn"
    """'drawn': membership by regional shares; 'choose': upgrade when the gain beats the fee."""
    courses_per_month: NonNegativeFloat = 0.2
    """Mean courses a freelancer completes a month (earns Connects if the policy pays)."""
    community_posts_per_month: NonNegativeFloat = 0.3
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

    applications_per_freelancer: Annotated[int, Field(ge=1, le=1_000)] = 1
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

    warmup_days: NonNegativeFloat = 60.0
    """Days simulated before anything is recorded."""
    horizon_days: Annotated[float, Field(gt=0.0, le=36_500.0)] = 180.0
    """Days recorded after the warm-up."""
    wave_days: Annotated[float, Field(gt=0.0, le=1.0)] = 0.125
    """Length of a browsing wave, days: the time step of posting, closing, hiring and
    contract ends (bidding within a wave is in exact session order)."""
    replications: Annotated[int, Field(ge=1, le=100_000)] = 10
    """Default number of replications."""
    seed: Annotated[int, Field(ge=0)] = 20_190_501
    """Default root seed of the study's SeedSequence."""

    @model_validator(mode="after")
    def _whole_waves(self) -> RunSettings:
        per_day = 1.0 / self.wave_days
        if abs(per_day - round(per_day)) > 1e-9:
            raise ValueError(f"wave_days must divide a day evenly (got {self.wave_days})")
        return self


class Scenario(Frozen):
    """A scenario: one world, several credit-policy arms, and a baseline among them."""

    schema_version: Literal[1] = 1
    """Version of this file format."""
    name: Annotated[str, Field(min_length=1)]
    """Short name of the scenario."""
    description: str = ""
    """What the scenario asks, and where its figures come from."""
    world: World
    """The world every arm runs in."""
    arms: dict[str, PolicySpec]
    """The credit policies compared, keyed by arm name."""
    baseline: str
    """Name of the arm that differences are taken against."""
    run: RunSettings = RunSettings()
    """Length of each run and the study defaults."""

    @model_validator(mode="after")
    def _baseline_is_an_arm(self) -> Scenario:
        if not self.arms:
            raise ValueError("arms must define at least one policy")
        if self.baseline not in self.arms:
            raise ValueError(
                f"baseline {self.baseline!r} is not an arm (arms: {', '.join(self.arms)})"
            )
        for arm_name, spec in self.arms.items():
            spec.check_against(arm_name, set(self.world.memberships), set(self.world.regions))
        return self
