"""Fixtures for the team stack: PostgreSQL + S3 (moto server) + Redis + a Dask cluster.

Each fixture skips when its service's ``LOOPML_TEST_*`` variable is unset;
CI (``.ci/run``) starts moto's S3 server and a Dask scheduler with workers and sets them.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from loopml import _hooks

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

S3_ENV = "LOOPML_TEST_S3_ENDPOINT"
DASK_ENV = "LOOPML_TEST_DASK_URL"
REDIS_ENV = "LOOPML_TEST_REDIS_URL"


def s3_options() -> dict[str, Any]:
    """fsspec storage options for the test S3 server (skips when it is not configured)."""
    endpoint = os.environ.get(S3_ENV)
    if not endpoint:
        pytest.skip(f"{S3_ENV} is not set (CI starts moto_server)")
    pytest.importorskip("s3fs")
    return {
        "endpoint_url": endpoint,
        "key": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "secret": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    }


@pytest.fixture
def s3_bucket() -> Iterator[tuple[str, dict[str, Any]]]:
    """A fresh bucket on the test S3 server: ``(bucket name, storage options)``."""
    import s3fs

    options = s3_options()
    fs = s3fs.S3FileSystem(**options)
    name = f"loopml-test-{uuid.uuid4().hex[:12]}"
    fs.mkdir(name)
    yield name, options
    fs.rm(name, recursive=True)


@pytest.fixture
def s3_fs(s3_bucket: tuple[str, dict[str, Any]]) -> Any:
    """An s3fs file system on the test server (to look at what loopml wrote)."""
    import s3fs

    return s3fs.S3FileSystem(**s3_bucket[1])


@pytest.fixture
def dask_url() -> str:
    """The address of the CI Dask scheduler (skips when it is not configured)."""
    url = os.environ.get(DASK_ENV)
    if not url:
        pytest.skip(f"{DASK_ENV} is not set (CI starts a Dask scheduler and workers)")
    pytest.importorskip("distributed")
    return url


@pytest.fixture
def redis_online_url() -> str:
    """A Redis online-store URL with a key prefix of its own."""
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}prefix=stack-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def stack_project(
    tmp_path: Path,
    postgres_url: str,
    s3_bucket: tuple[str, dict[str, Any]],
    redis_online_url: str,
    dask_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    """A project folder whose one ``loopml.yaml`` moves everything to the team stack."""
    bucket, options = s3_bucket
    project = tmp_path / "project"
    project.mkdir()
    settings = {
        "db_url": postgres_url,
        "artifacts": f"s3://{bucket}/loopml",
        "artifacts_options": options,
        "online_store": redis_online_url,
        "executor": dask_url.replace("tcp://", "dask://", 1),
    }
    (project / "loopml.yaml").write_text(yaml.safe_dump(settings))
    monkeypatch.chdir(project)
    yield project
    client = _hooks.current_client()
    if client is not None:
        client.close()
