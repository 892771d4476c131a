"""Feature store fixtures: projects with parquet sources, Redis URLs with a per-session prefix."""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import loopml as lm

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REDIS_ENV = "LOOPML_TEST_REDIS_URL"


@pytest.fixture(scope="session")
def redis_prefix() -> Iterator[str]:
    """A key prefix unique to this test session; its keys are deleted at the end."""
    prefix = f"lmtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    url = os.environ.get(REDIS_ENV)
    if url:
        import redis

        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def redis_url(redis_prefix: str) -> str:
    """A Redis online-store URL with a prefix unique to this test (skips without Redis)."""
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}prefix={redis_prefix}-{uuid.uuid4().hex[:8]}"


def ts(*values: str, tz: str | None = "UTC") -> pd.Series:
    """Timestamps from ISO strings (aware in ``tz``, or naive when ``tz`` is None)."""
    stamps = pd.to_datetime(list(values), format="ISO8601")
    return pd.Series(stamps.tz_localize(tz) if tz else stamps)


@pytest.fixture
def activity(tmp_path: Path) -> Path:
    """A parquet source: customers 1-3 with orders/spend/tier over January 2024."""
    frame = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3],
            "ts": ts("2024-01-01", "2024-01-05", "2024-01-02", "2024-01-10", "2024-01-03"),
            "orders": [1, 2, 3, 4, 5],
            "spend": [1.0, 2.0, None, 4.0, 5.0],
            "tier": ["a", "b", "c", None, "e"],
        }
    )
    path = tmp_path / "activity.parquet"
    frame.to_parquet(path)
    return path


@pytest.fixture
def fs(client: lm.Client) -> lm.FeatureStore:
    """The feature store of the default client (SQLite and PostgreSQL metadata)."""
    return client.features


@pytest.fixture
def sfs(sqlite_client: lm.Client) -> lm.FeatureStore:
    """The feature store of a SQLite-only client (for tests that need no dialect matrix)."""
    return sqlite_client.features


def activity_view(path: Path, **options: object) -> lm.FeatureView:
    """The standard test view over :func:`activity`."""
    options.setdefault("ttl", "3d")
    return lm.FeatureView(
        "activity",
        lm.Entity("customer_id"),
        str(path),
        "ts",
        ["orders", "spend", "tier"],
        **options,
    )
