"""The starter scenario ``connectsim init NAME`` writes: every section a first study
needs, each figure commented with its unit and meaning.

The file stands alone (no ``extends:``), so that it can be written anywhere. Its
figures are those of ``scenarios/base/default_world.yaml`` in three regions, on
a market small enough for a first run of a few seconds a replication.
"""

from __future__ import annotations

from simulator.config.scenario import check_name

_STARTER = """\
# {name}: a starter scenario. Check it with
#   connectsim validate {file}
# see every field it resolves to (defaults included) with
#   connectsim show {file}
# and run it with
#   connectsim run {file} --dry-run      (how many replications, how long)
#   connectsim run {file}
# Every field, its unit and default: `connectsim schema`, or
# simulator/config/scenario.py and simulator/config/policy.py.
schema_version: 2
name: {name}
description: >
  What this scenario asks: a paid Connects system against free Connects, on a
  small world of three regions.

world:
  regions:                      # shares of freelancers sum to 1
    south_asia:
      share: 0.6
      monthly_income_usd: 210   # typical monthly income in the region
      typical_rate_usd_per_hour: 15
      plus_share: 0.05          # share of freelancers on the Plus membership
    eastern_europe:
      share: 0.2
      monthly_income_usd: 650
      typical_rate_usd_per_hour: 25
      plus_share: 0.10
    north_america:
      share: 0.2
      monthly_income_usd: 6500
      typical_rate_usd_per_hour: 44
      plus_share: 0.20
  memberships:
    basic: {{fee_usd_per_month: 0.0}}
    plus: {{fee_usd_per_month: 14.99}}
  population:
    freelancers: 1000           # at the start; entrants and exits change it
    categories: 10              # kinds of work; freelancers see posts of their own
  jobs:
    jobs_per_day: 75            # client posts a day (about one per 13 freelancers)
    ghost_share: 0.10           # posts that never hire

arms:                           # the credit policies compared, by name
  paid:
    kind: paid
    label: Paid Connects ($0.15)
    price_usd_per_connect: 0.15
    # Connects a proposal costs, by the post's budget: 2 below $50, 4 to $600, 6 above
    proposal_cost: {{rule: by_budget, thresholds_usd: [50, 600], connects: [2, 4, 6]}}
    monthly_grant: {{basic: 0, plus: 70}}   # free Connects a month, by membership
    new_account_grant: 20                  # Connects a new account starts with
  free:
    kind: free
    label: Free Connects
    proposal_cost: {{rule: by_budget, thresholds_usd: [50, 600], connects: [2, 4, 6]}}
    monthly_grant: {{basic: 10, plus: 70}}
    new_account_grant: 20

baseline: paid                  # every other arm is compared with this one

run:
  warmup_days: 60               # simulated before anything is recorded
  horizon_days: 120             # recorded days
  replications: 10              # per arm (--replications overrides)
  seed: 20190501                # root seed (--seed overrides)
"""


def starter_scenario(name: str, file: str) -> str:
    """The text of a commented starter scenario named ``name``, saved as ``file``.

    Raises
    ------
    ValueError
        When ``name`` is not a safe scenario name (it names the results directory).
    """
    check_name(name, "the name")
    return _STARTER.format(name=name, file=file)
