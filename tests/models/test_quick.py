"""The fresh-process load path (sqlite3 + local blob files, no client)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import loopml as lm
from loopml import _hooks, config
from loopml.errors import BlobCorrupted
from loopml.models import AliasNotFound, quick
from loopml.store.blob_backends.local import LocalBlobBackend
from loopml.store.blobs import BlobStore
from tests.store_env import store_env


@pytest.fixture
def registered(sqlite_client, frame, labels):
    x = frame.to_numpy(float)
    for c in (1.0, 0.01):
        with lm.start_run("quick") as run:
            ref = run.log_model(LogisticRegression(C=c).fit(x, labels), example=x[:3])
        lm.register_model(ref, "churn")
    lm.set_alias("churn", "champion", 1)
    settings = sqlite_client.settings
    _hooks.replace_default_client(None)  # as in a fresh process: no client yet
    quick._LOADERS.clear()
    return settings, ref


def test_fast_path_resolves_every_uri_kind(registered) -> None:
    settings, ref = registered
    by_alias = quick._fast_load(settings, "models:/churn@champion", cache=True)
    assert (by_alias.name, by_alias.version) == ("churn", 1)
    assert quick._fast_load(settings, "churn/2", cache=True).version == 2
    assert quick._fast_load(settings, "models:/churn", cache=True).version == 2
    from_run = quick._fast_load(settings, ref.uri, cache=True)
    assert from_run.digest == ref.digest
    assert from_run.run_id == ref.run_id
    assert quick._fast_load(settings, f"package:{ref.digest}", cache=True).digest == ref.digest
    x = np.zeros((2, 3))
    assert by_alias.predict_array(x).shape == (2,)


def test_fast_path_follows_alias_moves_and_caches_by_digest(registered) -> None:
    settings, _ = registered
    first = quick._fast_load(settings, "churn@champion", cache=True)
    assert quick._fast_load(settings, "churn/1", cache=True).native is first.native
    lm.configure(home=str(settings.home), db_url=settings.db_url, artifacts=settings.artifacts)
    lm.set_alias("churn", "champion", 2)
    moved = quick._fast_load(settings, "churn@champion", cache=True)
    assert moved.version == 2
    assert moved.native is not first.native


def test_unknown_names_fall_back_to_the_registry_errors(registered, monkeypatch) -> None:
    settings, _ = registered
    assert quick._fast_load(settings, "churn@nope", cache=True) is None
    for name, value in store_env(settings).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(AliasNotFound, match="its aliases: champion -> 1"):
        lm.load_model("models:/churn@nope")


def test_lm_load_model_uses_the_fast_path_without_a_client(registered, monkeypatch) -> None:
    settings, _ = registered
    for name, value in store_env(settings).items():
        monkeypatch.setenv(name, value)
    assert config.resolve().db_url == settings.db_url
    model = lm.load_model("models:/churn@champion")
    assert model.version == 1
    assert _hooks.current_client() is None  # no client was needed


def test_fast_path_refuses_corrupted_files(registered) -> None:
    settings, ref = registered
    files = quick.local_blobs(settings.artifacts)
    assert files is not None
    manifest = quick._fast_load(settings, ref.uri, cache=False).manifest
    digest = manifest["files"]["model/model.pkl"]["digest"]
    path = files.local_file(digest)
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(BlobCorrupted, match="corrupted"):
        quick._fast_load(settings, ref.uri, cache=False)


def test_the_fast_path_reads_through_the_blob_store(tmp_path) -> None:
    store = BlobStore(LocalBlobBackend(str(tmp_path / "a")))
    ref = store.put_bytes(b"hello")
    files = quick.local_blobs(str(tmp_path / "a"))
    assert isinstance(files, BlobStore)
    assert files.local_file(ref.digest) == store.local_file(ref.digest)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////abs/l.db", "/abs/l.db"),
        ("sqlite:///rel.db", "rel.db"),
        ("sqlite+pysqlite:////abs/l.db", "/abs/l.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:////abs/l.db?mode=ro", None),
        ("postgresql://u@h/db", None),
    ],
)
def test_sqlite_path(url, expected) -> None:
    found = quick.sqlite_path(url)
    assert (None if found is None else str(found)) == expected


def test_remote_artifacts_take_the_full_path() -> None:
    assert quick.local_blobs("s3://bucket/x") is None
    assert quick.local_blobs("memory://x") is None
    local = quick.local_blobs("file:///tmp/x")
    assert local is not None
    assert local.backend.local_path(local.key("0" * 64)).as_posix().startswith("/tmp/x/")
