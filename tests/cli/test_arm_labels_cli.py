"""The CLI's tables and reports mark an arm whose fields were changed, and say which
policies of a sweep are listed once."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import PAID_VS_FREE, SMALL_OVERRIDES, SWEEP_SCENARIO, RunMain

SMALL = [word for text in SMALL_OVERRIDES for word in ("--set", text)]


def test_run_with_a_price_set_marks_the_arm_in_table_and_report(
    run_main: RunMain, tmp_path: Path
) -> None:
    out = tmp_path / "study"
    args = ["run", str(PAID_VS_FREE), *SMALL, "--set", "arms.paid.price_usd_per_connect=0.30"]
    code, _, _ = run_main([*args, "-n", "1", "--workers", "1", "--out", str(out)])
    assert code == 0
    mark = "[modified: price_usd_per_connect=0.3]"
    report = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert mark in report
    assert "Paid Connects ($0.15)" not in report.replace(f"Paid Connects ($0.15) {mark}", "")


def test_sweep_names_the_arm_folded_into_the_baseline(run_main: RunMain, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    args = [
        "sweep",
        str(SWEEP_SCENARIO),
        *SMALL,
        "--vary",
        "arms.allowance.monthly_grant.basic=0,10",
    ]
    code, stdout, _ = run_main([*args, "-n", "1", "--workers", "1", "--out", str(out)])
    assert code == 0
    text = " ".join(stdout.split())
    # at p000 the allowance arm gives no allowance: it is the baseline's policy
    assert "of 2 distinct policies" in text
    assert "allowance at p000 is the policy of paid" in text
    report = (out / "report" / "sweep.md").read_text(encoding="utf-8")
    assert "[modified: monthly_grant.basic=0/10]" in report
    assert "allowance at p000 is the policy of paid" in report


def test_sensitivity_of_the_baselines_price_analyses_it_and_marks_its_label(
    run_main: RunMain, tmp_path: Path
) -> None:
    out = tmp_path / "sensitivity"
    args = ["sensitivity", str(PAID_VS_FREE), *SMALL]
    args += ["--param", "arms.paid.price_usd_per_connect=0.1:0.3", "--method", "morris"]
    code, stdout, _ = run_main(
        [*args, "--samples", "2", "-n", "1", "--workers", "1", "--out", str(out)]
    )
    assert code == 0
    text = " ".join(stdout.split())
    assert "morris sensitivity of paid," in text
    assert "Paid Connects ($0.15) [modified: price_usd_per_connect=0.1 to 0.3]: morris" in text
    assert "Free Connects program" not in text
