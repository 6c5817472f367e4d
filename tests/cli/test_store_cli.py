"""What the CLI says when a results directory cannot be used: one line, exit 2, nothing lost."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

RunMain = Callable[[list[str]], tuple[int, str, str]]

TINY = [
    "--set",
    "world.population.freelancers=120",
    "--set",
    "world.jobs.jobs_per_day=10",
    "--set",
    "run.warmup_days=5",
    "--set",
    "run.horizon_days=15",
]


def _run(scenario: Path, out: Path, *extra: str) -> list[str]:
    return ["run", str(scenario), *TINY, "--out", str(out), "--no-report", *extra]


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


def test_report_names_a_missing_arm_folder(
    run_main: RunMain, tmp_path: Path, paid_vs_free_path: Path
) -> None:
    out = tmp_path / "study"
    code, _out, err = run_main(_run(paid_vs_free_path, out, "-n", "2"))
    assert code == 0, err
    shutil.rmtree(out / "replications" / "free")
    code, _out, err = run_main(["report", str(out)])
    assert code == 2
    assert "replications/free/00000.metrics.parquet is missing" in _one_error_line(err)
    assert not (out / "report").exists()


def test_report_of_an_unfinished_study_counts_what_is_present(
    run_main: RunMain, tmp_path: Path, paid_vs_free_path: Path
) -> None:
    out = tmp_path / "study"
    code, _out, err = run_main(_run(paid_vs_free_path, out, "-n", "2"))
    assert code == 0, err
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    (out / "manifest.json").write_text(
        manifest.replace('"finished": "', '"finished": null, "was": "'), encoding="utf-8"
    )
    code, _out, err = run_main(["report", str(out)])
    assert code == 2
    assert "not finished: 4 of 4 replications" in _one_error_line(err)


def test_report_after_a_rerun_with_fewer_replications_says_so(
    run_main: RunMain, tmp_path: Path, paid_vs_free_path: Path
) -> None:
    out = tmp_path / "study"
    assert run_main(_run(paid_vs_free_path, out, "-n", "4"))[0] == 0
    assert run_main(_run(paid_vs_free_path, out, "-n", "2"))[0] == 0
    code, _stdout, err = run_main(["report", str(out)])
    assert code == 0, err
    assert "warning:" in err and "(4 replications) not listed in the manifest" in err
    text = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "2 replications" in text
    assert "4 replications" not in text


def test_out_under_a_regular_file_is_one_line(
    run_main: RunMain, tmp_path: Path, paid_vs_free_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    code, _out, err = run_main(_run(paid_vs_free_path, blocker / "study"))
    assert code == 2
    assert "Not a directory" in _one_error_line(err)
    assert blocker.read_text(encoding="utf-8") == "not a directory"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--seed", str(2**64)),
        ("--seed", str(2**63)),
        ("-n", "1000000"),
        ("-n", "100000000"),
        ("--precision", "inf"),
        ("--precision", "2"),
        ("--precision", "0"),
    ],
)
def test_out_of_range_options_are_refused_before_anything_is_written(
    run_main: RunMain, tmp_path: Path, paid_vs_free_path: Path, option: str, value: str
) -> None:
    out = tmp_path / "study"
    code, _out, err = run_main(_run(paid_vs_free_path, out, option, value))
    assert code == 2, err
    assert "Traceback" not in err
    assert option in err
    assert not out.exists()


# ---------------------------------------------------------------- real filesystems
@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for the test (needs root and mount; skipped otherwise)."""
    point = tmp_path / "fs"
    point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_full_disk_is_one_line_and_leaves_no_partial_file(
    run_main: RunMain, small_filesystem: Path, paid_vs_free_path: Path
) -> None:
    out = small_filesystem / "study"
    code, _out, err = run_main(_run(paid_vs_free_path, out, "-n", "20"))
    assert code == 2
    assert "No space left on device" in _one_error_line(err)
    assert not list(small_filesystem.rglob("*.tmp"))


def test_a_read_only_filesystem_is_one_line_in_run_and_report(
    run_main: RunMain, tmp_path: Path, small_filesystem: Path, paid_vs_free_path: Path
) -> None:
    out = small_filesystem / "study"
    code, _out, err = run_main(_run(paid_vs_free_path, out, "-n", "1"))
    assert code == 0, err
    (out / ".connectsim.lock").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)
    code, _out, err = run_main(_run(paid_vs_free_path, small_filesystem / "other"))
    assert code == 2
    assert "Read-only file system" in _one_error_line(err)
    code, _out, err = run_main(["report", str(out)])
    assert code == 2
    assert "Read-only file system" in _one_error_line(err)
