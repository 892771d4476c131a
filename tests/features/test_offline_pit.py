"""Point-in-time correctness: the DuckDB plan against brute-force oracles (hypothesis).

The oracle for plain retrieval is pandas ``merge_asof`` (backward, exact matches allowed,
tolerance = TTL) after keeping, per (entity, event time), the row with the latest created
timestamp. Retrieval "as of known time" is checked against a plain Python loop.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from loopml.features import offline, retrieval
from loopml.features.definitions import FeatureView
from loopml.features.errors import SpineError
from loopml.features.reading import SourceContext, connect, describe, open_relation
from loopml.features.references import parse
from loopml.features.registry import ViewVersion
from loopml.features.schema import resolve_view
from loopml.features.sources import DataFrameSource

BASE = pd.Timestamp("2024-03-10 06:00")  # a DST change in America/New_York
MINUTE = 60_000_000_000
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin"]
CTX = SourceContext(Path("."), lambda d: Path(d), "sqlite://")


def version_of(view: FeatureView) -> ViewVersion:
    con = connect()
    relation = open_relation(con, view.source, CTX, view.name)
    typed, schema = resolve_view(view, describe(con, relation, view.name))
    con.close()
    return ViewVersion(view.name, 1, "d", "s", typed, schema, 0)


def retrieve(
    views: list[ViewVersion], spine: pd.DataFrame, known_at: object = None
) -> pd.DataFrame:
    current = {v.name: v for v in views}
    refs = [f"{v.name}:*" for v in views]
    selections = parse(refs, current, lambda n, v: current[n], full_names=True)
    return retrieval.get_historical_features(CTX, selections, spine, "t", known_at)


def stamps(minutes: list[int], tz: str | None) -> pd.Series:
    values = BASE + pd.to_timedelta(minutes, unit="min")
    index = pd.DatetimeIndex(values)
    if tz is not None:
        index = index.tz_localize("UTC").tz_convert(tz)
    return pd.Series(index)


def utc_ns(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.dt.as_unit("ns").to_numpy().astype("int64")


def oracle(source: pd.DataFrame, key: str, spine: pd.DataFrame, ttl_min: int | None) -> np.ndarray:
    right = pd.DataFrame({key: source[key], "_t": utc_ns(source["t"]), "value": source["value"]})
    if "created" in source:
        right["_c"] = utc_ns(source["created"])
        right = right.sort_values("_c").drop_duplicates([key, "_t"], keep="last")
    right = right.sort_values("_t")
    left = pd.DataFrame({key: spine[key], "_t": utc_ns(spine["t"]), "_row": np.arange(len(spine))})
    merged = pd.merge_asof(
        left.sort_values("_t"),
        right[[key, "_t", "value"]],
        on="_t",
        by=key,
        direction="backward",
        allow_exact_matches=True,
        tolerance=None if ttl_min is None else ttl_min * MINUTE,
    )
    return merged.sort_values("_row")["value"].to_numpy(dtype="float64")


@st.composite
def feature_rows(draw: st.DrawFn, key: str, with_created: bool) -> pd.DataFrame:
    n = draw(st.integers(0, 25))
    entities = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    events = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    frame = pd.DataFrame({key: pd.Series(entities, dtype="int64"), "e": events})
    if with_created:
        order = draw(st.permutations(list(range(n))))
        frame["c"] = [e + o for e, o in zip(events, order, strict=True)]
    else:
        frame = frame.drop_duplicates([key, "e"])
    frame["value"] = np.arange(len(frame), dtype="float64") + 0.5
    return frame.reset_index(drop=True)


@st.composite
def spines(draw: st.DrawFn, keys: list[str]) -> pd.DataFrame:
    n = draw(st.integers(1, 25))
    data = {k: draw(st.lists(st.integers(1, 5), min_size=n, max_size=n)) for k in keys}
    data["t"] = draw(st.lists(st.integers(-3, 50), min_size=n, max_size=n))
    return pd.DataFrame(data)


def make_view(
    name: str, key: str, rows: pd.DataFrame, tz: str | None, ttl: int | None
) -> tuple[FeatureView, pd.DataFrame]:
    source = pd.DataFrame(
        {key: rows[key], "t": stamps(rows["e"].tolist(), tz), "value": rows["value"]}
    )
    created = None
    if "c" in rows:
        source["created"] = stamps(rows["c"].tolist(), tz)
        created = "created"
    view = FeatureView(
        name,
        key,
        DataFrameSource(source),
        "t",
        {"value": "float64"},
        created_timestamp=created,
        ttl=None if ttl is None else ttl * 60,
    )
    return view, source


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    data=st.data(),
    with_created=st.booleans(),
    source_tz=st.sampled_from([None, *ZONES]),
    spine_tz=st.sampled_from(ZONES),
    ttl=st.sampled_from([None, 1, 5, 12]),
)
def test_one_view_matches_merge_asof(data, with_created, source_tz, spine_tz, ttl) -> None:
    rows = data.draw(feature_rows("customer_id", with_created))
    raw = data.draw(spines(["customer_id"]))
    spine_zone = None if source_tz is None else spine_tz
    view, source = make_view("v", "customer_id", rows, source_tz, ttl)
    spine = pd.DataFrame(
        {"customer_id": raw["customer_id"], "t": stamps(raw["t"].tolist(), spine_zone)}
    )
    result = retrieve([version_of(view)], spine)
    expected = oracle(source, "customer_id", spine, ttl)
    np.testing.assert_array_equal(result["v__value"].to_numpy(dtype="float64"), expected)
    pd.testing.assert_frame_equal(result[["customer_id", "t"]], spine)


@SETTINGS
@given(data=st.data(), ttl_a=st.sampled_from([None, 3]), ttl_b=st.sampled_from([None, 7]))
def test_several_views_with_different_entities(data, ttl_a, ttl_b) -> None:
    rows_a = data.draw(feature_rows("customer_id", True))
    rows_b = data.draw(feature_rows("store_id", False))
    raw = data.draw(spines(["customer_id", "store_id"]))
    view_a, source_a = make_view("a", "customer_id", rows_a, "UTC", ttl_a)
    view_b, source_b = make_view("b", "store_id", rows_b, "Asia/Kolkata", ttl_b)
    spine = raw.assign(t=stamps(raw["t"].tolist(), "America/New_York"))
    result = retrieve([version_of(view_a), version_of(view_b)], spine)
    np.testing.assert_array_equal(
        result["a__value"].to_numpy(float), oracle(source_a, "customer_id", spine, ttl_a)
    )
    np.testing.assert_array_equal(
        result["b__value"].to_numpy(float), oracle(source_b, "store_id", spine, ttl_b)
    )


def brute_force_known(
    source: pd.DataFrame, spine: pd.DataFrame, known: np.ndarray, ttl_min: int | None
) -> list[float]:
    events, created = utc_ns(source["t"]), utc_ns(source["created"])
    times = utc_ns(spine["t"])
    out = []
    for key, t, k in zip(spine["customer_id"], times, known, strict=True):
        best = None
        for i in range(len(source)):
            if source["customer_id"].iat[i] != key or events[i] > t or created[i] > k:
                continue
            if ttl_min is not None and t - events[i] > ttl_min * MINUTE:
                continue
            if best is None or (events[i], created[i]) > (events[best], created[best]):
                best = i
        out.append(math.nan if best is None else float(source["value"].iat[best]))
    return out


@SETTINGS
@given(data=st.data(), ttl=st.sampled_from([None, 6]), per_row=st.booleans())
def test_known_time_never_uses_later_writes(data, ttl, per_row) -> None:
    rows = data.draw(feature_rows("customer_id", True))
    raw = data.draw(spines(["customer_id"]))
    view, source = make_view("v", "customer_id", rows, "UTC", ttl)
    spine = pd.DataFrame(
        {"customer_id": raw["customer_id"], "t": stamps(raw["t"].tolist(), "Europe/Berlin")}
    )
    if per_row:
        lags = data.draw(st.lists(st.integers(0, 30), min_size=len(spine), max_size=len(spine)))
        spine["known"] = spine["t"] + pd.to_timedelta(lags, unit="min")
        known_at: object = "known"
        known = utc_ns(spine["known"])
    else:
        cutoff = BASE + pd.Timedelta(minutes=data.draw(st.integers(0, 70)))
        known_at = cutoff.tz_localize("UTC")
        known = np.full(len(spine), int(known_at.value))
    result = retrieve([version_of(view)], spine, known_at)
    expected = brute_force_known(source, spine, known, ttl)
    np.testing.assert_array_equal(
        result["v__value"].to_numpy(float), np.array(expected, dtype=float)
    )


def test_nanosecond_times_never_leak_a_value_from_the_future(tmp_path: Path) -> None:
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    source = pd.DataFrame({"k": [1, 1], "t": [t0, t0 + pd.Timedelta(9, "ns")], "value": [1.0, 2.0]})
    path = tmp_path / "ns.parquet"
    source.to_parquet(path)
    view = FeatureView("v", "k", str(path), "t", ["value"])
    spine = pd.DataFrame({"k": [1, 1, 1], "t": [t0 + pd.Timedelta(n, "ns") for n in (5, 8, 9)]})
    result = retrieve([version_of(view)], spine)
    assert result["v__value"].tolist() == [1.0, 1.0, 2.0]


def test_sql_is_one_statement_of_asof_joins() -> None:
    join = offline.ViewJoin("src", ("k",), ("t", "TIMESTAMPTZ"), None, 5, (("f", None),))
    sql = offline.build_pit_sql([join, join])
    assert sql.count("ASOF LEFT JOIN") == 2
    assert "CASE WHEN v0.__lm_t >= s.__lm_ts - 5" in sql
    with pytest.raises(ValueError, match="created timestamp"):
        offline.build_pit_sql([join], "cutoff", 0)


def test_mixing_naive_and_aware_times_is_an_error() -> None:
    rows = pd.DataFrame({"customer_id": [1], "e": [0], "value": [1.0]})
    naive_view, _ = make_view("v", "customer_id", rows, None, None)
    spine = pd.DataFrame({"customer_id": [1], "t": stamps([1], "UTC")})
    with pytest.raises(
        SpineError, match=r"'t' holds aware timestamps but feature view 'v' has naive"
    ):
        retrieve([version_of(naive_view)], spine)
