"""The event-file cache: each file is read once, never served stale, within its budget."""

from __future__ import annotations

import os
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from loopml.store.blob_backends import open_backend
from loopml.store.event_cache import (
    RACY_S,
    CachedEventFiles,
    EventFileCache,
    cached_event_log,
    shared_cache,
)
from loopml.store.events import EventLog

if TYPE_CHECKING:
    from pathlib import Path

T = 1_700_000_000_000


class CountedReads:
    """Counts the downloads of a memory:// backend's file system (and passes them on)."""

    def __init__(self, log: EventLog, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        fs: Any = log.backend.fs  # type: ignore[attr-defined]
        real = fs.cat_file

        def cat_file(path: str, *args: Any, **kwargs: Any) -> Any:
            self.paths.append(str(path))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(fs, "cat_file", cat_file)

    def parquet(self) -> int:
        return sum(p.endswith(".parquet") for p in self.paths)


def _memory_log() -> EventLog:
    return EventLog(open_backend(f"memory://cached-{uuid.uuid4().hex[:8]}"))


def _age(path: Path, seconds: float = 10 * RACY_S) -> None:
    """Make a local file old enough to be kept (as files are a few seconds after writing)."""
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_a_second_read_of_the_same_files_downloads_nothing(monkeypatch) -> None:
    log = _memory_log()
    log.append("predictions/churn", [{"time": T + i, "x": i} for i in range(3)])
    log.append("predictions/churn", [{"time": T + 1000, "x": 9}])
    cached = cached_event_log(log, EventFileCache())
    reads = CountedReads(log, monkeypatch)

    assert cached.read("predictions/churn").num_rows == 4
    assert reads.parquet() == 2
    assert cached.read("predictions/churn").num_rows == 4
    assert reads.parquet() == 2  # nothing downloaded again

    log.append("predictions/churn", [{"time": T + 2000, "x": 10}])
    assert cached.read("predictions/churn").num_rows == 5
    assert reads.parquet() == 3  # only the new file
    files = cached.backend
    assert isinstance(files, CachedEventFiles)
    assert (files.hits, files.misses) == (4, 3)
    assert cached_event_log(cached) is cached


def test_views_of_one_store_share_the_process_cache(monkeypatch) -> None:
    log = _memory_log()
    log.append("s", [{"time": T, "x": 1}])
    reads = CountedReads(log, monkeypatch)
    first, second = cached_event_log(log), cached_event_log(EventLog(log.backend))
    assert first.backend.cache is second.backend.cache is shared_cache()  # type: ignore[attr-defined]
    first.read("s")
    second.read("s")
    assert reads.parquet() == 1


def test_a_rewritten_file_is_read_again(monkeypatch) -> None:
    log = _memory_log()
    (key,) = log.append("s", [{"time": T, "x": 1}])
    cached = cached_event_log(log, EventFileCache())
    assert cached.read("s")["x"].to_pylist() == [1]
    other = _memory_log()
    (new,) = other.append("s", [{"time": T, "x": 2}])
    log.backend.put_bytes(key, other.backend.get_bytes(new))  # same key, same size
    assert cached.read("s")["x"].to_pylist() == [2]


def test_a_rewritten_local_file_is_read_again_even_with_the_same_size_and_time(
    tmp_path: Path,
) -> None:
    log = EventLog(open_backend(str(tmp_path / "artifacts")))
    (key,) = log.append("s", [{"time": T, "x": 1}])
    path = log.backend.local_path(key)
    assert path is not None
    _age(path)
    cached = cached_event_log(log, EventFileCache())
    assert cached.read("s")["x"].to_pylist() == [1]
    assert cached.read("s")["x"].to_pylist() == [1]
    files = cached.backend
    assert isinstance(files, CachedEventFiles)
    assert (files.hits, files.misses) == (1, 1)

    before = os.stat(path)
    other = EventLog(open_backend(str(tmp_path / "other")))
    (new,) = other.append("s", [{"time": T, "x": 2}])
    data = other.backend.get_bytes(new)
    assert len(data) == before.st_size
    log.backend.put_bytes(key, data)  # written by rename: a new file
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert cached.read("s")["x"].to_pylist() == [2]


def test_a_file_written_just_now_is_read_but_not_kept(tmp_path: Path) -> None:
    log = EventLog(open_backend(str(tmp_path / "artifacts")))
    log.append("s", [{"time": T, "x": 1}])
    cache = EventFileCache()
    cached = cached_event_log(log, cache)
    cached.read("s")
    cached.read("s")
    assert cache.stats().files == 0
    assert (cached.backend.hits, cached.backend.misses) == (0, 2)  # type: ignore[attr-defined]


@pytest.mark.parametrize("where", ["memory", "local"])
def test_compaction_serves_the_merged_file_and_drops_the_old_ones(where, tmp_path) -> None:
    log = _memory_log() if where == "memory" else EventLog(open_backend(str(tmp_path / "a")))
    keys = [log.append("s", [{"time": T + i, "x": i}])[0] for i in range(3)]
    for key in keys:
        path = log.backend.local_path(key)
        if path is not None:
            _age(path)
    cache = EventFileCache()
    cached = cached_event_log(log, cache)
    assert sorted(cached.read("s")["x"].to_pylist()) == [0, 1, 2]
    assert cache.stats().files == 3

    import datetime as dt

    output = log.compact("s", dt.datetime.fromtimestamp(T / 1000, dt.UTC).date())
    assert output is not None
    if where == "local":
        path = log.backend.local_path(output)
        assert path is not None
        _age(path)
    log.append("s", [{"time": T + 9, "x": 9}])
    assert sorted(cached.read("s")["x"].to_pylist()) == [0, 1, 2, 9]
    kept = {name for (_, name) in cache._files}  # the replaced files are gone
    assert not kept & set(keys)
    assert output in kept


def test_a_deleted_file_is_forgotten_by_the_next_listing() -> None:
    log = _memory_log()
    keys = [log.append("s", [{"time": T + i, "x": i}])[0] for i in range(2)]
    cache = EventFileCache()
    cached = cached_event_log(log, cache)
    cached.read("s")
    log.backend.delete(keys[0])  # retention, behind the cache's back
    assert cached.read("s")["x"].to_pylist() == [1]
    assert cache.stats().files == 1


def test_the_cache_keeps_to_its_byte_budget(monkeypatch) -> None:
    log = _memory_log()
    keys = [log.append("s", [{"time": T + i, "x": i}])[0] for i in range(4)]
    size = len(log.backend.get_bytes(keys[0]))
    cache = EventFileCache(max_bytes=2 * size + size // 2)
    files = CachedEventFiles(log.backend, cache)
    list(files.list("events/s/"))
    for key in keys:
        files.get_bytes(key)
    stats = cache.stats()
    assert (stats.files, stats.evictions) == (2, 2)
    assert stats.bytes <= cache.max_bytes
    assert files.get_bytes(keys[-1]) == log.backend.get_bytes(keys[-1])
    assert files.hits == 1
    files.get_bytes(keys[0])  # evicted: read again
    assert files.misses == 5
    files.delete(keys[0])
    assert not log.backend.exists(keys[0])
    assert cache.stats().bytes <= cache.max_bytes
    big = EventFileCache(max_bytes=size - 1)  # a file over the budget is never kept
    CachedEventFiles(log.backend, big).get_bytes(keys[1])
    assert big.stats().files == 0
    with pytest.raises(ValueError, match="must not be negative"):
        EventFileCache(max_bytes=-1)


def test_a_missing_local_file_is_artifact_not_found(tmp_path: Path) -> None:
    from loopml.errors import ArtifactNotFound

    files = CachedEventFiles(open_backend(str(tmp_path / "a")), EventFileCache())
    with pytest.raises(ArtifactNotFound, match="no blob"):
        files.get_bytes("events/s/date=2026-01-01/part-1-a.parquet")


def test_a_window_read_skips_kept_files_without_a_row_in_the_window() -> None:
    import datetime as dt

    from loopml.store.predlog.reading import read_feedback
    from loopml.store.streams import FEEDBACK_STREAM

    hour = 3_600_000
    log = _memory_log()
    for i in range(3):
        log.append("s", [{"time": T + i * hour, "x": i}, {"time": T + i * hour + 1, "x": i}])
        log.append(FEEDBACK_STREAM, [{"time": T + i * hour, "prediction_id": f"p{i}", "label": i}])
    cached = cached_event_log(log, EventFileCache())
    files = cached.backend
    assert isinstance(files, CachedEventFiles)
    assert cached.read("s").num_rows == 6  # all three files read and kept
    since = dt.datetime.fromtimestamp((T + 2 * hour) / 1000, dt.UTC)
    until = since + dt.timedelta(hours=1)
    assert files.time_span(log.keys("s")[0], "time") is not None
    before = files.hits
    assert cached.read("s", since, until)["x"].to_pylist() == [2, 2]
    assert files.hits == before + 1  # the two earlier files were not parsed again

    read_feedback(cached, None)  # keep the feedback files
    before = files.hits
    assert read_feedback(cached, since)["prediction_id"].to_pylist() == ["p2"]
    assert files.hits == before + 1
    assert files.time_span("events/s/manifest.json", "time") is None
