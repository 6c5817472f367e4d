"""Atomic writes: all or nothing, and files as readable as any other the user makes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import simulator.experiments.store as store_module
from simulator.errors import ResultsError
from simulator.experiments.store import (
    ResultsStore,
    atomic_path,
    csv_split,
    write_bytes_atomic,
    write_files_atomic,
    write_text_atomic,
)


def test_written_file_has_the_users_usual_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644


def test_failed_write_leaves_neither_file_nor_temporary(tmp_path: Path) -> None:
    target = tmp_path / "b.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_files_written_together_are_those_written_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replication's files written at once: the same bytes, modes and hashes as one
    atomic write each, every directory's entry flushed once, after its renames."""
    flushed: list[tuple[Path, list[str]]] = []
    flush = store_module._fsync_directory

    def counted(path: Path) -> None:
        flushed.append((path, sorted(p.name for p in path.iterdir())))
        flush(path)

    contents = {"a/x.parquet": b"one", "a/y.parquet": b"two", "b/z.parquet": b"three"}
    monkeypatch.setattr(store_module, "_fsync_directory", counted)
    digests = write_files_atomic({tmp_path / "together" / n: d for n, d in contents.items()})
    assert flushed == [
        (tmp_path / "together" / "a", ["x.parquet", "y.parquet"]),
        (tmp_path / "together" / "b", ["z.parquet"]),
    ]
    for name, data in contents.items():
        alone = write_bytes_atomic(tmp_path / "alone" / name, data)
        together = tmp_path / "together" / name
        assert together.read_bytes() == data
        assert digests[together] == alone
        assert together.stat().st_mode == (tmp_path / "alone" / name).stat().st_mode


def test_files_written_together_stop_at_the_first_failure(tmp_path: Path) -> None:
    """A file that cannot be written stops the rest: those before it are in place,
    as separate writes would leave them, and no temporary file is left anywhere."""
    (tmp_path / "blocked").write_text("a file where a directory is needed")
    files = {
        tmp_path / "ok" / "x.parquet": b"one",
        tmp_path / "blocked" / "y.parquet": b"two",
        tmp_path / "never" / "z.parquet": b"three",
    }
    with pytest.raises(ResultsError, match="blocked"):
        write_files_atomic(files)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "blocked",
        "ok",
        "ok/x.parquet",
    ]


def test_csv_split_is_each_text_written_alone(tmp_path: Path) -> None:
    """The whole frame's CSV and each group's without the leading columns, made from
    one formatting, are byte for byte what to_csv writes for each: floats of every
    length, NaN, integers, text that needs quoting; and when the shortcut cannot
    hold (a line break in a value, columns not leading), each text made alone."""
    frame = pd.DataFrame(
        {
            "point": ["p1", "p0", "p1", "p2", "p0", "p1"],
            "vary": [1.0, 2.0, 1.0, 3.0, 2.0, 1.0],
            "value": [0.1, 1 / 3, float("nan"), 1e-300, -2.5e17, 7.0],
            "count": [1, 2, 3, 4, 5, 6],
            "label": ['a "quoted", text', "plain", "x,y", "", "é", "z"],
        }
    )
    broken = frame.assign(label=frame["label"].where(frame.index != 1, "two\nlines"))
    reordered = frame[["point", "value", "vary", "count", "label"]]
    for case in (frame, broken, reordered):
        whole, texts = csv_split(case, "point", ["point", "vary"])
        assert whole == case.to_csv(index=False)
        assert list(texts) == ["p1", "p0", "p2"]
        for point, text in texts.items():
            alone = case[case["point"] == point].drop(columns=["point", "vary"])
            assert text == alone.to_csv(index=False)
            written = ResultsStore(tmp_path / point).write_csv("levels", text)
            alone.to_csv(tmp_path / "alone.csv", index=False)
            assert written.read_bytes() == (tmp_path / "alone.csv").read_bytes()
