from __future__ import annotations

import random

import pytest
from hypothesis import given, strategies as st

from loopml.errors import InvalidInput
from loopml.serving.routing import Target, goes_to_canary, key_share, parse_split, parse_target


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("churn@champion", Target("churn", alias="champion")),
        ("churn", Target("churn", alias="champion")),
        ("churn/3", Target("churn", version=3)),
        ("models:/churn@challenger", Target("churn", alias="challenger")),
    ],
)
def test_parse_target(text, target):
    assert parse_target(text) == target


@pytest.mark.parametrize("bad", ["", "churn@", "churn/x", "a b", "@champion"])
def test_bad_target(bad):
    with pytest.raises(InvalidInput, match="churn@champion"):
        parse_target(bad)


def test_parse_split():
    assert parse_split("churn@challenger:10") == (Target("churn", alias="challenger"), 10.0)
    for bad in ("churn@challenger", "churn:x", "churn:120"):
        with pytest.raises(InvalidInput):
            parse_split(bad)


@given(st.text(min_size=1), st.text())
def test_hash_routing_is_stable(key, salt):
    assert goes_to_canary(37.5, key, salt=salt) == goes_to_canary(37.5, key, salt=salt)
    assert 0.0 <= key_share(key, salt) < 1.0


@given(st.text(min_size=1), st.floats(0, 100), st.floats(0, 100))
def test_raising_the_share_only_moves_keys_to_the_canary(key, low, high):
    low, high = sorted((low, high))
    if goes_to_canary(low, key):
        assert goes_to_canary(high, key)


def test_shares_are_close_to_the_percentage():
    keys = [f"customer-{i}" for i in range(20_000)]
    hashed = sum(goes_to_canary(10, k, salt="churn") for k in keys) / len(keys)
    rng = random.Random(1)
    drawn = sum(goes_to_canary(10, None, rng=rng) for _ in keys) / len(keys)
    assert abs(hashed - 0.10) < 0.01
    assert abs(drawn - 0.10) < 0.01
    assert not goes_to_canary(0, "k")
    assert goes_to_canary(100, "k")
