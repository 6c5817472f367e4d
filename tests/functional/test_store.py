"""The results store never lies: it reads what its manifest vouches for, and nothing else.

Each test reproduces a way a study directory could lose or misreport results:
an --overwrite that fails half-way, a rerun with fewer replications, a file
copied, truncated or garbled, two writers at once, a lost manifest.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import simulator.experiments.study as study_module
from simulator.config.loading import load_scenario
from simulator.config.scenario import Scenario
from simulator.errors import ResultsError
from simulator.experiments.store import (
    RETIRED_NAME,
    STAGING_NAME,
    DirectoryLock,
    ResultsWarning,
    recover_swap,
)
from simulator.experiments.study import load_study, run_study

TINY = (
    "world.population.freelancers=120",
    "world.jobs.jobs_per_day=10",
    "run.warmup_days=5",
    "run.horizon_days=15",
)


@pytest.fixture(scope="module")
def tiny(paid_vs_free_path: Path) -> Scenario:
    """paid_vs_free.yaml at 120 freelancers and 20 days: a replication in ~0.1 s."""
    return load_scenario(paid_vs_free_path, TINY)


@pytest.fixture(scope="module")
def other(paid_vs_free_path: Path) -> Scenario:
    """Another scenario: the tiny one with dearer Connects."""
    return load_scenario(paid_vs_free_path, [*TINY, "arms.paid.price_usd_per_connect=0.3"])


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".connectsim.lock"
    }


def _manifest(root: Path) -> dict[str, object]:
    data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# ------------------------------------------------------------------ 1. overwrite
def test_overwrite_keeps_the_old_study_when_the_new_one_crashes(
    tmp_path: Path, tiny: Scenario, other: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_study(tiny, replications=3, out=tmp_path)
    before = _files(tmp_path)
    calls = {"n": 0}
    real = study_module.run_encoded

    def crashes_on_the_third(*args: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the engine fell over")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(study_module, "run_encoded", crashes_on_the_third)
    with pytest.raises(RuntimeError, match="fell over"):
        run_study(other, replications=3, out=tmp_path, overwrite=True)
    # every old file is where it was, byte for byte; the new study waits in staging
    after = {k: v for k, v in _files(tmp_path).items() if not k.startswith(STAGING_NAME)}
    assert after == before
    assert load_study(tmp_path).scenario == tiny
    monkeypatch.setattr(study_module, "run_encoded", real)
    # the same command again resumes the staged study (two replications were kept)
    replaced = run_study(other, replications=3, out=tmp_path, overwrite=True)
    assert replaced.reused == 2
    assert load_study(tmp_path).scenario == other
    assert not (tmp_path / STAGING_NAME).exists()
    assert not (tmp_path / RETIRED_NAME).exists()
    pd.testing.assert_frame_equal(
        load_study(tmp_path).metrics, run_study(other, replications=3).metrics
    )


def test_overwrite_with_an_unreachable_scheduler_deletes_nothing(
    tmp_path: Path, tiny: Scenario, other: Scenario
) -> None:
    pytest.importorskip("distributed")
    from simulator.errors import ExecutorError
    from simulator.experiments.executors import DaskExecutor

    run_study(tiny, replications=2, out=tmp_path)
    before = _files(tmp_path)
    # port 1 on the loopback: nothing listens there, so the connection is refused
    with pytest.raises(ExecutorError):
        run_study(
            other,
            replications=2,
            out=tmp_path,
            overwrite=True,
            executor=DaskExecutor("tcp://127.0.0.1:1", connect_timeout=3),
        )
    assert _files(tmp_path) == before


def test_an_interrupted_swap_is_rolled_forward(tmp_path: Path, tiny: Scenario) -> None:
    new = tmp_path / "new"
    run_study(tiny, replications=2, out=new)
    root = tmp_path / "root"
    (root / RETIRED_NAME).mkdir(parents=True)
    (root / RETIRED_NAME / "manifest.json").write_text("{}", encoding="utf-8")
    # the swap stopped after the new replications moved up, before the new manifest
    shutil.move(new / "replications", root / "replications")
    (root / STAGING_NAME).mkdir()
    shutil.move(new / "manifest.json", root / STAGING_NAME / "manifest.json")
    shutil.move(new / "summary", root / STAGING_NAME / "summary")
    recover_swap(root)
    assert not (root / RETIRED_NAME).exists()
    assert not (root / STAGING_NAME).exists()
    assert load_study(root).replications == 2


# ------------------------------------------------------------------ 2. manifest is the truth
def test_fewer_replications_read_exactly_what_the_manifest_lists(
    tmp_path: Path, tiny: Scenario
) -> None:
    run_study(tiny, replications=5, out=tmp_path)
    second = run_study(tiny, replications=2, out=tmp_path)
    assert second.reused == 2 * len(tiny.arms)
    assert len(list(tmp_path.glob("replications/*/*.metrics.parquet"))) == 5 * len(tiny.arms)
    with pytest.warns(
        ResultsWarning, match=r"24 files \(6 replications\) not listed in the manifest"
    ):
        loaded = load_study(tmp_path)
    assert loaded.replications == 2
    assert sorted(loaded.metrics["replication"].unique()) == [0, 1]
    levels = pd.read_csv(tmp_path / "summary" / "levels.csv")
    pd.testing.assert_frame_equal(levels, loaded.levels().reset_index(drop=True), check_dtype=False)
    manifest = _manifest(tmp_path)
    parts = manifest["parts"]
    assert isinstance(parts, dict)
    assert sorted(parts) == [f"{a}/{r:05d}" for a in sorted(tiny.arms) for r in range(2)]


# ------------------------------------------------------------------ 3. every file vouched for
DAMAGE = {
    "copied": lambda target, source: shutil.copyfile(source, target),
    "truncated": lambda target, _s: target.write_bytes(target.read_bytes()[:200]),
    "garbage": lambda target, _s: target.write_bytes(b"\x00garbage\xff" * 40),
    "empty": lambda target, _s: target.write_bytes(b""),
}


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_a_damaged_file_is_named_and_recomputed(tmp_path: Path, tiny: Scenario, how: str) -> None:
    reference = run_study(tiny, replications=3)
    run_study(tiny, replications=3, out=tmp_path)
    target = tmp_path / "replications" / "free" / "00001.metrics.parquet"
    source = tmp_path / "replications" / "free" / "00002.metrics.parquet"
    DAMAGE[how](target, source)
    with pytest.raises(ResultsError, match=r"replications/free/00001\.metrics\.parquet"):
        load_study(tmp_path)
    with pytest.warns(ResultsWarning, match=r"computing 1 replication again.*00001\.metrics"):
        resumed = run_study(tiny, replications=3, out=tmp_path)
    assert resumed.reused == 3 * len(tiny.arms) - 1
    pd.testing.assert_frame_equal(resumed.metrics, reference.metrics)
    pd.testing.assert_frame_equal(load_study(tmp_path).metrics, reference.metrics)


def test_a_file_with_a_recorded_hash_changed_by_its_metadata_is_refused(
    tmp_path: Path, tiny: Scenario
) -> None:
    """A file rewritten with the right identity but other values is caught by its hash."""
    run_study(tiny, replications=2, out=tmp_path)
    target = tmp_path / "replications" / "paid" / "00000.metrics.parquet"
    table = pq.read_table(target)
    frame = table.to_pandas()
    frame["value"] = frame["value"] * 2
    pq.write_table(
        pa_table_with(frame, table.schema.metadata),
        target,
    )
    with pytest.raises(ResultsError, match="does not match the manifest's content hash"):
        load_study(tmp_path)


def pa_table_with(frame: pd.DataFrame, metadata: dict[bytes, bytes] | None) -> object:
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(metadata)


def test_an_unfinished_study_says_how_many_replications_are_present(
    tmp_path: Path, tiny: Scenario
) -> None:
    done: list[int] = []

    def stop_after_three(_arm: str, replication: int) -> None:
        done.append(replication)
        if len(done) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_study(tiny, replications=4, out=tmp_path, progress=stop_after_three)
    with pytest.raises(ResultsError, match=r"not finished: \d of 8 replications"):
        load_study(tmp_path)


# ------------------------------------------------------------------ 4. one writer at a time
def test_a_second_writer_is_refused_while_the_first_holds_the_directory(
    tmp_path: Path, tiny: Scenario
) -> None:
    refused = pytest.raises(ResultsError, match=r"another connectsim process .* is writing")
    with DirectoryLock(tmp_path), refused:
        run_study(tiny, replications=1, out=tmp_path)
    assert not (tmp_path / "manifest.json").exists()
    run_study(tiny, replications=1, out=tmp_path)


def _race(out: str, seed: int, overrides: tuple[str, ...], scenario_path: str) -> None:
    scenario = load_scenario(scenario_path, overrides)
    # the one refused (by the lock, or by the other's finished study) says so and stops
    with contextlib.suppress(ResultsError):
        run_study(scenario, replications=2, seed=seed, out=out)


def test_two_studies_raced_into_one_directory_never_mix(
    tmp_path: Path, paid_vs_free_path: Path
) -> None:
    context = multiprocessing.get_context("fork")
    for trial in range(20):
        out = tmp_path / f"trial{trial}"
        runners = [
            context.Process(target=_race, args=(str(out), seed, TINY, str(paid_vs_free_path)))
            for seed in (7, 20190501)
        ]
        for p in runners:
            p.start()
        for p in runners:
            p.join(60)
            assert p.exitcode == 0
        manifest = _manifest(out)
        seed = manifest["root_seed"]
        seeds = {
            int(s)
            for f in out.glob("replications/*/*.parquet")
            for s in pd.read_parquet(f, columns=["root_seed"])["root_seed"].unique()
        }
        assert seeds == {seed}, f"trial {trial}: manifest seed {seed}, files {seeds}"
        assert load_study(out).root_seed == seed


# ------------------------------------------------------------------ 5. a lost manifest
def test_a_lost_manifest_is_rebuilt_from_the_files_that_verify(
    tmp_path: Path, tiny: Scenario, other: Scenario
) -> None:
    first = run_study(tiny, replications=2, out=tmp_path)
    (tmp_path / "manifest.json").unlink()
    # garbage in one file: it verifies as nothing, and is computed again
    (tmp_path / "replications" / "paid" / "00001.daily.parquet").write_bytes(b"junk")
    with pytest.warns(ResultsWarning, match=r"00001\.daily\.parquet is damaged"):
        rebuilt = run_study(tiny, replications=2, out=tmp_path)
    assert rebuilt.reused == 2 * len(tiny.arms) - 1
    pd.testing.assert_frame_equal(load_study(tmp_path).daily, first.daily)

    (tmp_path / "manifest.json").unlink()
    with pytest.raises(ResultsError, match=r"has no manifest\.json but holds \d+ results files"):
        run_study(other, replications=1, out=tmp_path)
    run_study(other, replications=1, out=tmp_path, overwrite=True)
    assert load_study(tmp_path).scenario == other


def test_a_garbled_manifest_can_be_replaced(
    tmp_path: Path, tiny: Scenario, other: Scenario
) -> None:
    run_study(tiny, replications=1, out=tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ResultsError, match="not a readable manifest"):
        load_study(tmp_path)
    with pytest.raises(ResultsError, match="--overwrite would replace"):
        run_study(other, replications=1, out=tmp_path)
    run_study(other, replications=1, out=tmp_path, overwrite=True)
    assert load_study(tmp_path).scenario == other


def test_files_encoded_by_a_worker_are_the_files_written_here(
    tiny: Scenario, tmp_path: Path
) -> None:
    """A replication encoded where it ran (for two stores at once, as a sweep's shared
    arm is) is written byte for byte as the store writes it from the frames, with the
    same hashes in the manifest, and reads back the same."""
    from simulator.engine.market import run_replication
    from simulator.experiments.store import ResultsStore
    from simulator.experiments.tasks import run_encoded

    identities = ({"study": "a", "root_seed": 7}, {"study": "b", "root_seed": 7})
    encoded = run_encoded(tiny, "paid", 1, 7, identities)
    result = run_replication(tiny, "paid", 1, 7)
    for identity, files in zip(identities, encoded.files, strict=True):
        here, there = (
            ResultsStore(tmp_path / "here" / identity["study"]),
            ResultsStore(tmp_path / "there" / identity["study"]),
        )
        for store in (here, there):
            store.bind(identity)
        here.write_replication(result)
        there.write_encoded(encoded, files)
        assert _files(here.root) == _files(there.root)
        assert here.parts == there.parts
        assert there.verify_replication("paid", 1) is None
        back = there.read_replication("paid", 1, 7)
        pd.testing.assert_frame_equal(back.metrics, result.metrics)
    # each store's files name their own study: the two encodings differ
    assert encoded.files[0]["metrics"] != encoded.files[1]["metrics"]


def test_parts_read_back_as_pandas_reads_their_files(tmp_path: Path, tiny: Scenario) -> None:
    """The store parses each file's checked bytes with pyarrow and converts the tables
    itself (a sweep converts all its runs' tables at once): the frames must be those
    pandas.read_parquet gives, dtypes included, alone or concatenated."""
    import pyarrow as pa

    from simulator.experiments.store import PARTS, ResultsStore, frame_of

    run_study(tiny, replications=2, out=tmp_path)
    store = ResultsStore(tmp_path)
    store.read_manifest()
    for part in PARTS:
        keys = [(arm, r) for arm in tiny.arms for r in range(2)]
        files = [tmp_path / "replications" / arm / f"{r:05d}.{part}.parquet" for arm, r in keys]
        for (arm, r), file in zip(keys, files, strict=True):
            pd.testing.assert_frame_equal(
                store.read_checked_part(arm, r, part), pd.read_parquet(file), check_exact=True
            )
        tables = [store.read_checked_table(arm, r, part) for arm, r in keys]
        together = frame_of(pa.concat_tables(tables))
        pd.testing.assert_frame_equal(
            together,
            pd.concat([pd.read_parquet(file) for file in files], ignore_index=True),
            check_exact=True,
        )
