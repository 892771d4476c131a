"""The event-file cache: each file is downloaded once, listings stay fresh."""

from __future__ import annotations

import uuid

import pytest

from loopml.ci.cached_reads import CachedEventFiles, cached_event_log
from loopml.store.blob_backends import open_backend
from loopml.store.events import EventLog


def _log() -> EventLog:
    return EventLog(open_backend(f"memory://cached-{uuid.uuid4().hex[:8]}"))


def test_a_stream_read_twice_downloads_each_file_once_and_sees_new_files() -> None:
    log = _log()
    log.append("predictions/churn", [{"time": 1_700_000_000_000 + i, "x": i} for i in range(3)])
    log.append("predictions/churn", [{"time": 1_700_000_001_000, "x": 9}])
    cached = cached_event_log(log)
    files = cached.backend
    assert isinstance(files, CachedEventFiles)

    assert cached.read("predictions/churn").num_rows == 4
    assert (files.hits, files.misses) == (0, 2)
    assert cached.read("predictions/churn").num_rows == 4
    assert (files.hits, files.misses) == (2, 2)

    log.append("predictions/churn", [{"time": 1_700_000_002_000, "x": 10}])
    assert cached.read("predictions/churn").num_rows == 5
    assert (files.hits, files.misses) == (4, 3)
    assert cached_event_log(cached) is cached


def test_the_cache_keeps_to_its_byte_budget_and_forgets_deleted_files() -> None:
    log = _log()
    keys = [log.append("s", [{"time": 1_700_000_000_000 + i, "x": i}])[0] for i in range(4)]
    size = len(log.backend.get_bytes(keys[0]))
    files = CachedEventFiles(log.backend, max_bytes=2 * size + size // 2)
    for key in keys:
        files.get_bytes(key)
    assert files.get_bytes(keys[-1]) == log.backend.get_bytes(keys[-1])
    assert files.hits == 1
    files.get_bytes(keys[0])  # evicted: read again
    assert files.misses == 5
    files.delete(keys[0])
    assert not log.backend.exists(keys[0])
    with pytest.raises(ValueError, match="must not be negative"):
        CachedEventFiles(log.backend, max_bytes=-1)


def test_local_event_files_are_read_through_the_cache_too(tmp_path) -> None:
    log = EventLog(open_backend(str(tmp_path / "artifacts")))
    log.append("s", [{"time": 1_700_000_000_000, "x": 1}])
    cached = cached_event_log(log)
    files = cached.backend
    assert isinstance(files, CachedEventFiles)
    assert cached.read("s").num_rows == 1
    assert cached.read("s").num_rows == 1
    assert (files.hits, files.misses) == (1, 1)
