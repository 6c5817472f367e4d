"""The results store: a study directory of Parquet files and a manifest.

Layout::

    DIR/manifest.json                       scenario, hash, seeds, versions, times
    DIR/replications/<arm>/<rep>.metrics.parquet
    DIR/replications/<arm>/<rep>.daily.parquet
    DIR/replications/<arm>/<rep>.histogram.parquet
    DIR/replications/<arm>/<rep>.distributions.parquet
    DIR/summary/levels.csv, differences.csv
    DIR/report/                             index.html, report.md, charts/, scenario.yaml
                                            (written by :mod:`simulator.report`)

Every file is written to a temporary name in the same directory and renamed
into place, so a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.errors import ResultsError
from simulator.metrics import ReplicationResult

_PARTS = ("metrics", "daily", "histogram", "distributions")


def _umask() -> int:
    # the only portable way to read the umask is to set it and put it back
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); results are shared, so give them the
        # mode any new file of this user would have
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(target: Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


class ResultsStore:
    """Reads and writes one study directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _file(self, arm: str, replication: int, part: str) -> Path:
        return self.root / "replications" / arm / f"{replication:05d}.{part}.parquet"

    def write_replication(self, result: ReplicationResult) -> None:
        """Store one replication of one arm (one Parquet file per part)."""
        frames = {
            "metrics": result.metrics,
            "daily": result.daily,
            "histogram": result.proposals_per_job,
            "distributions": result.distributions,
        }
        for part, frame in frames.items():
            with atomic_path(self._file(result.arm, result.replication, part)) as tmp:
                frame.to_parquet(tmp, engine="pyarrow", index=False)

    def read_part(self, arm: str, replication: int, part: str) -> pd.DataFrame:
        """Read one part (metrics, daily, ...) of one stored replication."""
        return pd.read_parquet(self._file(arm, replication, part))

    def read_replication(self, arm: str, replication: int, root_seed: int) -> ReplicationResult:
        """Read back one stored replication of one arm."""
        parts = {part: pd.read_parquet(self._file(arm, replication, part)) for part in _PARTS}
        return ReplicationResult(
            arm,
            replication,
            root_seed,
            parts["metrics"],
            parts["daily"],
            parts["histogram"],
            parts["distributions"],
        )

    def clear(self) -> None:
        """Remove the study's own files (replications, summary, manifest, report), or a sweep's."""
        # charts/ and report.md: where earlier versions wrote the report; points/: a sweep's
        for sub in ("replications", "summary", "report", "charts", "points"):
            target = self.root / sub
            if target.is_dir():
                shutil.rmtree(target)
        for name in ("manifest.json", "report.md"):
            (self.root / name).unlink(missing_ok=True)

    def remove_partial_files(self) -> int:
        """Delete temporary files a killed run left behind; return how many."""
        stale = list(self.root.rglob(".*.tmp")) if self.root.is_dir() else []
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    def check_compatible(self, scenario_hash: str, root_seed: int, overwrite: bool) -> None:
        """Refuse a directory that holds another study (unless ``overwrite``).

        A directory with this study's manifest (same resolved scenario and
        root seed) is resumed; one with another study's manifest is cleared
        only when ``overwrite`` is true; a non-empty directory that is not a
        study directory is refused either way.
        """
        if not self.root.exists():
            return
        if not self.root.is_dir():
            raise ResultsError(f"{self.root}: exists and is not a directory")
        manifest = self.root / "manifest.json"
        if not manifest.is_file():
            if any(self.root.iterdir()):
                raise ResultsError(
                    f"{self.root}: not empty and not a study directory (no manifest.json); "
                    "choose another --out"
                )
            return
        record = self.read_manifest()
        # a sweep directory's manifest records its base scenario's hash and seed: a
        # study of that scenario must not take it for its own and resume into it
        sweep = record.get("kind") == "sweep"
        same = record.get("scenario_hash") == scenario_hash and record.get("root_seed") == root_seed
        if same and not sweep:
            return
        if overwrite:
            self.clear()
            return
        what = "sweep" if sweep else "study"
        raise ResultsError(
            f"{self.root}: holds a {what} of scenario {record.get('scenario', {}).get('name')!r} "
            f"(hash {record.get('scenario_hash')}, seed {record.get('root_seed')}), not this one "
            f"(hash {scenario_hash}, seed {root_seed}); use --overwrite to replace it "
            "or choose another --out"
        )

    def has_replication(self, arm: str, replication: int) -> bool:
        """Whether every file of a replication is present."""
        return all(self._file(arm, replication, part).is_file() for part in _PARTS)

    def read(self, part: str) -> pd.DataFrame:
        """Concatenate one part (metrics, daily, histogram, ...) over every replication."""
        if part not in _PARTS:
            raise ResultsError(f"unknown results part {part!r} (parts: {', '.join(_PARTS)})")
        files = sorted((self.root / "replications").glob(f"*/*.{part}.parquet"))
        if not files:
            raise ResultsError(f"{self.root}: no replications found (run a study into it first)")
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write manifest.json atomically."""
        write_text_atomic(self.root / "manifest.json", json.dumps(manifest, indent=2) + "\n")

    def read_manifest(self) -> dict[str, Any]:
        """Read manifest.json."""
        path = self.root / "manifest.json"
        if not path.is_file():
            raise ResultsError(f"{self.root}: not a study directory (no manifest.json)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ResultsError(f"{path}: not a readable manifest ({exc})") from exc
        if not isinstance(data, dict):
            raise ResultsError(f"{path}: not a readable manifest (not a JSON object)")
        return data

    def write_csv(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a summary table as CSV atomically; return its path."""
        target = self.root / "summary" / f"{name}.csv"
        with atomic_path(target) as tmp:
            frame.to_csv(tmp, index=False)
        return target
