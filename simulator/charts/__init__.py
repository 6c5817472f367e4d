"""Charts: matplotlib figures of studies, sweeps and sensitivity analyses.

Every chart is a function of a finished experiment that returns a ``Figure``.
A study's charts (:mod:`simulator.charts.study`) are also importable from here,
as they were before the package was split: ``simulator.charts.scorecard(study)``.
"""

from simulator.charts.study import (
    BAND_ALPHA,
    CHARTS,
    KEYS_CI,
    METRIC_AXES,
    MONTHLY_PANELS,
    OKABE_ITO,
    REGION_PANELS,
    SCORECARD_METRICS,
    SEGMENT_GROUPS,
    WARMUP_GREY,
    ChartSpec,
    MetricAxis,
    arm_colours,
    cost_burden_by_region,
    earnings_lorenz,
    forest_plot,
    monthly_series,
    proposals_per_freelancer_month,
    proposals_per_job_ecdf,
    region_comparison,
    save,
    scorecard,
    time_to_first_hire,
)

__all__ = [
    "BAND_ALPHA",
    "CHARTS",
    "KEYS_CI",
    "METRIC_AXES",
    "MONTHLY_PANELS",
    "OKABE_ITO",
    "REGION_PANELS",
    "SCORECARD_METRICS",
    "SEGMENT_GROUPS",
    "WARMUP_GREY",
    "ChartSpec",
    "MetricAxis",
    "arm_colours",
    "cost_burden_by_region",
    "earnings_lorenz",
    "forest_plot",
    "monthly_series",
    "proposals_per_freelancer_month",
    "proposals_per_job_ecdf",
    "region_comparison",
    "save",
    "scorecard",
    "time_to_first_hire",
]
