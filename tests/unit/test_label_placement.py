"""Frontier labels are moved apart where they would overlap."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.text import Annotation

from simulator.charts.sweep import LABEL_OFFSETS_POINTS, place_labels


def _labels(points: list[tuple[float, float]]) -> list[Annotation]:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    labels = [
        ax.annotate(
            f"allowance: 0.{k}5, {10 * k}",
            xy,
            xytext=LABEL_OFFSETS_POINTS[0],
            textcoords="offset points",
            fontsize=7,
        )
        for k, xy in enumerate(points)
    ]
    fig.canvas.draw()
    return labels


def test_crowded_labels_end_up_apart() -> None:
    labels = _labels([(5.0, 5.0), (5.05, 5.05), (5.1, 4.95), (4.95, 5.0)])
    boxes = [a.get_window_extent() for a in labels]
    assert any(b.overlaps(c) for i, b in enumerate(boxes) for c in boxes[i + 1 :])
    assert place_labels(labels) == 0
    boxes = [a.get_window_extent() for a in labels]
    assert not any(b.overlaps(c) for i, b in enumerate(boxes) for c in boxes[i + 1 :])
    plt.close("all")


def test_labels_with_room_keep_their_first_place() -> None:
    labels = _labels([(1.0, 1.0), (4.0, 8.0)])
    assert place_labels(labels) == 0
    assert all(tuple(a.xyann) == LABEL_OFFSETS_POINTS[0] for a in labels)
    plt.close("all")


def test_labels_that_fit_nowhere_are_counted() -> None:
    labels = _labels([(5.0, 5.0)] * 14)
    assert place_labels(labels) == 14 - len(LABEL_OFFSETS_POINTS)
    plt.close("all")


def test_a_label_at_the_right_edge_goes_left_and_avoids_markers() -> None:
    labels = _labels([(9.9, 5.0)])
    assert place_labels(labels) == 0
    assert labels[0].xyann[0] < 0, "the label would leave the axes on the right"
    axes = labels[0].axes
    assert axes is not None
    frame = axes.get_window_extent()
    box = labels[0].get_window_extent()
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1
    plt.close("all")


def test_markers_push_a_label_to_a_free_offset() -> None:
    (label,) = _labels([(5.0, 5.0)])
    fig_box = label.get_window_extent()  # where the first offset puts it
    assert place_labels([label], [fig_box]) == 0
    assert not label.get_window_extent().overlaps(fig_box)
    plt.close("all")
