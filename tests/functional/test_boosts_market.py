"""Boosted proposals in a running market: the scenario, the metrics, the decision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulator.config.loading import load_scenario
from simulator.engine.market import Market, run_replication
from simulator.experiments.study import run_study
from simulator.report.study import render_markdown, report_blocks

BOOSTS = Path(__file__).resolve().parents[2] / "scenarios" / "boosts.yaml"
BOOST_METRICS = (
    "boost_bids_per_freelancer_month",
    "boost_connects_per_freelancer_month",
    "boosted_share_of_proposals",
)


def overall(frame: pd.DataFrame) -> pd.Series:
    return frame[frame["segment_kind"] == "overall"].set_index("metric")["value"]


def test_boosts_off_cost_nothing_and_on_are_bid_charged_and_refunded(
    small_overrides: list[str],
) -> None:
    scenario = load_scenario(BOOSTS, [*small_overrides, "world.clients.max_reviewed=8"])
    off = overall(run_replication(scenario, "paid", 0).metrics)
    for metric in BOOST_METRICS:
        assert off[metric] == 0.0, metric
    assert np.isnan(off["hires_per_boosted_proposal"])
    assert off["hires_per_unboosted_proposal"] == off["hires_per_proposal"]

    market = Market(scenario, "boosted", 0, keep_log=True)
    on = overall(market.run().metrics)
    for metric in BOOST_METRICS:
        assert on[metric] > 0.0, metric
    assert 0.0 < on["boost_outbid_share"] < 1.0
    # the win rates of boosted and other proposals average to the overall one
    share = on["boosted_share_of_proposals"]
    mixed = (
        share * on["hires_per_boosted_proposal"] + (1 - share) * on["hires_per_unboosted_proposal"]
    )
    assert abs(mixed - on["hires_per_proposal"]) < 1e-12
    # outbid boosts come back to the books they were paid from
    log = market.ledger.log_frame()
    assert (log["kind"] == "refund").any()
    assert (market.ledger.identity_gap(market.pop.size) == 0).all()


def test_dearer_connects_mean_fewer_boost_bids(small_overrides: list[str]) -> None:
    """A boost is bought by expected value: at four times the price, fewer pay."""
    base = [*small_overrides, "world.clients.max_reviewed=8"]
    cheap = load_scenario(BOOSTS, base)
    dear = load_scenario(BOOSTS, [*base, "arms.boosted.price_usd_per_connect=0.60"])
    bids = [
        overall(run_replication(s, "boosted", r).metrics)["boost_bids_per_freelancer_month"]
        for r in (0, 1)
        for s in (cheap, dear)
    ]
    assert bids[1] < bids[0] and bids[3] < bids[2]


def test_boosted_proposals_are_read_although_they_came_late(small_overrides: list[str]) -> None:
    """With a reading list of 5, a post's later proposals are read only when boosted."""
    scenario = load_scenario(BOOSTS, [*small_overrides, "world.clients.max_reviewed=5"])
    market = Market(scenario, "boosted", 0)
    late_reads: list[int] = []
    settle = market._settle_boosts

    def spying(due: np.ndarray, day: float) -> tuple[np.ndarray, np.ndarray]:
        board = market.board
        held = board.reviewed_agent[due][:, board.max_reviewed :].copy()
        first = board.reviewed_agent[due][:, : board.max_reviewed].copy()
        boosted, recorded = settle(due, day)
        for i, post in enumerate(due):
            if board.ghost[post]:
                continue
            read = board.reviewed_agent[post, : boosted[i]]
            # the boosted part of the list is exactly the slot holders
            assert sorted(read.tolist()) == sorted(held[i][held[i] >= 0].tolist())
            late_reads.append(int(np.isin(read, first[i], invert=True).sum()))
        return boosted, recorded

    market._settle_boosts = spying  # type: ignore[method-assign]
    market.run()
    assert sum(late_reads) > 0, "no proposal beyond the first five was read thanks to a boost"


def test_report_shows_boosts_only_when_some_arm_boosts(small_overrides: list[str]) -> None:
    study = run_study(
        load_scenario(BOOSTS, [*small_overrides, "world.clients.max_reviewed=8"]), replications=2
    )
    text = render_markdown(report_blocks(study, [], "connectsim run scenarios/boosts.yaml"))
    assert "### Boosted proposals" in text
    assert "hires per boosted proposal" in text
    no_boosts = load_scenario(BOOSTS, [*small_overrides, "arms.boosted.boosts.enabled=false"])
    plain = run_study(no_boosts, replications=1)
    assert "Boosted proposals" not in render_markdown(report_blocks(plain, [], "x"))
