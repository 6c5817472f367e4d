"""The results store: a directory of Parquet files that the manifest vouches for.

Layout of a study directory::

    DIR/manifest.json                       scenario, hash, seeds, versions, times, and
                                            every finished part with its content hash
    DIR/replications/<arm>/<rep>.metrics.parquet
    DIR/replications/<arm>/<rep>.daily.parquet
    DIR/replications/<arm>/<rep>.histogram.parquet
    DIR/replications/<arm>/<rep>.distributions.parquet
    DIR/summary/levels.csv, differences.csv
    DIR/report/                             index.html, report.md, charts/, scenario.yaml
                                            (written by :mod:`simulator.report.study`)
    DIR/.connectsim.lock                    held by the one process writing DIR

Four rules keep the directory honest:

* **Atomic files.** Every file is written to a temporary name beside its
  target, flushed to disk and renamed into place, so a crash never leaves a
  half-written file under a real name.
* **The manifest is the truth.** A replication belongs to the study only if
  the manifest lists it, with the SHA-256 of each of its files and its seed.
  Readers read exactly those files, check each hash, and report any other
  file as extra. Each Parquet file also carries, in its schema metadata, the
  identity it was written for (study hash, root seed, arm, replication, part):
  a replication finished after the manifest was last written, or a study
  whose manifest was lost, is adopted on resume only from files that read
  whole and say they belong to it.
* **One writer.** A writer holds an exclusive ``flock`` on
  ``DIR/.connectsim.lock`` for as long as it writes; a second writer is
  refused at once with one line.
* **Nothing deleted before success.** Replacing another study
  (``--overwrite``) writes the new one in ``DIR/.connectsim-staging/`` and
  moves it into place only when it has finished; an interrupted swap is
  completed by the next writer.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.engine.recorder import ReplicationResult
from simulator.errors import ResultsError

PARTS = ("metrics", "daily", "histogram", "distributions")
"""The files of one replication of one arm."""

LOCK_NAME = ".connectsim.lock"
STAGING_NAME = ".connectsim-staging"
RETIRED_NAME = ".connectsim-retired"
_PRIVATE = (LOCK_NAME, STAGING_NAME, RETIRED_NAME)

RESULT_ENTRIES = frozenset(
    {
        "manifest.json",
        "replications",
        "summary",
        "report",
        "charts",
        "report.md",
        "points",
        "runs",
        "posterior.parquet",
        "calibrated.yaml",
    }
)
"""What a results directory (study, sweep, sensitivity analysis or calibration) may hold besides its
private files: a directory holding anything else is not one, and is never replaced."""

_METADATA_KEY = b"connectsim"


class ResultsWarning(UserWarning):
    """A results directory holds something its manifest does not vouch for (extra files)."""


def _umask() -> int:
    # the only portable way to read the umask is to set it and put it back
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(path: Path) -> None:
    # a rename is durable only once the directory entry is; not every platform or
    # filesystem lets a directory be opened for that, and none of them needs it to be
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _os_error(exc: OSError, doing: str, path: Path) -> ResultsError:
    """One line for a filesystem failure: what was being done, where, and why."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        reason += " (free some space, or choose another --out)"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        reason += " (choose a writable --out)"
    elif exc.errno == errno.ENOTDIR:
        reason += " (a part of the path is a file, not a directory)"
    return ResultsError(f"cannot {doing} {path}: {reason}")


@contextmanager
def atomic_path(target: Path, sync_directory: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; flush and rename it into place on success.

    ``sync_directory=False`` leaves flushing the directory's entry, which makes the
    rename durable, to the caller (:func:`write_files_atomic` does it once for many).

    Raises
    ------
    ResultsError
        When the directory cannot be made or written (read-only, full, or a
        part of the path is a file); the temporary file is removed.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise _os_error(exc, "write", target) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); results are shared, so give them the
        # mode any new file of this user would have
        os.chmod(tmp_path, 0o666 & ~_umask())
        # flushed before the rename: after a power cut the name never points at
        # blocks that were not written
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, target)
        if sync_directory:
            _fsync_directory(target.parent)
    except OSError as exc:
        raise _os_error(exc, "write", target) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(target: Path, text: str) -> None:
    """Write a text file atomically (see :func:`atomic_path`)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _table(frame: pd.DataFrame, identity: Mapping[str, Any]) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[_METADATA_KEY] = json.dumps(dict(identity), sort_keys=True).encode()
    return table.replace_schema_metadata(metadata)


def write_parquet_atomic(target: Path, frame: pd.DataFrame, identity: Mapping[str, Any]) -> str:
    """Write ``frame`` as Parquet atomically, ``identity`` in its schema metadata.

    Returns
    -------
    str
        The SHA-256 of the written file.
    """
    with atomic_path(target) as tmp:
        pq.write_table(_table(frame, identity), tmp)
        digest = sha256_file(tmp)
    return digest


def parquet_bytes(frame: pd.DataFrame, identity: Mapping[str, Any]) -> bytes:
    """The bytes :func:`write_parquet_atomic` writes for ``frame`` and ``identity``."""
    sink = pa.BufferOutputStream()
    pq.write_table(_table(frame, identity), sink)
    encoded: bytes = sink.getvalue().to_pybytes()
    return encoded


def write_bytes_atomic(target: Path, data: bytes) -> str:
    """Write ``data`` atomically (see :func:`atomic_path`); return its SHA-256."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def write_files_atomic(files: Mapping[Path, bytes]) -> dict[Path, str]:
    """Write several files, each atomically as :func:`atomic_path` does; return their
    SHA-256s.

    Each file is flushed to disk and renamed into place on its own, as one
    :func:`write_bytes_atomic` each would; each directory's entry is flushed once,
    after all its renames, rather than once a file (a replication's four files
    share one directory). A failure leaves the files renamed before it in place,
    as separate writes would, and no temporary file.

    Raises
    ------
    ResultsError
        As :func:`atomic_path`.
    """
    renamed: list[Path] = []
    try:
        for target, data in files.items():
            with atomic_path(target, sync_directory=False) as tmp:
                tmp.write_bytes(data)
            renamed.append(target)
    finally:
        for directory in dict.fromkeys(target.parent for target in renamed):
            _fsync_directory(directory)
    return {target: hashlib.sha256(data).hexdigest() for target, data in files.items()}


@dataclass(frozen=True)
class EncodedReplication:
    """One replication of one arm as the Parquet files of each store it is for, encoded
    where it ran (see :func:`run_encoded`), so that the process keeping the stores
    only writes bytes."""

    arm: str
    replication: int
    root_seed: int
    files: tuple[dict[str, bytes], ...]
    """For each identity asked for, in order: part -> the file's bytes."""


def replication_frames(result: ReplicationResult) -> dict[str, pd.DataFrame]:
    """The frames of one replication, by the part of the store each is written to."""
    return {
        "metrics": result.metrics,
        "daily": result.daily,
        "histogram": result.proposals_per_job,
        "distributions": result.distributions,
    }


def part_identity(
    identity: Mapping[str, Any], arm: str, replication: int, part: str
) -> dict[str, Any]:
    """What one file of a store bound to ``identity`` records as its owner."""
    return {**identity, "arm": arm, "replication": replication, "part": part}


def encode_replication(
    result: ReplicationResult, identities: tuple[Mapping[str, Any], ...]
) -> EncodedReplication:
    """``result``'s files for a store bound to each of ``identities``."""
    frames = replication_frames(result)
    arm, r = result.arm, result.replication
    return EncodedReplication(
        arm,
        r,
        result.root_seed,
        tuple(
            {
                part: parquet_bytes(frame, part_identity(identity, arm, r, part))
                for part, frame in frames.items()
            }
            for identity in identities
        ),
    )


def _csv_lines(frame: pd.DataFrame) -> list[str] | None:
    """The lines ``frame.to_csv(index=False)`` writes (header first), or ``None`` when
    a value holds a line break, so that lines and rows no longer match."""
    lines = str(frame.to_csv(index=False)).split(os.linesep)
    return lines[:-1] if len(lines) == len(frame) + 2 else None


def csv_split(frame: pd.DataFrame, by: str, lead: list[str]) -> tuple[str, dict[Any, str]]:
    """``frame`` as CSV text, and each group's rows (grouped by column ``by``) without
    the leading columns ``lead``, as ``to_csv(index=False)`` writes each.

    pandas writes each value on its own and joins a row's values with commas, so
    a row's line does not depend on the rows written with it, and the whole line
    is its leading columns' line, a comma, and the rest's line: the large part
    is formatted once, instead of once for the whole and once per group (which
    cost most of the time of a sweep's summaries). When that does not hold
    (``lead`` not leading, fewer than two other columns, an empty lone leading
    value, which the CSV writer quotes, or a line break inside a value), each
    text is made on its own.
    """
    rest = frame.drop(columns=lead)
    keys = frame[by].to_numpy()
    groups = list(dict.fromkeys(keys.tolist()))
    rest_lines = _csv_lines(rest)
    lead_lines = _csv_lines(frame[lead])
    if (
        list(frame.columns[: len(lead)]) != lead
        or rest.shape[1] < 2
        or rest_lines is None
        or lead_lines is None
        or '""' in lead_lines
    ):
        return str(frame.to_csv(index=False)), {
            g: str(rest[keys == g].to_csv(index=False)) for g in groups
        }
    end = os.linesep
    whole = end.join(f"{a},{b}" for a, b in zip(lead_lines, rest_lines, strict=True)) + end
    header, rows = rest_lines[0], rest_lines[1:]
    return whole, {
        g: end.join([header, *(rows[i] for i in (keys == g).nonzero()[0])]) + end for g in groups
    }


def parquet_identity(path: Path) -> dict[str, Any] | None:
    """The identity a Parquet file was written for, or ``None`` if it has none or is damaged."""
    try:
        metadata = pq.read_schema(path).metadata or {}
        found = json.loads(metadata[_METADATA_KEY])
    except (OSError, KeyError, ValueError, pa.ArrowException):
        return None
    return found if isinstance(found, dict) else None


def reads_whole(path: Path) -> bool:
    """Whether a Parquet file reads to the end (a truncated or garbled one does not)."""
    try:
        pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException):
        return False
    return True


def read_parquet_checked(path: Path, where: Path) -> pd.DataFrame:
    """Read a Parquet file; a missing or damaged one is a :class:`ResultsError` naming it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ResultsError(f"{where}: {path.relative_to(where)} is missing") from None
    except OSError as exc:
        raise _unreadable(exc, path, where) from None
    return frame_of(parse_parquet(data, path, where))


def _unreadable(exc: Exception, path: Path, where: Path) -> ResultsError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ResultsError(
        f"{where}: {path.relative_to(where)} is not a readable Parquet file ({reason[:120]})"
    )


def parse_parquet(data: bytes, path: Path, where: Path) -> pa.Table:
    """Parse the bytes of a Parquet file read from ``path``; damaged, they are a
    :class:`ResultsError` naming the file as :func:`read_parquet_checked` does."""
    try:
        # pandas' metadata as pandas.read_parquet uses it (index columns, if any)
        return pq.ParquetFile(pa.BufferReader(data)).read(use_pandas_metadata=True)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise _unreadable(exc, path, where) from None


def frame_of(table: pa.Table) -> pd.DataFrame:
    """An Arrow table read from the store as the frame :func:`pandas.read_parquet` gives:
    the same conversion (``Table.to_pandas`` with pandas' metadata, no type mapper),
    done once for many files' tables concatenated rather than once a file."""
    frame: pd.DataFrame = table.to_pandas()
    return frame


@dataclass(frozen=True)
class Occupant:
    """What a directory holds, as far as replacing it is concerned."""

    kind: str
    """``"empty"``, ``"same"`` (this experiment: resume it), ``"other"`` (another one,
    replaceable with ``overwrite``), ``"unmanifested"`` (results files without a
    manifest) or ``"foreign"`` (files that are not results: never replaced)."""
    description: str = ""


class DirectoryLock:
    """An exclusive, advisory lock on a results directory, held while it is written.

    ``flock`` locks belong to the open file, so the lock is released by the
    kernel when the holder exits, however it exits: a killed run never leaves
    a stale lock behind.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or refuse at once if another process holds it.

        Raises
        ------
        ResultsError
            When another process is writing the directory, or it cannot be created.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = open(self.root / LOCK_NAME, "a+", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise _os_error(exc, "take the write lock in", self.root) from None
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, as before
            self._handle = handle
            return
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise ResultsError(
                f"{self.root}: another connectsim process (pid {holder}) is writing this "
                "directory; wait for it to finish, or choose another --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Let go of the lock (the file stays, empty)."""
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
            handle.close()

    def __enter__(self) -> DirectoryLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _entries(root: Path) -> list[str]:
    """What a directory holds, besides the store's private files."""
    return sorted(p.name for p in root.iterdir() if p.name not in _PRIVATE)


def _move_entries(source: Path, target: Path, last: str | None) -> None:
    """Move every entry of ``source`` into ``target`` (``last``, if present, last)."""
    names = [n for n in _entries(source) if n != last]
    if last is not None and (source / last).exists():
        names.append(last)
    for name in names:
        os.replace(source / name, target / name)


class ResultsStore:
    """Reads and writes one results directory.

    A store keeps the parts it has written or verified (``parts``, keyed by
    ``"<arm>/<replication>"``) and records them in every manifest it writes.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.parts: dict[str, dict[str, Any]] = {}
        """Finished replications: key -> {arm, replication, seed, files: {part: {path, sha256}}}."""
        self.identity: dict[str, Any] = {}
        """What every Parquet file written here records as its owner (see :meth:`bind`)."""
        self._manifest_written = 0.0
        self._manifest_seconds = 0.0

    # ---------------------------------------------------------------- files
    @staticmethod
    def key(arm: str, replication: int) -> str:
        """How the manifest names one replication of one arm."""
        return f"{arm}/{replication:05d}"

    def _file(self, arm: str, replication: int, part: str) -> Path:
        return self.root / "replications" / arm / f"{replication:05d}.{part}.parquet"

    def bind(self, identity: Mapping[str, Any]) -> None:
        """Set what the files written here belong to (e.g. ``{"study": HASH, "root_seed": S}``)."""
        self.identity = dict(identity)

    def write_replication(self, result: ReplicationResult) -> None:
        """Store one replication of one arm (one Parquet file per part) and record it."""
        files = {}
        for part, frame in replication_frames(result).items():
            target = self._file(result.arm, result.replication, part)
            identity = part_identity(self.identity, result.arm, result.replication, part)
            digest = write_parquet_atomic(target, frame, identity)
            files[part] = {"path": target.relative_to(self.root).as_posix(), "sha256": digest}
        self._record_replication(result.arm, result.replication, result.root_seed, files)

    def write_encoded(self, encoded: EncodedReplication, files: Mapping[str, bytes]) -> None:
        """Store one replication encoded elsewhere: ``files`` must be ``encoded``'s
        files for this store's identity (the same bytes :meth:`write_replication`
        would write)."""
        targets = {part: self._file(encoded.arm, encoded.replication, part) for part in PARTS}
        digests = write_files_atomic({targets[part]: files[part] for part in PARTS})
        written = {
            part: {"path": target.relative_to(self.root).as_posix(), "sha256": digests[target]}
            for part, target in targets.items()
        }
        self._record_replication(encoded.arm, encoded.replication, encoded.root_seed, written)

    def _record_replication(
        self, arm: str, replication: int, root_seed: int, files: dict[str, dict[str, str]]
    ) -> None:
        self.parts[self.key(arm, replication)] = {
            "arm": arm,
            "replication": replication,
            "seed": self.identity.get("root_seed", root_seed),
            "files": files,
        }

    def verify_replication(self, arm: str, replication: int) -> str | None:
        """Check one replication's files; ``None`` if they are vouched for, else why not.

        A replication the manifest records is vouched for when each file's hash
        matches; one it does not record (finished after the manifest was last
        written, or with the manifest lost) when each file reads whole and its
        metadata names this store's identity, arm, replication and part. A
        replication found good is recorded in :attr:`parts`.
        """
        key = self.key(arm, replication)
        recorded = self.parts.get(key)
        files: dict[str, dict[str, str]] = {}
        for part in PARTS:
            path = self._file(arm, replication, part)
            name = path.relative_to(self.root).as_posix()
            if not path.is_file():
                return f"{name} is missing"
            try:
                digest = sha256_file(path)
            except OSError as exc:
                return f"{name} cannot be read ({exc.strerror})"
            if recorded is not None:
                expected = recorded.get("files", {}).get(part, {}).get("sha256")
                if digest != expected:
                    return f"{name} does not match the content hash in the manifest"
            else:
                wanted = part_identity(self.identity, arm, replication, part)
                found = parquet_identity(path)
                if found is None:
                    return f"{name} is damaged or was not written by this version of connectsim"
                if found != wanted:
                    return f"{name} belongs to another study or replication"
                if not reads_whole(path):
                    return f"{name} is damaged"
            files[part] = {"path": name, "sha256": digest}
        if recorded is None:
            self.parts[key] = {
                "arm": arm,
                "replication": replication,
                "seed": self.identity.get("root_seed"),
                "files": files,
            }
        return None

    def discard_replication(self, arm: str, replication: int) -> None:
        """Forget one replication and delete its files (before it is computed again)."""
        self.parts.pop(self.key(arm, replication), None)
        for part in PARTS:
            self._file(arm, replication, part).unlink(missing_ok=True)

    def read_replication(
        self, arm: str, replication: int, root_seed: int, verify: bool = True
    ) -> ReplicationResult:
        """Read back one stored replication of one arm, each file checked against its hash.

        Raises
        ------
        ResultsError
            When the manifest does not list the replication, or a file is
            missing, damaged or differs from what the manifest recorded.
        """
        frames = {part: self.read_checked_part(arm, replication, part, verify) for part in PARTS}
        return ReplicationResult(
            arm,
            replication,
            root_seed,
            frames["metrics"],
            frames["daily"],
            frames["histogram"],
            frames["distributions"],
        )

    def read_checked_part(
        self, arm: str, replication: int, part: str, verify: bool = True
    ) -> pd.DataFrame:
        """Read back one part (``"metrics"``, ``"daily"``, ...) of one stored replication,
        its file checked against its hash.

        Raises
        ------
        ResultsError
            As :meth:`read_replication`.
        """
        return frame_of(self.read_checked_table(arm, replication, part, verify))

    def read_checked_table(
        self, arm: str, replication: int, part: str, verify: bool = True
    ) -> pa.Table:
        """One part of one stored replication as an Arrow table, its file checked against
        its hash: what a sweep's summaries need of each run (its metrics, without the
        other three files), gathered into one table and converted to pandas once.

        The file is read once: the bytes whose hash is checked are the bytes parsed.

        Raises
        ------
        ResultsError
            As :meth:`read_replication`.
        """
        key = self.key(arm, replication)
        recorded = self.parts.get(key)
        if verify and recorded is None:
            raise ResultsError(f"{self.root}: the manifest lists no replication {key}")
        path = self._file(arm, replication, part)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ResultsError(
                f"{self.root}: {path.relative_to(self.root)} is missing; "
                "run the same command again to recompute it"
            ) from None
        except OSError as exc:
            raise _os_error(exc, "read", path) from None
        if verify and recorded is not None:
            expected = recorded.get("files", {}).get(part, {}).get("sha256")
            if hashlib.sha256(data).hexdigest() != expected:
                raise ResultsError(
                    f"{self.root}: {path.relative_to(self.root)} does not match the "
                    "manifest's content hash (changed, truncated or replaced since it "
                    "was written); run the same command again to recompute it"
                )
        return parse_parquet(data, path, self.root)

    def read_part(self, arm: str, replication: int, part: str) -> pd.DataFrame:
        """Read one part (metrics, daily, ...) of one stored replication."""
        return read_parquet_checked(self._file(arm, replication, part), self.root)

    def extra_files(self) -> list[str]:
        """Replication files the manifest does not list (e.g. left by a run with more)."""
        listed = {f["path"] for entry in self.parts.values() for f in entry["files"].values()}
        found = self.root.glob("replications/*/*.parquet")
        return sorted(
            name for p in found if (name := p.relative_to(self.root).as_posix()) not in listed
        )

    def remove_partial_files(self) -> int:
        """Delete temporary files a killed run left behind; return how many."""
        stale = list(self.root.rglob(".*.tmp")) if self.root.is_dir() else []
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    def clear(self) -> None:
        """Remove every results entry of the directory (not its lock)."""
        if not self.root.is_dir():
            return
        for name in _entries(self.root):
            target = self.root / name
            if name not in RESULT_ENTRIES:
                continue
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
        self.parts.clear()

    # ---------------------------------------------------------------- manifest
    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write manifest.json atomically, with the parts of the replications it lists.

        ``manifest["replications"]`` (per arm) bounds what is listed: parts of
        replications beyond it stay on disk as extra files, not in the study.
        """
        started = time.monotonic()
        listed = manifest.get("replications")
        parts = {
            key: entry
            for key, entry in sorted(self.parts.items())
            if not isinstance(listed, int) or entry["replication"] < listed
        }
        record = {**manifest, "parts": parts}
        write_text_atomic(self.root / "manifest.json", json.dumps(record, indent=1) + "\n")
        self._manifest_written = time.monotonic()
        self._manifest_seconds = self._manifest_written - started

    def write_manifest_soon(self, manifest: dict[str, Any]) -> None:
        """Write the manifest unless it was written very recently.

        Rewriting it after every replication would cost time quadratic in the
        number of replications; writing it at most every second, and never
        taking more than about a tenth of the time, keeps it current cheaply.
        What finished since is not lost: it is adopted from its files on resume.
        """
        wait = max(1.0, 10.0 * self._manifest_seconds)
        if time.monotonic() - self._manifest_written >= wait:
            self.write_manifest(manifest)

    def read_manifest(self) -> dict[str, Any]:
        """Read manifest.json, and the parts it lists into :attr:`parts`."""
        path = self.root / "manifest.json"
        if not path.is_file():
            raise ResultsError(f"{self.root}: not a results directory (no manifest.json)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ResultsError(f"{path}: not a readable manifest ({exc})") from None
        except OSError as exc:
            raise _os_error(exc, "read", path) from None
        if not isinstance(data, dict):
            raise ResultsError(f"{path}: not a readable manifest (not a JSON object)")
        parts = data.get("parts", {})
        if isinstance(parts, dict):
            self.parts = {
                k: v
                for k, v in parts.items()
                if isinstance(v, dict) and isinstance(v.get("files"), dict)
            }
        return data

    def write_csv(self, name: str, frame: pd.DataFrame | str) -> Path:
        """Write a summary table as CSV atomically (``frame`` as pandas writes it
        without its index, or CSV text already made, see :func:`csv_split`);
        return its path."""
        target = self.root / "summary" / f"{name}.csv"
        with atomic_path(target) as tmp:
            if isinstance(frame, str):
                # newline="": the text's line ends are pandas', written as they are
                with open(tmp, "w", encoding="utf-8", newline="") as handle:
                    handle.write(frame)
            else:
                frame.to_csv(tmp, index=False)
        return target

    # ---------------------------------------------------------------- occupancy
    def occupant(self, same: Callable[[dict[str, Any]], bool], what: str) -> Occupant:
        """What the directory holds, judged by ``same`` on its manifest.

        Parameters
        ----------
        same
            Whether a manifest is this experiment's (to be resumed).
        what
            What this experiment is, for messages ("study", "sweep", ...).
        """
        root = self.root
        if not root.exists():
            return Occupant("empty")
        if not root.is_dir():
            raise ResultsError(f"{root}: exists and is not a directory; choose another --out")
        entries = _entries(root)
        if not entries:
            return Occupant("empty")
        foreign = [n for n in entries if n not in RESULT_ENTRIES]
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            return Occupant(
                "foreign",
                f"{root}: not empty and not a results directory (it holds {shown}); "
                "choose another --out",
            )
        files = sum(1 for p in root.rglob("*") if p.is_file() and p.name not in _PRIVATE)
        if "manifest.json" not in entries:
            return Occupant(
                "unmanifested",
                f"{root}: has no manifest.json but holds {files} results files "
                f"(under {', '.join(entries)}), which --overwrite would replace",
            )
        probe = ResultsStore(root)
        try:
            record = probe.read_manifest()
        except ResultsError as exc:
            return Occupant(
                "unmanifested",
                f"{exc} and {files} results files (under {', '.join(entries)}), "
                "which --overwrite would replace",
            )
        if same(record):
            return Occupant("same")
        return Occupant("other", describe_manifest(root, record, what))


def describe_manifest(root: Path, record: Mapping[str, Any], what: str = "") -> str:
    """One phrase naming what a results directory holds, from its manifest.

    ``what`` is the experiment about to be written: one of the same kind is
    "another" one.
    """
    kind = record.get("kind", "study")
    scenario = record.get("scenario")
    name = scenario.get("name") if isinstance(scenario, dict) else None
    if kind == "sweep":
        held, ids = "sweep", f"hash {record.get('sweep_hash')}"
    elif kind == "sensitivity":
        held, ids = "sensitivity analysis", f"design {record.get('design_hash')}"
    else:
        held, ids = "study", f"hash {record.get('scenario_hash')}"
    article = "another" if held == what else "a"
    return (
        f"{root}: holds {article} {held} of scenario {name!r} "
        f"({ids}, seed {record.get('root_seed')})"
    )


def recover_swap(root: Path) -> None:
    """Finish a replacement (``--overwrite``) that was interrupted while it swapped.

    The swap moves the old results into ``.connectsim-retired/`` (manifest
    first), then the new ones up from ``.connectsim-staging/`` (manifest
    last), then deletes the retired ones. A directory found without a
    manifest while the staging one still has its own is rolled forward.
    """
    retired = root / RETIRED_NAME
    staging = root / STAGING_NAME
    if not retired.exists():
        return
    if not (root / "manifest.json").exists() and (staging / "manifest.json").exists():
        _move_entries(staging, root, last="manifest.json")
    if (root / "manifest.json").exists():
        shutil.rmtree(retired, ignore_errors=True)
        if staging.is_dir() and not any(staging.iterdir()):
            staging.rmdir()


def check_writable(
    root: Path,
    same: Callable[[dict[str, Any]], bool],
    overwrite: bool,
    what: str,
    identity: Mapping[str, Any] | None = None,
) -> bool:
    """Whether an experiment may be written into ``root``, and if so, whether staged.

    See :func:`open_for_writing` for the parameters; this is its check alone,
    without the lock, for callers that refuse a directory before they start.

    Returns
    -------
    bool
        True when the experiment must be staged (it replaces another one).

    Raises
    ------
    ResultsError
        When the directory holds something else and ``overwrite`` is false, or
        holds files that are not results.
    """
    occupant = ResultsStore(root).occupant(same, what)
    if occupant.kind == "foreign":
        raise ResultsError(occupant.description)
    if occupant.kind == "other" or (
        occupant.kind == "unmanifested" and not _all_files_own(root, identity)
    ):
        if not overwrite:
            raise ResultsError(
                f"{occupant.description}, not this {what}{_described(identity)}; run the "
                "same command with "
                f"--overwrite to replace it (nothing is removed until the new {what} has "
                "finished), or choose another --out"
            )
        return True
    return False


@contextmanager
def open_for_writing(
    root: Path,
    same: Callable[[dict[str, Any]], bool],
    overwrite: bool,
    what: str,
    identity: Mapping[str, Any] | None = None,
) -> Iterator[tuple[ResultsStore, Callable[[], None]]]:
    """Lock ``root`` and yield the store to write an experiment into, and how to commit it.

    Parameters
    ----------
    root
        The results directory.
    same
        Whether a manifest found there is this experiment's: it is then resumed in place.
    overwrite
        Replace another experiment found there. The new one is written in
        ``.connectsim-staging/`` and moved into place by the commit function,
        which the caller calls once the experiment has finished; until then
        the old results are untouched.
    what
        What the experiment is ("study", "sweep", "sensitivity analysis"), for messages.
    identity
        What this experiment's Parquet files record as their owner. A
        directory whose manifest is lost or unreadable, and whose every
        Parquet file records this identity, is resumed in place: the files
        that verify are adopted and the manifest rebuilt. Without it, or when
        some file belongs to something else, such a directory is replaced
        only with ``overwrite``.

    Yields
    ------
    tuple
        The store to write into, and a function that commits it (a no-op
        unless the experiment was staged).

    Raises
    ------
    ResultsError
        When the directory holds something else and ``overwrite`` is false,
        holds files that are not results, or another process is writing it.
    """
    # checked before the lock: the lock file must not be created inside a
    # directory that is not a results directory
    check_writable(root, same, overwrite, what, identity)
    lock = DirectoryLock(root)
    lock.acquire()
    try:
        recover_swap(root)
        staged = check_writable(root, same, overwrite, what, identity)
        target = root / STAGING_NAME if staged else root
        store = ResultsStore(target)
        if staged:
            found = store.occupant(same, what).kind
            if found not in ("empty", "same") and not (
                found == "unmanifested" and _all_files_own(target, identity)
            ):
                # an earlier replacement by another experiment that never finished:
                # it holds no result anyone has seen
                shutil.rmtree(target)
        elif (root / STAGING_NAME).exists():
            # a replacement that never finished, given up for the study in place
            shutil.rmtree(root / STAGING_NAME)
        target.mkdir(parents=True, exist_ok=True)
        if (target / "manifest.json").is_file():
            store.read_manifest()

        def commit() -> None:
            if staged:
                retired = root / RETIRED_NAME
                if retired.exists():
                    shutil.rmtree(retired)
                retired.mkdir()
                # the old manifest goes first and the new one comes last, so that no
                # manifest ever lists files that are not (yet, or still) in place
                old = [n for n in _entries(root) if n != "manifest.json"]
                if (root / "manifest.json").exists():
                    os.replace(root / "manifest.json", retired / "manifest.json")
                for name in old:
                    os.replace(root / name, retired / name)
                _move_entries(target, root, last="manifest.json")
                _fsync_directory(root)
                shutil.rmtree(retired, ignore_errors=True)
                target.rmdir()
            store.root = root

        yield store, commit
    finally:
        lock.release()


def _described(identity: Mapping[str, Any] | None) -> str:
    """`` (hash H, seed S)`` for an identity that has them, else nothing."""
    if not identity or "scenario_hash" not in identity:
        return ""
    return f" (hash {identity['scenario_hash']}, seed {identity.get('root_seed')})"


def _all_files_own(root: Path, identity: Mapping[str, Any] | None) -> bool:
    """Whether some Parquet file under ``root`` records ``identity`` and none records another.

    Files that record nothing (damaged, or not results) do not count either way:
    they belong to no experiment, and are computed again.
    """
    if identity is None:
        return False
    owned = False
    for path in root.rglob("*.parquet"):
        found = parquet_identity(path)
        if found is None:
            continue
        if any(found.get(k) != v for k, v in identity.items()):
            return False
        owned = True
    return owned


def warn_extra(root: Path, extra: list[str]) -> None:
    """Say that files the manifest does not list were left out (e.g. by a rerun with fewer
    replications: they stay on disk, and a later run with more adopts them)."""
    if extra:
        runs = len({name.split(".")[0] for name in extra})
        shown = ", ".join(extra[:2]) + (", ..." if len(extra) > 2 else "")
        warnings.warn(
            f"{root}: {len(extra)} file{'s' if len(extra) > 1 else ''} "
            f"({runs} replication{'s' if runs > 1 else ''}) not listed in the manifest "
            f"{'were' if len(extra) > 1 else 'was'} left out ({shown})",
            ResultsWarning,
            stacklevel=3,
        )
