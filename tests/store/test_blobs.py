from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from loopml._utils.hashing import sha256_bytes
from loopml.errors import ArtifactNotFound, BlobCorrupted, InvalidInput
from loopml.store.blob_backends import BlobBackend, open_backend
from loopml.store.blobs import BlobStore

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(params=["local", "memory"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        url = str(tmp_path / "blobs")
    else:
        url = f"memory://loopml-test-{uuid.uuid4().hex}/root"
    return BlobStore(open_backend(url), cache_dir=tmp_path / "cache")


def _corrupt(store: BlobStore, digest: str) -> None:
    key = store.key(digest)
    path = store.backend.local_path(key)
    if path is not None:
        path.write_bytes(b"tampered")
    else:
        store.backend.fs.pipe_file(store.backend._path(key), b"tampered")  # type: ignore[attr-defined]


def test_backends_satisfy_the_protocol(blob_store: BlobStore) -> None:
    assert isinstance(blob_store.backend, BlobBackend)


def test_put_get_round_trip_uses_the_sha256_digest(blob_store: BlobStore) -> None:
    ref = blob_store.put_bytes(b"hello world", "text/plain")
    assert ref.digest == sha256_bytes(b"hello world")
    assert ref.size == 11
    assert ref.media_type == "text/plain"
    assert blob_store.get_bytes(ref.digest) == b"hello world"
    assert blob_store.exists(ref.digest)


def test_identical_content_is_stored_once(blob_store: BlobStore) -> None:
    first = blob_store.put_bytes(b"same")
    second = blob_store.put_bytes(b"same")
    assert first.digest == second.digest
    keys = list(blob_store.backend.list("blobs/"))
    assert keys == [blob_store.key(first.digest)]


def test_put_file_streams_and_matches_put_bytes(blob_store: BlobStore, tmp_path: Path) -> None:
    payload = os.urandom(3 * (1 << 20) + 17)
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    ref = blob_store.put_file(source)
    assert ref.digest == sha256_bytes(payload)
    assert ref.size == len(payload)
    copy = blob_store.get_file(ref.digest, tmp_path / "out" / "copy.bin")
    assert copy.read_bytes() == payload


def test_corrupted_blob_is_an_error_never_returned(blob_store: BlobStore) -> None:
    ref = blob_store.put_bytes(b"precious data")
    _corrupt(blob_store, ref.digest)
    with pytest.raises(BlobCorrupted, match="corrupted"):
        blob_store.get_bytes(ref.digest)
    with pytest.raises(BlobCorrupted):
        blob_store.verify(ref.digest)


def test_corruption_after_a_verified_read_is_caught_by_local_file(tmp_path: Path) -> None:
    store = BlobStore(open_backend(str(tmp_path / "blobs")))
    ref = store.put_bytes(b"model weights")
    assert store.local_file(ref.digest).read_bytes() == b"model weights"
    path = store.backend.local_path(store.key(ref.digest))
    assert path is not None
    path.write_bytes(b"model weightz")
    with pytest.raises(BlobCorrupted):
        store.local_file(ref.digest)


def test_remote_blobs_are_cached_locally_and_verified(tmp_path: Path) -> None:
    store = BlobStore(open_backend(f"memory://cache-{uuid.uuid4().hex}"), tmp_path / "cache")
    ref = store.put_bytes(b"remote bytes")
    local = store.local_file(ref.digest)
    assert local.read_bytes() == b"remote bytes"
    assert str(local).startswith(str(tmp_path / "cache"))


def test_missing_blob_is_not_found(blob_store: BlobStore) -> None:
    with pytest.raises(ArtifactNotFound):
        blob_store.get_bytes("0" * 64)


def test_malformed_digest_is_invalid_input(blob_store: BlobStore) -> None:
    with pytest.raises(InvalidInput, match="sha256"):
        blob_store.get_bytes("../../etc/passwd")


def test_local_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    store = BlobStore(open_backend(str(tmp_path / "blobs")))
    for index in range(20):
        store.put_bytes(f"blob {index}".encode())
    leftovers = [p for p in (tmp_path / "blobs").rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_failed_local_write_keeps_no_partial_blob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(open_backend(str(tmp_path / "blobs")))

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        store.put_bytes(b"never half-written")
    monkeypatch.undo()
    assert list(store.backend.list("")) == []
    assert not any(p.is_file() for p in (tmp_path / "blobs").rglob("*"))


def test_backend_rejects_escaping_keys(tmp_path: Path) -> None:
    backend = open_backend(str(tmp_path / "blobs"))
    with pytest.raises(InvalidInput):
        backend.put_bytes("../outside", b"x")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=st.binary(max_size=4096))
def test_round_trip_and_digest_are_stable_for_any_bytes(payload: bytes, tmp_path: Path) -> None:
    store = BlobStore(open_backend(str(tmp_path / "prop")))
    first = store.put_bytes(payload)
    again = store.put_bytes(payload)
    assert first == again
    assert store.get_bytes(first.digest) == payload


def _rewrite_keeping_size_and_mtime(path: Path, data: bytes) -> None:
    before = path.stat()
    assert len(data) == before.st_size
    path.write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_a_flip_that_keeps_size_and_mtime_is_still_caught(tmp_path: Path) -> None:
    store = BlobStore(open_backend(str(tmp_path / "blobs")))
    ref = store.put_bytes(b"model weights")
    path = store.local_file(ref.digest)  # verified once: the stamp is cached
    _rewrite_keeping_size_and_mtime(path, b"model weightz")
    with pytest.raises(BlobCorrupted, match=ref.digest):
        store.local_file(ref.digest)
    with pytest.raises(BlobCorrupted):
        store.get_file(ref.digest, tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


def test_a_cached_remote_copy_that_changes_is_caught(tmp_path: Path) -> None:
    store = BlobStore(open_backend(f"memory://cache-{uuid.uuid4().hex}"), tmp_path / "cache")
    ref = store.put_bytes(b"remote bytes")
    local = store.local_file(ref.digest)
    _rewrite_keeping_size_and_mtime(local, b"remote bytez")
    with pytest.raises(BlobCorrupted):
        store.local_file(ref.digest)


def test_corruption_names_what_holds_the_blob(tmp_path: Path) -> None:
    store = BlobStore(open_backend(str(tmp_path / "blobs")))
    store.owners = lambda digest: [f"run abc artifact data/{digest[:4]}.bin"]
    ref = store.put_bytes(b"payload")
    _corrupt(store, ref.digest)
    with pytest.raises(BlobCorrupted, match=r"held by run abc artifact data/"):
        store.get_bytes(ref.digest)
