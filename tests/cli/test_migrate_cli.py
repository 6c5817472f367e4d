"""``connectsim migrate``: files rewritten in place with a backup; bad input refused in
one line with exit code 2, every file untouched; old study directories still report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import RunMain

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def v1_files(tmp_path: Path) -> Path:
    target = tmp_path / "v1"
    shutil.copytree(FIXTURES / "v1", target)
    return target


def test_migrate_rewrites_and_says_what_changed(run_main: RunMain, v1_files: Path) -> None:
    top = v1_files / "paid_vs_free.yaml"
    code, out, err = run_main(["migrate", str(top)])
    assert code == 0, err
    assert f"migrated {top}" in out and "income_share" in out and ".bak" in out
    assert "schema_version: 2" in top.read_text()
    code, out, _ = run_main(["migrate", str(top)])
    assert code == 0 and "already version 2" in out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        ("- a\n- list\n", "not a scenario file"),
        ("colour: blue\n", "not a scenario file"),
        ("schema_version: 9\nname: x\n", "schema_version: unknown version 9"),
        ("schema_version: 1\nname: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(
    run_main: RunMain, v1_files: Path, content: str | None, problem: str
) -> None:
    bad = v1_files / "bad.yaml"
    if content is not None:
        bad.write_text(content)
    before = _snapshot(v1_files)
    # the good file comes first: it is not rewritten either, since the bad one is
    # found before anything is written
    code, _, err = run_main(["migrate", str(v1_files / "paid_vs_free.yaml"), str(bad)])
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and problem in lines[0]
    assert str(bad) in lines[0]
    assert _snapshot(v1_files) == before


def test_report_of_a_version_1_study_directory(run_main: RunMain, tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(FIXTURES / "v1_study", study)
    code, out, err = run_main(["report", str(study)])
    assert code == 0, err
    assert "study report of" in err and "schema version 1 migrated to 2" in err
    assert Path(out.strip()).name == "index.html" and Path(out.strip()).is_file()
