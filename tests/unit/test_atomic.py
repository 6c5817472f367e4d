"""Atomic writes: all or nothing, and files as readable as any other the user makes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulator.experiments.store import atomic_path, write_text_atomic


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
