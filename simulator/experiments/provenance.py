"""Where a result came from: package versions, the git commit and the time it was made."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

CORE_PACKAGES: tuple[str, ...] = (
    "connectsim",
    "numpy",
    "pandas",
    "simpy",
    "pydantic",
    "pyarrow",
    "scipy",
)
"""The packages whose versions every manifest records."""


def git_commit() -> str | None:
    """The commit of the connectsim checkout in use, or None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def versions(extra: Iterable[str] = ()) -> dict[str, str]:
    """Python's version and each package's (``"not installed"`` when absent)."""
    found = {"python": platform.python_version()}
    for name in (*CORE_PACKAGES, *extra):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def utc_now() -> str:
    """The time now, in UTC, to the second (ISO 8601)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
