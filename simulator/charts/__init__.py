"""Charts: matplotlib figures of studies, sweeps and sensitivity analyses.

Every chart is a function of a finished experiment that returns a ``Figure``.
A study's charts (:mod:`simulator.charts.study`) are also importable from here,
as they were before the package was split: ``simulator.charts.scorecard(study)``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


# a study's charts (every name in __all__), loaded on first use (PEP 562): importing
# one chart module (a sweep's, say) does not load every other
def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("simulator.charts.study"), name)
    raise AttributeError(f"module 'simulator.charts' has no attribute {name!r}")


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
