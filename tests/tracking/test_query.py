from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from loopml.errors import InvalidFilter, InvalidInput

if TYPE_CHECKING:
    from loopml.tracking import Tracking

MODELS = ["gbm", "rf", "logreg"]


@pytest.fixture
def populated(tracking: Tracking) -> dict[str, str]:
    """12 runs over two experiments; returns run name -> id."""
    ids = {}
    for index in range(12):
        experiment = "search" if index < 9 else "other"
        with tracking.start_run(experiment, name=f"r{index:02d}", capture=False) as run:
            run.log_params(
                {"model": MODELS[index % 3], "lr": [0.1, 0.01, 1e-3][index % 3], "depth": index}
            )
            run.log_metrics({"acc": 0.5 + index / 30, "loss": 1 - index / 20})
            run.set_tag("team", "ml" if index % 2 else "data")
            if index == 4:
                run.log_metric("only_four", 1.0)
        ids[run.name] = run.id
    with tracking.start_run("search", name="failed", capture=False) as failing:
        failing.end("FAILED", error="boom")
    ids["failed"] = failing.id
    return ids


def names(tracking: Tracking, filter_: str | None, **kwargs: object) -> list[str]:
    return [r.name for r in tracking.search_runs(filter=filter_, output="list", **kwargs)]


def test_the_documented_query(tracking: Tracking, populated: dict[str, str]) -> None:
    found = names(
        tracking,
        "metrics.acc > 0.55 and params.model = 'gbm'",
        experiment="search",
        order_by=["metrics.acc desc"],
    )
    assert found == ["r06", "r03"]


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("params.depth >= 10", {"r10", "r11"}),
        ("params.lr < 0.01", {"r02", "r05", "r08", "r11"}),
        ("params.depth = 3", {"r03"}),
        ("params.model in ('rf', 'logreg') and tags.team = 'data'", {"r02", "r04", "r08", "r10"}),
        ("params.model not in ('gbm') and metrics.loss < 0.6", {"r10", "r11"}),
        ("tags.team like 'm%' and metrics.acc <= 0.6", {"r01", "r03"}),
        ("params.model ilike 'GB%' and not metrics.acc > 0.6", {"r00", "r03"}),
        ("metrics.only_four is not null", {"r04"}),
        ("status = 'failed'", {"failed"}),
        ("run_name like 'r1%'", {"r10", "r11"}),
        ("experiment = 'other'", {"r09", "r10", "r11"}),
        ("(params.depth = 1 or params.depth = 2) and tags.team != 'ml'", {"r02"}),
        ("metrics.acc in (0.5, 0.6)", {"r00", "r03"}),
    ],
)
def test_filters(
    tracking: Tracking, populated: dict[str, str], filter_: str, expected: set[str]
) -> None:
    assert set(names(tracking, filter_)) == expected


def test_attribute_time_and_id_filters(tracking: Tracking, populated: dict[str, str]) -> None:
    run = tracking.get_run(populated["r05"])
    assert names(tracking, f"id = '{run.id}'") == ["r05"]
    assert "r05" in names(tracking, f"start_time >= {run.start_time}")
    assert names(tracking, "start_time < '2000-01-01'") == []


def test_runs_without_the_order_metric_sort_last(
    tracking: Tracking, populated: dict[str, str]
) -> None:
    ordered = names(tracking, None, experiment="search", order_by=["metrics.acc desc"])
    assert ordered[:3] == ["r08", "r07", "r06"]
    assert ordered[-1] == "failed"
    ascending = names(tracking, None, experiment="search", order_by=["metrics.acc"])
    assert ascending[0] == "r00"
    assert ascending[-1] == "failed"


def test_order_by_numeric_param(tracking: Tracking, populated: dict[str, str]) -> None:
    ordered = names(tracking, "params.depth >= 0", order_by=["params.depth desc"])
    assert ordered[:3] == ["r11", "r10", "r09"]


def test_paging_returns_every_run_once(tracking: Tracking, populated: dict[str, str]) -> None:
    seen: list[str] = []
    token = None
    while True:
        page = tracking.search_runs(
            order_by=["metrics.acc desc"], limit=5, page_token=token, output="list"
        )
        seen.extend(r.name for r in page)
        token = page.next_page_token
        if token is None:
            break
    assert len(seen) == 13
    assert len(set(seen)) == 13


def test_page_token_from_another_query_is_refused(
    tracking: Tracking, populated: dict[str, str]
) -> None:
    page = tracking.search_runs(limit=2, output="list")
    assert page.next_page_token
    with pytest.raises(InvalidInput, match="different search"):
        tracking.search_runs(filter="metrics.acc > 0", limit=2, page_token=page.next_page_token)
    with pytest.raises(InvalidInput, match="not a token"):
        tracking.search_runs(page_token="garbage!")


def test_frame_output_has_prefixed_columns(tracking: Tracking, populated: dict[str, str]) -> None:
    frame = tracking.search_runs("search", "params.model = 'rf'", order_by="metrics.acc desc")
    assert list(frame["name"]) == ["r07", "r04", "r01"]
    assert {"params.model", "metrics.acc", "tags.team", "run_id", "status"} <= set(frame.columns)
    assert frame["metrics.acc"].dtype == "float64"
    assert frame.attrs["next_page_token"] is None


@pytest.mark.parametrize(
    "filter_",
    [
        "metrics.acc = 'high'",
        "metrics.acc like '1%'",
        "start_time > 'yesterday'",
        "git_dirty > 1",
        "seed = 'x'",
    ],
)
def test_type_errors_in_filters(
    tracking: Tracking, populated: dict[str, str], filter_: str
) -> None:
    with pytest.raises(InvalidFilter):
        tracking.search_runs(filter=filter_)


def test_search_compiles_to_sql_without_python_filtering(
    tracking: Tracking, populated: dict[str, str]
) -> None:
    from sqlalchemy import select

    from loopml.store.tables import tracking as t
    from loopml.tracking.query import compile_filter
    from loopml.tracking.search import parse_filter

    condition = compile_filter(parse_filter("metrics.acc > 0.9 and params.model = 'gbm'"))
    sql = str(select(t.runs.c.id).where(condition).compile(tracking.store.db.engine))
    assert "latest_metrics" in sql
    assert "params" in sql
    assert sql.count("IN (SELECT") == 2  # both predicates are subqueries on indexed keys


def test_sqlite_details_match_the_sqlalchemy_query(
    tracking: Tracking, populated: dict[str, str]
) -> None:
    """The driver-level details read on SQLite returns what the portable query returns."""
    from loopml.tracking import reads

    with tracking.start_run("search", name="odd", capture=False) as run:
        run.log_params({"text": "naïve ☃ 'quoted'", "empty": ""})
        run.log_metrics({"nan": float("nan"), "inf": float("inf"), "tiny": 5e-324})
        run.set_tags({"note": "line\nbreak"})
    ids = [*populated.values(), run.id, "no-such-run"]
    db = tracking.store.db
    with db.read() as conn:
        fast = reads._details(conn, ids)
        portable = conn.execute(reads._DETAILS_OF, {"ids": ids}).all()

    def key(row: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(repr(value) for value in row)  # NaN compares equal through repr

    assert sorted(map(key, map(tuple, fast))) == sorted(map(key, map(tuple, portable)))
    assert len(fast) == 12 * 6 + 1 + 2 + 3 + 1  # params, metrics and tags of every run
    info = tracking.get_run(run.id)
    assert info.params == {"text": "naïve ☃ 'quoted'", "empty": ""}
    assert info.tags["note"] == "line\nbreak"
    assert math.isnan(info.metrics["nan"])
    assert info.metrics["inf"] == float("inf")
    assert info.metrics["tiny"] == 5e-324
