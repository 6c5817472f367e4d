"""Credit policies: validated rule sets plus the pure functions the engine calls.

A policy is assembled from independent rules (price and bundles, Connects per
proposal, grants, rollover and expiry, purchase, earning, eligibility,
refunds). Scenario files choose a preset by ``kind``; every rule can then be
overridden field by field. :meth:`CreditPolicy.compile` turns the rules into
a :class:`~simulator.config.compiled_policy.CompiledPolicy` of small arrays
indexed by region and membership code, whose methods are vectorized and pure
(no SimPy, no random numbers), so each rule is unit-tested on its own. This
module holds the rules only (pydantic, no NumPy or numba), so that checking a
scenario loads nothing of the engine.

Boosted proposals (:class:`Boosts`) are a rule like the others: off unless a
scenario switches them on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from simulator.errors import did_you_mean

if TYPE_CHECKING:
    from simulator.config.compiled_policy import CompiledPolicy, FloatArray

MEMBERSHIPS: tuple[str, ...] = ("basic", "plus")
"""Membership names in the order of the engine's integer membership codes."""


class _Rule(BaseModel):
    """Base of every policy model: frozen, unknown fields forbidden, finite numbers only."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, allow_inf_nan=False
    )


def refuse_bool(value: object) -> object:
    """Refuse ``True`` and ``False`` where a number is expected (Python counts them as 1
    and 0, so ``freelancers: true`` would otherwise mean one freelancer).

    Parameters
    ----------
    value
        The input of a numeric field, before pydantic converts it.

    Returns
    -------
    object
        ``value`` unchanged, if it is not a bool.

    Raises
    ------
    pydantic_core.PydanticCustomError
        If ``value`` is a bool.
    """
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "Input should be a number, not true or false")
    return value


Real = Annotated[float, BeforeValidator(refuse_bool)]
"""A float field's type: an int (YAML's ``30``) or a numeric string (PyYAML reads ``1e9``
as a string) is converted, a bool is refused; the models' ``allow_inf_nan=False``
refuses NaN and infinities."""
Integer = Annotated[int, BeforeValidator(refuse_bool)]
"""An int field's type: a bool is refused (a whole float such as ``3.0`` is converted)."""

# Every number is a Real or an Integer, finite and bounded on both sides.
ConnectCount = Annotated[Integer, Field(ge=0, le=1_000)]
"""Connects in one grant, price or reward."""
ConnectCap = Annotated[Integer, Field(ge=0, le=100_000)]
"""A cap on Connects held or earned: beyond what any freelancer could reach, it is no cap."""
Share = Annotated[Real, Field(ge=0.0, le=1.0)]
"""A probability or share, in [0, 1]."""


class FlatCost(_Rule):
    """Every proposal costs the same number of Connects."""

    rule: Literal["flat"] = "flat"
    connects: ConnectCount = 2
    """Connects per proposal."""


class TierCost(_Rule):
    """Connects per proposal by the job's tier."""

    rule: Literal["by_tier"] = "by_tier"
    entry: ConnectCount = 2
    """Connects for an entry-level job."""
    intermediate: ConnectCount = 4
    """Connects for an intermediate job."""
    expert: ConnectCount = 6
    """Connects for an expert job."""


class BudgetCost(_Rule):
    """Connects per proposal by budget brackets (a rate card when multiplied)."""

    rule: Literal["by_budget"] = "by_budget"
    thresholds_usd: list[Annotated[Real, Field(gt=0.0, le=10_000_000.0)]] = Field(
        default_factory=lambda: [50.0, 600.0], max_length=100
    )
    """Upper budget limits of every bracket but the last, USD, increasing."""
    connects: list[ConnectCount] = Field(default_factory=lambda: [2, 4, 6], max_length=101)
    """Connects in each bracket; one more entry than thresholds."""
    multiplier: Annotated[Integer, Field(ge=1, le=100)] = 1
    """Multiplies every bracket (2 turns the 2/4/6/8 rate card into 4/8/12/16)."""

    @model_validator(mode="after")
    def _brackets(self) -> BudgetCost:
        if len(self.connects) != len(self.thresholds_usd) + 1:
            raise ValueError(
                f"connects needs {len(self.thresholds_usd) + 1} entries "
                f"(one more than thresholds_usd), got {len(self.connects)}"
            )
        if any(b <= a for a, b in zip(self.thresholds_usd, self.thresholds_usd[1:], strict=False)):
            raise ValueError("thresholds_usd must increase")
        return self


ProposalCost = Annotated[FlatCost | TierCost | BudgetCost, Field(discriminator="rule")]


class Earning(_Rule):
    """Connects earned for activity, when the policy pays for it."""

    per_five_star_review: ConnectCount = 0
    """Connects per five-star review received."""
    per_completed_project: ConnectCount = 0
    """Connects per completed contract."""
    per_course: ConnectCount = 0
    """Connects per course completed."""
    per_community_post: ConnectCount = 0
    """Connects per community contribution."""
    per_interview: ConnectCount = 0
    """Connects per client interview, hired or not (Upwork, late 2020: 10 each); see
    ``clients.interviews_per_post`` for who is interviewed."""
    interview_cap_per_week: ConnectCap | None = None
    """At most this many Connects a week from interviews (Upwork, late 2020: 50; None = no cap)."""
    cap_per_month: ConnectCap | None = None
    """At most this many earned Connects a month (None = no cap)."""


class Eligibility(_Rule):
    """Who receives grants and earned Connects."""

    require_verified: bool = False
    """Only verified freelancers receive grants and earnings."""
    min_rating: Share = 0.0
    """Good standing: rating at least this (new freelancers count as in good standing)."""
    active_within_days: Annotated[Real, Field(gt=0.0, le=36_500.0)] | None = None
    """Only freelancers who sent a proposal in this many days (None = no rule)."""


class Refunds(_Rule):
    """When Connects spent on a post come back."""

    on_cancel: bool = False
    """The client closes the post without hiring."""
    on_removed: bool = False
    """The post is removed by moderation."""
    on_expired: bool = False
    """The post expires unanswered (ghost posts)."""


class Boosts(_Rule):
    """Boosted proposals: extra Connects bid for the top slots of a post's proposal list
    (Upwork, from 2023).

    The slots go by a first-price auction: the highest bids hold them, each pays its
    own bid, and a new bid must beat the lowest held one to take its slot. Clients
    review the boosted proposals first. A boost is charged only if its proposal still
    holds a slot when the client reviews: outbid boosts, and boosts on posts whose
    client never reviews (ghost posts), are refunded.
    """

    enabled: bool = False
    """Freelancers may boost their proposals."""
    slots: Annotated[Integer, Field(ge=1, le=20)] = 4
    """Top slots of each post's proposal list (Upwork: 4)."""
    min_bid_connects: Annotated[Integer, Field(ge=1, le=1_000)] = 1
    """Smallest boost bid, Connects (Upwork: 1)."""
    max_bid_connects: Annotated[Integer, Field(ge=1, le=1_000)] = 50
    """Largest boost bid, Connects (an assumption: a ceiling on bidding wars)."""

    @model_validator(mode="after")
    def _bids(self) -> Boosts:
        if self.max_bid_connects < self.min_bid_connects:
            raise ValueError(
                f"max_bid_connects ({self.max_bid_connects}) is below "
                f"min_bid_connects ({self.min_bid_connects})"
            )
        return self


class CreditPolicy(_Rule):
    """All rules of a credit policy. Use a preset ``kind`` in scenario files."""

    kind: str
    label: str = ""
    """Human-readable name for tables and charts (defaults to the arm name)."""
    price_usd_per_connect: Annotated[Real, Field(ge=0.0, le=100.0)] = 0.15
    """Price of one Connect, USD."""
    regional_pricing: bool = False
    """Multiply the price by the freelancer's region's connect_price_multiplier."""
    purchase_allowed: bool = True
    """Freelancers may buy Connects."""
    bundle_sizes: list[Annotated[Integer, Field(ge=1, le=10_000)]] = Field(
        default_factory=lambda: [10, 20, 40, 60, 80], min_length=1, max_length=100
    )
    """Connects are sold only in these bundle sizes."""
    proposal_cost: ProposalCost = Field(default_factory=BudgetCost)
    """Connects a proposal costs."""
    monthly_grant: dict[str, ConnectCount] = Field(default_factory=lambda: {"basic": 0, "plus": 70})
    """Free Connects granted each month, by membership."""
    new_account_grant: ConnectCount = 20
    """One-time free Connects for a new account."""
    daily_refill: ConnectCount = 0
    """Free Connects added each day, up to ``refill_cap`` in hand (a bid allowance that
    refills, as on Freelancer.com; 0 = none)."""
    refill_cap: ConnectCap = 0
    """The daily refill stops once a freelancer holds this many free Connects."""
    first_proposal_free: bool = False
    """The first proposal sent to a post costs nothing (PeoplePerHour-style)."""
    readiness_test_grant: ConnectCount = 0
    """Extra one-time Connects for new accounts that pass a readiness test."""
    readiness_pass_share: Share = 0.5
    """Share of new accounts that pass the readiness test."""
    rollover_cap: dict[str, ConnectCap | None] = Field(
        default_factory=lambda: {"basic": None, "plus": 140}
    )
    """At a new month, free Connects above this are lost (None = no cap), by membership."""
    free_expiry_months: Annotated[Integer, Field(ge=1, le=120)] | None = None
    """Free Connects expire this many months after issue (1 = at month end; None = never)."""
    purchased_expiry_months: Annotated[Integer, Field(ge=1, le=120)] | None = 12
    """Bought Connects expire this many months after purchase (None = never)."""
    earning: Earning = Earning()
    """Connects earned for activity."""
    eligibility: Eligibility = Eligibility()
    """Who receives grants and earnings."""
    refunds: Refunds = Refunds()
    """When spent Connects are refunded."""
    boosts: Boosts = Boosts()
    """Boosted proposals (off by default)."""

    def check_against(self, arm: str, memberships: set[str], regions: set[str]) -> None:
        """Raise ``ValueError`` if the policy names memberships the world lacks."""
        for field in ("monthly_grant", "rollover_cap"):
            unknown = sorted(set(getattr(self, field)) - memberships)
            if unknown:
                raise ValueError(
                    f"arms.{arm}.{field} names unknown membership {unknown[0]!r} "
                    f"(memberships: {', '.join(sorted(memberships))})"
                    f"{did_you_mean(unknown[0], memberships)}"
                )

    def compile(
        self, region_price_multipliers: FloatArray, region_names: list[str]
    ) -> CompiledPolicy:
        """Turn the rules into arrays indexed by region and membership code."""
        # loaded here, not with the module: checking a scenario needs no NumPy or numba
        import numpy as np

        from simulator.config.compiled_policy import CompiledPolicy

        multipliers = (
            np.asarray(region_price_multipliers, dtype=np.float64)
            if self.regional_pricing
            else np.ones(len(region_names))
        )
        cost = self.proposal_cost
        if isinstance(cost, FlatCost):
            thresholds = np.empty(0)
            bracket_connects = np.array([cost.connects], dtype=np.int64)
            tier_connects = np.full(3, cost.connects, dtype=np.int64)
            by_tier = True
        elif isinstance(cost, TierCost):
            thresholds = np.empty(0)
            bracket_connects = np.array([cost.entry], dtype=np.int64)
            tier_connects = np.array([cost.entry, cost.intermediate, cost.expert], np.int64)
            by_tier = True
        else:
            thresholds = np.asarray(cost.thresholds_usd, dtype=np.float64)
            bracket_connects = np.asarray(cost.connects, dtype=np.int64) * cost.multiplier
            tier_connects = np.zeros(3, dtype=np.int64)
            by_tier = False
        big = np.iinfo(np.int64).max // 4
        return CompiledPolicy(
            price_usd=self.price_usd_per_connect * multipliers,
            purchase_allowed=self.purchase_allowed,
            bundle_sizes=np.sort(np.asarray(self.bundle_sizes, dtype=np.int64)),
            cost_by_tier=by_tier,
            tier_connects=tier_connects,
            budget_thresholds_usd=thresholds,
            bracket_connects=bracket_connects,
            monthly_grant=np.array([self.monthly_grant.get(m, 0) for m in MEMBERSHIPS], np.int64),
            rollover_cap=np.array(
                [
                    big if self.rollover_cap.get(m) is None else self.rollover_cap[m]
                    for m in MEMBERSHIPS
                ],
                dtype=np.int64,
            ),
            new_account_grant=self.new_account_grant,
            readiness_test_grant=self.readiness_test_grant,
            readiness_pass_share=self.readiness_pass_share,
            free_expiry_months=self.free_expiry_months,
            purchased_expiry_months=self.purchased_expiry_months,
            earn_five_star=self.earning.per_five_star_review,
            earn_completion=self.earning.per_completed_project,
            earn_course=self.earning.per_course,
            earn_community=self.earning.per_community_post,
            earn_interview=self.earning.per_interview,
            interview_cap_per_week=big
            if self.earning.interview_cap_per_week is None
            else self.earning.interview_cap_per_week,
            daily_refill=self.daily_refill,
            refill_cap=self.refill_cap,
            first_proposal_free=self.first_proposal_free,
            earn_cap_per_month=big
            if self.earning.cap_per_month is None
            else self.earning.cap_per_month,
            require_verified=self.eligibility.require_verified,
            min_rating=self.eligibility.min_rating,
            active_within_days=self.eligibility.active_within_days,
            refund_on_cancel=self.refunds.on_cancel,
            refund_on_removed=self.refunds.on_removed,
            refund_on_expired=self.refunds.on_expired,
            boost_slots=self.boosts.slots if self.boosts.enabled else 0,
            boost_min_bid=self.boosts.min_bid_connects,
            boost_max_bid=self.boosts.max_bid_connects,
        )


class PaidPolicy(CreditPolicy):
    """The paid system: Connects are bought ($0.15 each in bundles, 2-6 a proposal)."""

    kind: Literal["paid"] = "paid"


class FreePolicy(CreditPolicy):
    """The free-Connects system: monthly allowances plus Connects earned, none sold."""

    kind: Literal["free"] = "free"
    purchase_allowed: bool = False
    """Freelancers may buy Connects (not in the free program)."""
    monthly_grant: dict[str, ConnectCount] = Field(
        default_factory=lambda: {"basic": 10, "plus": 70}
    )
    """Free Connects granted each month, by membership (the seed article's 10 and 70)."""
    new_account_grant: ConnectCount = 0
    """One-time free Connects for a new account."""
    earning: Earning = Earning(
        per_five_star_review=10, per_completed_project=5, per_course=5, per_community_post=2
    )
    """Connects earned for reviews, completed projects, courses and community work
    (amounts are assumptions)."""
    eligibility: Eligibility = Eligibility(
        require_verified=True, min_rating=0.5, active_within_days=60.0
    )
    """Grants and earnings go to verified freelancers in good standing, active in the
    last 60 days (thresholds are assumptions)."""


POLICY_KINDS: dict[str, type[CreditPolicy]] = {"paid": PaidPolicy, "free": FreePolicy}
"""The registry of policy kinds a scenario may name."""

PolicySpec = Annotated[PaidPolicy | FreePolicy, Field(discriminator="kind")]
"""A policy as written in a scenario file, selected by its ``kind``."""


MODIFIED_MARK = "modified"
"""The word that opens the mark of an arm whose fields were changed after its label was
written: ``Paid Connects ($0.15) [modified: price_usd_per_connect=0.3]``."""


def show_value(value: object) -> str:
    """A field's value as a label shows it: strings bare, the rest as JSON (``0.3``,
    ``true``, ``null``, ``[2, 4, 6]``)."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a policy that differ between two plain-data forms of it.

    Parameters
    ----------
    before, after
        The policy as written (or dumped) before and after a change; nested
        mappings are compared field by field.

    Returns
    -------
    dict[str, Any]
        Each changed field's dotted path (``monthly_grant.basic``) and its value
        in ``after``, in ``after``'s order; the label is left out (it is the name
        being checked, not a rule).
    """
    changes: dict[str, Any] = {}

    def walk(old: Any, new: Any, prefix: str) -> None:
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            for key in dict.fromkeys([*new, *old]):
                if not prefix and key == "label":
                    continue
                walk(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else key)
        elif old != new:
            changes[prefix] = new

    walk(before, after, "")
    return changes


def modified_label(label: str, changes: Mapping[str, str]) -> str:
    """``label`` marked with the fields that were changed after it was written.

    Parameters
    ----------
    label
        The arm's label (or its name, when it has no label).
    changes
        Each changed field's path and its value as shown (already text: a
        single value, or a sweep's range of them).

    Returns
    -------
    str
        ``label`` unchanged when nothing changed, else
        ``"label [modified: field=value, ...]"``.
    """
    if not changes:
        return label
    shown = ", ".join(f"{path}={value}" for path, value in changes.items())
    return f"{label} [{MODIFIED_MARK}: {shown}]"
