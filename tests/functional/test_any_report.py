"""``write_any_report``: the report of any finished experiment directory, by its manifest's kind.

A study, a sweep and a sensitivity analysis each get ``report/index.html`` (the
same page machinery, the same content security policy) and their Markdown; a
directory that is not a finished experiment gets one clear ResultsError and
nothing written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import matplotlib
import pytest

from simulator.errors import ResultsError
from simulator.experiments.sensitivity import load_sensitivity
from simulator.report import write_any_report
from simulator.report.directory import experiment_kind
from simulator.report.page import CSP
from simulator.report.sensitivity import write_sensitivity_page

matplotlib.use("Agg")


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


_DROP = object()


def _edit_manifest(root: Path, **changes: object) -> None:
    path = root / "manifest.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is _DROP:
            record.pop(key, None)
        else:
            record[key] = value
    path.write_text(json.dumps(record), encoding="utf-8")


def _check_page(index: Path, markdown_name: str, title: str) -> str:
    assert index.name == "index.html" and index.is_file()
    assert (index.parent / markdown_name).is_file()
    page = index.read_text(encoding="utf-8")
    assert f'content="{CSP.replace(chr(39), "&#x27;")}"' in page
    assert f"<title>{title}" in page
    assert '<img src="data:image/svg+xml;base64,' in page
    assert not list(index.parent.parent.rglob(".*.tmp"))
    return page


def test_a_study(tiny_study_dir: Path, tmp_path: Path) -> None:
    root = _copy(tiny_study_dir, tmp_path)
    kind, index = write_any_report(root)
    assert kind == "study"
    assert index == root / "report" / "index.html"
    _check_page(index, "report.md", "paid_vs_free: what the study found")
    assert (index.parent / "scenario.yaml").is_file()


def test_an_old_study_manifest_without_kind_is_a_study(
    tiny_study_dir: Path, tmp_path: Path
) -> None:
    root = _copy(tiny_study_dir, tmp_path)
    _edit_manifest(root, kind=_DROP)
    assert experiment_kind(root) == "study"
    kind, index = write_any_report(root)
    assert kind == "study" and index.is_file()


def test_a_sweep(tiny_sweep_dir: Path, tmp_path: Path) -> None:
    root = _copy(tiny_sweep_dir, tmp_path)
    kind, index = write_any_report(root)
    assert kind == "sweep"
    assert index == root / "report" / "index.html"
    page = _check_page(index, "sweep.md", "price_allowance: sweep of price_usd_per_connect")
    for slug in ("response_price_usd_per_connect", "frontier"):
        assert f'data-chart="{slug}"' in page
        assert (index.parent / "charts" / f"{slug}.svg").is_file()
    markdown = (index.parent / "sweep.md").read_text(encoding="utf-8")
    assert "## The trade-off frontier" in markdown and "](charts/frontier.png)" in markdown
    assert "How the sweep was run" in markdown


def test_a_sensitivity_analysis_reads_back_as_it_was_written(
    tiny_sensitivity_dir: Path, tmp_path: Path
) -> None:
    root = _copy(tiny_sensitivity_dir, tmp_path)
    kind, index = write_any_report(root)
    assert kind == "sensitivity"
    assert index == root / "report" / "index.html"
    page = _check_page(index, "sensitivity.md", "paid_vs_free: global sensitivity analysis")
    assert 'data-chart="indices_free"' in page
    loaded = (index.parent / "sensitivity.md").read_text(encoding="utf-8")
    assert "world.jobs.ghost_share" in loaded and "nan" not in loaded

    # the analysis loaded from its directory reports exactly what it did when it ran
    result = load_sensitivity(root)
    assert result.method == "morris" and result.arm == "free" and result.baseline is None
    assert result.replications == 2 and len(result.parameters) == 1
    again = write_sensitivity_page(result, tmp_path / "again")
    assert again.markdown.read_text(encoding="utf-8") == loaded


@pytest.mark.parametrize("which", ["study", "sweep", "sensitivity"])
def test_an_unfinished_experiment_is_one_clear_error(
    which: str,
    tiny_study_dir: Path,
    tiny_sweep_dir: Path,
    tiny_sensitivity_dir: Path,
    tmp_path: Path,
) -> None:
    source = {"study": tiny_study_dir, "sweep": tiny_sweep_dir}.get(which, tiny_sensitivity_dir)
    root = _copy(source, tmp_path)
    shutil.rmtree(root / "report", ignore_errors=True)
    _edit_manifest(root, finished=None)
    with pytest.raises(ResultsError) as exc:
        write_any_report(root)
    message = str(exc.value)
    assert "not finished" in message and "run the same command again" in message
    assert str(root) in message and "\n" not in message
    assert not (root / "report").exists()


def test_a_sensitivity_directory_without_its_summaries_is_refused(
    tiny_sensitivity_dir: Path, tmp_path: Path
) -> None:
    root = _copy(tiny_sensitivity_dir, tmp_path)
    (root / "summary" / "indices.csv").unlink()
    with pytest.raises(ResultsError, match=r"summary/indices\.csv is missing"):
        write_any_report(root)


def test_a_sensitivity_manifest_whose_design_changed_is_refused(
    tiny_sensitivity_dir: Path, tmp_path: Path
) -> None:
    root = _copy(tiny_sensitivity_dir, tmp_path)
    _edit_manifest(root, samples=3)
    with pytest.raises(ResultsError, match="not the one the analysis ran"):
        load_sensitivity(root)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        ("missing", "not a results directory (no manifest.json)"),
        ("empty", "not a results directory (no manifest.json)"),
        ("foreign", "not a results directory (no manifest.json)"),
        (
            "unknown kind",
            "holds a 'notebook', not a study, a sweep, a sensitivity analysis, a calibration "
            "or a scenario discovery",
        ),
        ("broken manifest", "not a readable manifest"),
    ],
)
def test_a_foreign_directory_is_one_clear_error(make: str, expected: str, tmp_path: Path) -> None:
    root = tmp_path / "dir"
    if make != "missing":
        root.mkdir()
    if make == "foreign":
        (root / "notes.txt").write_text("not results\n", encoding="utf-8")
    elif make == "unknown kind":
        (root / "manifest.json").write_text('{"kind": "notebook"}', encoding="utf-8")
    elif make == "broken manifest":
        (root / "manifest.json").write_text("{not json", encoding="utf-8")
    before = sorted(p.name for p in root.iterdir()) if root.exists() else None
    with pytest.raises(ResultsError) as exc:
        write_any_report(root)
    assert expected in str(exc.value) and "\n" not in str(exc.value)
    # nothing written: not a report, not a lock, not the directory itself
    assert (sorted(p.name for p in root.iterdir()) if root.exists() else None) == before


def test_an_experiment_of_another_kind_is_refused_by_each_loader(
    tiny_study_dir: Path, tiny_sweep_dir: Path
) -> None:
    with pytest.raises(ResultsError, match="holds a study, not a sensitivity analysis"):
        load_sensitivity(tiny_study_dir)
    with pytest.raises(ResultsError, match="holds a sweep, not a sensitivity analysis"):
        load_sensitivity(tiny_sweep_dir)
