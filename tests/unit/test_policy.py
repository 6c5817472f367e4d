"""Unit tests of simulator.config.policy: the rule models and the compiled, vectorized rules."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from simulator.config.compiled_policy import CompiledPolicy
from simulator.config.policy import (
    MEMBERSHIPS,
    BudgetCost,
    CreditPolicy,
    Earning,
    Eligibility,
    FlatCost,
    FreePolicy,
    PaidPolicy,
    PolicySpec,
    Refunds,
    TierCost,
)

ONE_REGION = np.array([1.0])


def compile_paid(**overrides: object) -> CompiledPolicy:
    return PaidPolicy(**overrides).compile(ONE_REGION, ["a"])


def cost(policy: CompiledPolicy, tiers: list[int], budgets: list[float]) -> list[int]:
    out = policy.connects_per_proposal(
        np.asarray(tiers, dtype=np.int64), np.asarray(budgets, dtype=np.float64)
    )
    return [int(x) for x in out]


# ------------------------------------------------------------ proposal cost
def test_flat_cost_ignores_tier_and_budget() -> None:
    pol = compile_paid(proposal_cost=FlatCost(connects=3))
    assert cost(pol, [0, 1, 2, 0, 2], [1.0, 50.0, 600.0, 1e6, 0.01]) == [3, 3, 3, 3, 3]


def test_tier_cost_by_tier_code() -> None:
    pol = compile_paid(proposal_cost=TierCost(entry=1, intermediate=3, expert=5))
    # tier codes follow scenario.TIERS: entry, intermediate, expert
    assert cost(pol, [0, 1, 2, 2, 0], [1e6, 1.0, 1.0, 600.0, 50.0]) == [1, 3, 5, 5, 1]


def test_tier_cost_defaults_are_2_4_6() -> None:
    pol = compile_paid(proposal_cost=TierCost())
    assert cost(pol, [0, 1, 2], [0.0, 0.0, 0.0]) == [2, 4, 6]


def test_budget_cost_default_brackets_and_edges() -> None:
    # default: <= $50 -> 2, ($50, $600] -> 4, > $600 -> 6
    pol = compile_paid()
    budgets = [0.01, 49.99, 50.0, 50.01, 599.99, 600.0, 600.01, 1e7]
    assert cost(pol, [2] * len(budgets), budgets) == [2, 2, 2, 4, 4, 4, 6, 6]


def test_budget_cost_ignores_tier() -> None:
    pol = compile_paid()
    assert cost(pol, [0, 1, 2], [100.0, 100.0, 100.0]) == [4, 4, 4]


def test_budget_cost_threshold_belongs_to_lower_bracket() -> None:
    rule = BudgetCost(thresholds_usd=[10.0, 100.0, 1000.0], connects=[2, 4, 6, 8])
    pol = compile_paid(proposal_cost=rule)
    budgets = [10.0, np.nextafter(10.0, np.inf), 100.0, 1000.0, np.nextafter(1000.0, np.inf)]
    assert cost(pol, [0] * 5, budgets) == [2, 4, 4, 6, 8]


def test_budget_cost_multiplier_doubles_the_rate_card() -> None:
    thresholds = [10.0, 100.0, 1000.0]
    budgets = [5.0, 50.0, 500.0, 5000.0]
    single = compile_paid(
        proposal_cost=BudgetCost(thresholds_usd=thresholds, connects=[2, 4, 6, 8])
    )
    double = compile_paid(
        proposal_cost=BudgetCost(thresholds_usd=thresholds, connects=[2, 4, 6, 8], multiplier=2)
    )
    assert cost(single, [0] * 4, budgets) == [2, 4, 6, 8]
    assert cost(double, [0] * 4, budgets) == [4, 8, 12, 16]


def test_budget_cost_without_thresholds_is_flat() -> None:
    pol = compile_paid(proposal_cost=BudgetCost(thresholds_usd=[], connects=[5]))
    assert cost(pol, [0, 1, 2], [1.0, 1e3, 1e9]) == [5, 5, 5]


def test_budget_cost_wrong_number_of_connects() -> None:
    with pytest.raises(ValidationError, match="connects needs 3 entries"):
        BudgetCost(thresholds_usd=[50.0, 600.0], connects=[2, 4])
    with pytest.raises(ValidationError, match="connects needs 3 entries"):
        BudgetCost(thresholds_usd=[50.0, 600.0], connects=[2, 4, 6, 8])


@pytest.mark.parametrize("thresholds", [[600.0, 50.0], [50.0, 50.0], [1.0, 5.0, 3.0]])
def test_budget_cost_thresholds_must_increase(thresholds: list[float]) -> None:
    with pytest.raises(ValidationError, match="thresholds_usd must increase"):
        BudgetCost(thresholds_usd=thresholds, connects=[1] * (len(thresholds) + 1))


def test_budget_cost_thresholds_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        BudgetCost(thresholds_usd=[0.0, 10.0], connects=[1, 2, 3])


def test_proposal_cost_parses_by_rule_discriminator() -> None:
    pol = PaidPolicy.model_validate({"proposal_cost": {"rule": "flat", "connects": 7}})
    assert pol.proposal_cost == FlatCost(connects=7)
    pol = PaidPolicy.model_validate({"proposal_cost": {"rule": "by_tier", "expert": 9}})
    assert pol.proposal_cost == TierCost(expert=9)
    with pytest.raises(ValidationError):
        PaidPolicy.model_validate({"proposal_cost": {"rule": "by_moon", "connects": 7}})


# ------------------------------------------------------------ bundles
@pytest.mark.parametrize(
    ("shortfall", "bought"),
    [
        (-5, 0),
        (0, 0),
        (1, 10),
        (10, 10),
        (11, 20),
        (21, 40),
        (40, 40),
        (41, 60),
        (61, 80),
        (79, 80),
        (80, 80),
        (81, 90),
        (100, 100),
        (101, 120),
        (160, 160),
        (161, 170),
        (239, 240),
    ],
)
def test_connects_bought(shortfall: int, bought: int) -> None:
    pol = compile_paid()
    out = pol.connects_bought(np.array([shortfall], dtype=np.int64))
    assert int(out[0]) == bought


def test_connects_bought_is_vectorized_and_covers_shortfall() -> None:
    pol = compile_paid()
    shortfall = np.arange(0, 500, dtype=np.int64)
    out = pol.connects_bought(shortfall)
    assert out.shape == shortfall.shape
    assert np.all(out >= shortfall)
    # never more than one smallest-bundle-sized step beyond what is needed
    # (the bundles 10/20/40/60/80 leave at most 19 spare: 41 -> 60)
    assert np.all(out - shortfall < 20)
    # the amount is a whole number of purchases: k * 80 plus one listed bundle (or 0)
    rest = out % 80
    assert set(np.unique(rest).tolist()) <= {0, 10, 20, 40, 60}


def test_connects_bought_sorts_bundle_sizes() -> None:
    pol = compile_paid(bundle_sizes=[80, 10, 40])
    assert pol.bundle_sizes.tolist() == [10, 40, 80]
    out = pol.connects_bought(np.array([5, 15, 85, 130], dtype=np.int64))
    assert out.tolist() == [10, 40, 90, 160]


def test_connects_bought_single_bundle_size() -> None:
    pol = compile_paid(bundle_sizes=[25])
    out = pol.connects_bought(np.array([0, 1, 25, 26, 50, 51], dtype=np.int64))
    assert out.tolist() == [0, 25, 25, 50, 50, 75]


def test_empty_bundle_sizes_rejected_when_purchase_allowed() -> None:
    with pytest.raises(ValidationError):
        PaidPolicy(bundle_sizes=[])


# ------------------------------------------------------------ price
def test_price_without_regional_pricing_is_uniform() -> None:
    pol = PaidPolicy(price_usd_per_connect=0.2).compile(np.array([0.5, 2.0]), ["a", "b"])
    price = pol.price_usd_per_connect(np.array([0, 1, 1, 0], dtype=np.int64))
    np.testing.assert_allclose(price, [0.2, 0.2, 0.2, 0.2])


def test_price_with_regional_pricing_uses_multipliers() -> None:
    pol = PaidPolicy(price_usd_per_connect=0.2, regional_pricing=True).compile(
        np.array([0.5, 2.0]), ["a", "b"]
    )
    price = pol.price_usd_per_connect(np.array([0, 1, 1, 0], dtype=np.int64))
    np.testing.assert_allclose(price, [0.1, 0.4, 0.4, 0.1])


# ------------------------------------------------------------ grants, caps, compile
def test_compile_paid_defaults() -> None:
    pol = compile_paid()
    assert MEMBERSHIPS == ("basic", "plus")
    assert pol.purchase_allowed is True
    np.testing.assert_allclose(pol.price_usd, [0.15])
    assert pol.bundle_sizes.tolist() == [10, 20, 40, 60, 80]
    assert pol.monthly_grant.tolist() == [0, 70]
    assert pol.rollover_cap[1] == 140
    # no cap for basic: a number too large ever to bind, and safe to add to
    big = int(pol.rollover_cap[0])
    assert big > 10**15
    assert big + big > 0
    assert pol.new_account_grant == 20
    assert pol.free_expiry_months is None
    assert pol.purchased_expiry_months == 12
    assert pol.earn_cap_per_month > 10**15
    assert (pol.earn_five_star, pol.earn_completion, pol.earn_course, pol.earn_community) == (
        0,
        0,
        0,
        0,
    )
    assert pol.boost_slots == 0


def test_compile_missing_membership_gets_no_grant_and_no_cap() -> None:
    pol = compile_paid(monthly_grant={"plus": 5}, rollover_cap={"plus": 7})
    assert pol.monthly_grant.tolist() == [0, 5]
    assert int(pol.rollover_cap[1]) == 7
    assert int(pol.rollover_cap[0]) > 10**15


def test_compile_earning_and_eligibility_fields() -> None:
    pol = compile_paid(
        earning=Earning(per_five_star_review=3, per_course=4, cap_per_month=9),
        eligibility=Eligibility(min_rating=0.8, active_within_days=14.0),
        refunds=Refunds(on_removed=True),
    )
    assert pol.earn_five_star == 3
    assert pol.earn_course == 4
    assert pol.earn_completion == 0
    assert pol.earn_cap_per_month == 9
    assert pol.min_rating == 0.8
    assert pol.active_within_days == 14.0
    assert (pol.refund_on_cancel, pol.refund_on_removed, pol.refund_on_expired) == (
        False,
        True,
        False,
    )


def test_free_policy_defaults() -> None:
    free = FreePolicy()
    assert free.kind == "free"
    assert free.purchase_allowed is False
    assert free.monthly_grant == {"basic": 10, "plus": 70}
    assert free.new_account_grant == 0
    assert free.earning == Earning(
        per_five_star_review=10, per_completed_project=5, per_course=5, per_community_post=2
    )
    assert free.eligibility.require_verified is True
    assert free.eligibility.active_within_days == 60.0
    pol = free.compile(ONE_REGION, ["a"])
    assert pol.purchase_allowed is False
    assert pol.monthly_grant.tolist() == [10, 70]
    assert pol.require_verified is True


def test_paid_policy_defaults() -> None:
    paid = PaidPolicy()
    assert paid.kind == "paid"
    assert paid.purchase_allowed is True
    assert paid.monthly_grant == {"basic": 0, "plus": 70}
    assert paid.eligibility == Eligibility()
    assert paid.refunds == Refunds(on_cancel=False, on_removed=False, on_expired=False)


def test_policy_spec_selects_kind() -> None:
    adapter: TypeAdapter[PaidPolicy | FreePolicy] = TypeAdapter(PolicySpec)
    assert isinstance(adapter.validate_python({"kind": "free"}), FreePolicy)
    assert isinstance(adapter.validate_python({"kind": "paid"}), PaidPolicy)
    with pytest.raises(ValidationError):
        adapter.validate_python({"kind": "barter"})


def test_policy_forbids_unknown_fields_and_is_frozen() -> None:
    with pytest.raises(ValidationError):
        PaidPolicy.model_validate({"price_per_connect": 0.2})
    pol = PaidPolicy()
    with pytest.raises(ValidationError):
        pol.price_usd_per_connect = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "fields",
    [
        {"price_usd_per_connect": -0.01},
        {"bundle_sizes": [0, 10]},
        {"new_account_grant": 1001},
        {"free_expiry_months": 0},
        {"purchased_expiry_months": 121},
        {"readiness_pass_share": 1.5},
    ],
)
def test_policy_field_bounds(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PaidPolicy.model_validate(fields)


def test_check_against_unknown_membership() -> None:
    pol = PaidPolicy(monthly_grant={"basic": 0, "gold": 5})
    with pytest.raises(ValueError, match=r"arms\.x\.monthly_grant names unknown membership 'gold'"):
        pol.check_against("x", {"basic", "plus"}, {"a"})
    pol = PaidPolicy(rollover_cap={"platinum": 3})
    with pytest.raises(ValueError, match="rollover_cap names unknown membership 'platinum'"):
        pol.check_against("x", {"basic", "plus"}, {"a"})
    PaidPolicy().check_against("x", {"basic", "plus"}, {"a"})  # no error


def test_credit_policy_base_requires_kind() -> None:
    with pytest.raises(ValidationError):
        CreditPolicy.model_validate({})


# ------------------------------------------------------------ eligibility
def _eligible(pol: CompiledPolicy, rows: list[tuple[bool, float, bool, float]]) -> list[bool]:
    verified, rating, is_new, days = zip(*rows, strict=True)
    out = pol.eligible(
        np.array(verified, dtype=np.bool_),
        np.array(rating, dtype=np.float64),
        np.array(is_new, dtype=np.bool_),
        np.array(days, dtype=np.float64),
    )
    assert out.dtype == np.bool_
    return [bool(x) for x in out]


ELIGIBILITY_ROWS: list[tuple[bool, float, bool, float]] = [
    # verified, rating, is_new, days_since_active
    (True, 0.9, False, 1.0),
    (False, 0.9, False, 1.0),
    (True, 0.5, False, 1.0),
    (True, 0.5, True, 1.0),
    (True, 0.8, False, 1.0),
    (True, 0.9, False, 30.0),
    (True, 0.9, False, 30.5),
    (False, 0.0, True, 100.0),
]


def test_eligibility_default_everyone() -> None:
    pol = compile_paid()
    assert _eligible(pol, ELIGIBILITY_ROWS) == [True] * len(ELIGIBILITY_ROWS)


def test_eligibility_require_verified() -> None:
    pol = compile_paid(eligibility=Eligibility(require_verified=True))
    assert _eligible(pol, ELIGIBILITY_ROWS) == [True, False, True, True, True, True, True, False]


def test_eligibility_min_rating_new_count_as_good_standing() -> None:
    pol = compile_paid(eligibility=Eligibility(min_rating=0.8))
    # rating exactly at min_rating qualifies; a new freelancer qualifies whatever its rating
    assert _eligible(pol, ELIGIBILITY_ROWS) == [True, True, False, True, True, True, True, True]


def test_eligibility_active_within_days_inclusive() -> None:
    pol = compile_paid(eligibility=Eligibility(active_within_days=30.0))
    assert _eligible(pol, ELIGIBILITY_ROWS) == [True, True, True, True, True, True, False, False]


def test_eligibility_rules_combine_with_and() -> None:
    pol = compile_paid(
        eligibility=Eligibility(require_verified=True, min_rating=0.8, active_within_days=30.0)
    )
    assert _eligible(pol, ELIGIBILITY_ROWS) == [True, False, False, True, True, True, False, False]


# ------------------------------------------------------------ refunds
@pytest.mark.parametrize(
    ("on_cancel", "on_removed", "on_expired"), list(itertools.product([False, True], repeat=3))
)
def test_refunds_truth_table(on_cancel: bool, on_removed: bool, on_expired: bool) -> None:
    pol = compile_paid(
        refunds=Refunds(on_cancel=on_cancel, on_removed=on_removed, on_expired=on_expired)
    )
    combos = list(itertools.product([False, True], repeat=3))
    cancelled, removed, expired = (np.array(c, dtype=np.bool_) for c in zip(*combos, strict=True))
    out = pol.refunds(cancelled, removed, expired)
    expected = [(c and on_cancel) or (r and on_removed) or (e and on_expired) for c, r, e in combos]
    assert out.tolist() == expected
