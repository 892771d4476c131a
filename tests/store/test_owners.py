"""Integrity errors name the run, model version or dataset version a blob belongs to."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import loopml as lm
from loopml import _hooks
from loopml.errors import BlobCorrupted
from loopml.models import quick
from tests.store_env import store_env


def _flip_last_byte(path: os.PathLike[str]) -> None:
    before = os.stat(path)
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    data[-1] ^= 0xFF
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.fixture
def client(tmp_path):
    client = lm.configure(
        home=tmp_path / "home",
        db_url=f"sqlite:///{tmp_path / 'l.db'}",
        artifacts=str(tmp_path / "a"),
    )
    yield client
    _hooks.replace_default_client(None)


def _blob_path(client, digest: str):
    return client.store.blobs.backend.local_path(client.store.blobs.key(digest))


def test_a_corrupted_artifact_names_its_run(client) -> None:
    with lm.start_run("owners") as run:
        run.log_text("hello world", "notes/readme.txt")
    info = next(a for a in client.runs.list_artifacts(run.id) if a.path == "notes/readme.txt")
    assert client.runs.load_artifact(run.id, "notes/readme.txt") == "hello world"
    _flip_last_byte(_blob_path(client, info.digest))
    with pytest.raises(BlobCorrupted, match=rf"run {run.id} artifact notes/readme.txt"):
        client.runs.load_artifact(run.id, "notes/readme.txt")


def test_a_corrupted_model_file_names_the_model_version(client, monkeypatch) -> None:
    x = np.random.default_rng(0).normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(int)
    with lm.start_run("owners") as run:
        ref = run.log_model(LogisticRegression().fit(x, y), example=x[:3])
    lm.register_model(ref, "churn")
    lm.set_alias("churn", "champion", 1)
    manifest = client.models.get_manifest("models:/churn@champion")
    pickled = manifest["files"]["model/model.pkl"]["digest"]
    settings = client.settings
    _flip_last_byte(_blob_path(client, pickled))
    _hooks.replace_default_client(None)  # a fresh process: the sqlite3 fast path runs first
    quick._LOADERS.clear()
    for name, value in store_env(settings).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(BlobCorrupted, match=r"model version churn/1"):
        lm.load_model("models:/churn@champion")


def test_a_corrupted_dataset_names_the_dataset_version(client) -> None:
    version = lm.log_dataset(pd.DataFrame({"a": [1, 2, 3]}), "orders")
    path = _blob_path(client, version.blob_digest)
    _flip_last_byte(path)
    with pytest.raises(BlobCorrupted, match=r"dataset version orders/v1"):
        lm.load_dataset("orders")
