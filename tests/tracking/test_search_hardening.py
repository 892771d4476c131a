"""Malformed filters, NUL bytes and artifact paths: one clear error on every backend."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from loopml.errors import InvalidFilter, InvalidInput
from loopml.store import Store
from loopml.tracking import Tracking, search as s, search_limits as limits

MALFORMED = [
    pytest.param("(" * 5_000 + "metrics.a > 1" + ")" * 5_000, "nest more than", id="deep-parens"),
    pytest.param("not " * 5_000 + "metrics.a > 1", "nest more than", id="deep-not"),
    pytest.param("params.model = 'gbm", "unterminated string", id="unterminated-single"),
    pytest.param('params.model = "gbm', "unterminated string", id="unterminated-double"),
    pytest.param("metrics.`val loss > 1", "unterminated name", id="unterminated-backquote"),
    pytest.param("params.model = 'g\x00bm'", "NUL character", id="nul-in-value"),
    pytest.param("params.mo\x00del = 'gbm'", "NUL character", id="nul-in-key"),
    pytest.param("params.model = '\ud800'", "lone surrogate", id="surrogate"),
    pytest.param(" or ".join(["metrics.a > 1"] * 600), "more than 100 predicates", id="wide-or"),
    pytest.param(
        "params.x in (" + ", ".join(["1"] * 6_000) + ")", "more than 5000 values", id="huge-in"
    ),
    pytest.param("start_time > 99999999999999999999999", "64 bits", id="huge-int-time"),
    pytest.param("seed = 1e400", "64 bits", id="infinite-seed"),
    pytest.param("experiment_id = -99999999999999999999", "64 bits", id="huge-negative-id"),
    pytest.param("metrics.acc = 'high'", "compare it with a number", id="metric-vs-text"),
    pytest.param("metrics.acc > true", "compare it with a number", id="metric-vs-bool"),
    pytest.param("metrics.acc like '9%'", "LIKE works on", id="metric-like"),
    pytest.param("start_time > 'yesterday'", "ISO date", id="bad-date"),
    pytest.param("seed like '1%'", "not text", id="seed-like"),
    pytest.param("git_dirty > true", "git_dirty is true or false", id="git-dirty-order"),
    pytest.param("git_dirty = 'yes'", "git_dirty is true or false", id="git-dirty-text"),
    pytest.param("metrics.acc >", "number or a quoted string", id="missing-value"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_malformed_filters_raise_the_search_error_with_a_position(text: str, message: str) -> None:
    with pytest.raises(InvalidFilter, match=message) as caught:
        s.parse_filter(text)
    assert 0 <= caught.value.position <= len(text)
    assert len(str(caught.value)) < 2_000  # the pointer shows a window, not 10,000 characters


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_every_backend_answers_malformed_filters_the_same_way(
    tracking: Tracking, text: str, message: str
) -> None:
    with tracking.start_run("hardening", capture=False) as run:
        run.log_metric("a", 2.0)
    with pytest.raises(InvalidFilter, match=message):
        tracking.search_runs("hardening", text, output="list")


def test_filters_of_the_wrong_type_are_refused(tracking: Tracking) -> None:
    with pytest.raises(InvalidFilter, match="must be a string"):
        tracking.search_runs(filter=42, output="list")  # type: ignore[arg-type]
    with pytest.raises(InvalidFilter, match="order_by"):
        tracking.search_runs(order_by=42, output="list")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="limit"):
        tracking.search_runs(limit="10", output="list")  # type: ignore[arg-type]


def test_huge_numbers_compare_with_metrics_and_params(tracking: Tracking) -> None:
    with tracking.start_run("big", capture=False) as run:
        run.log_metric("loss", 1e300)
        run.log_param("size", "1e300")
    for text in (
        "metrics.loss < 99999999999999999999999999999999999999999999999999e300",
        "metrics.loss > -1e400",
        "params.size < 1e400",
        "metrics.loss > 123456789012345678901234567890",
    ):
        assert [r.id for r in tracking.search_runs("big", text, output="list")] == [run.id]


def test_nul_and_surrogates_are_refused_the_same_way_on_every_backend(
    tracking: Tracking,
) -> None:
    with tracking.start_run("nul", capture=False) as run:
        for call in (
            lambda: run.log_param("p", "a\x00b"),
            lambda: run.set_tag("t", "\x00"),
            lambda: run.log_param("p", "\udcff"),
            lambda: run.log_metric("m\x00", 1.0),
            lambda: run.log_param("p\x00", "x"),
        ):
            with pytest.raises(InvalidInput, match=r"NUL|surrogate|may only use"):
                call()
        run.log_param("p", "clean")  # nothing half-written before
    assert tracking.get_run(run.id).params == {"p": "clean"}
    for call in (
        lambda: tracking.start_run("exp\x00", capture=False),
        lambda: tracking.start_run("nul", name="run\x00", capture=False),
        lambda: tracking.get_run("ab\x00cd"),
        lambda: tracking.get_experiment("nul\x00"),
        lambda: tracking.list_artifacts(run.id, "a\x00"),
    ):
        with pytest.raises(InvalidInput, match="NUL"):
            call()


@pytest.mark.parametrize(
    "name",
    [
        ".",
        "..",
        "../escape.txt",
        "a/../../b.txt",
        "/etc/passwd",
        "//host/share/x",
        "C:/windows/x",
        "..\\escape.txt",
        "a//b.txt",
        "a/./b.txt",
        "plots/",
        "",
        "a\x00b",
        "line\nbreak",
        "x" * 1025,
    ],
)
def test_unsafe_artifact_names_are_refused_when_logged(
    tracking: Tracking, tmp_path: Path, name: str
) -> None:
    source = tmp_path / "file.txt"
    source.write_text("content")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "inner.txt").write_text("inner")
    with tracking.start_run("paths", capture=False) as run:
        with pytest.raises(InvalidInput, match="artifact name"):
            run.log_text("hello", name)
        if name:
            with pytest.raises(InvalidInput, match="artifact name"):
                run.log_artifact(source, name)
        if name and not name.endswith("/"):  # "plots/" is a fine folder prefix
            with pytest.raises(InvalidInput, match="artifact name"):
                run.log_artifacts(folder, name)
        run.log_text("hello", "ok/inner/file.txt")
    assert [a.path for a in tracking.list_artifacts(run.id)] == ["ok/inner/file.txt"]


# ------------------------------------------------------------------ fuzzing
TOKENS = [
    "metrics.acc", "params.model", "tags.t", "status", "start_time", "seed", "git_dirty",
    "=", "!=", "<", ">=", "and", "or", "not", "in", "like", "is", "null", "(", ")", ",",
    "'gbm'", '"x"', "'", '"', "`", "0.9", "-1", "1e400", "99999999999999999999", "true",
    "\x00", "\ud800", ".", "metrics.", "`a b`", "'2026-01-01'",
]  # fmt: skip
token_soup = st.lists(st.sampled_from(TOKENS), max_size=12).map(" ".join)
any_text = st.text(st.characters(blacklist_categories=()), max_size=60)


@given(st.one_of(any_text, token_soup))
def test_any_text_parses_or_raises_the_search_error(text: str) -> None:
    position = 0
    try:
        s.parse_filter(text)
    except InvalidFilter as err:
        position = err.position
    assert -1 <= position <= len(text)


_FUZZ_HOME = Path(tempfile.mkdtemp(prefix="loopml-fuzz-"))
_FUZZ: list[Tracking] = []


def _fuzz_tracking() -> Tracking:
    if not _FUZZ:
        tracking = Tracking(Store.open(f"sqlite:///{_FUZZ_HOME}/f.db", str(_FUZZ_HOME / "blobs")))
        with tracking.start_run("fuzz", capture=False) as run:
            run.log_params({"model": "gbm", "lr": "0.1"})
            run.log_metrics({"acc": 0.95})
            run.set_tag("t", "x")
        _FUZZ.append(tracking)
    return _FUZZ[0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token_soup, st.sampled_from([None, ["metrics.acc desc"], ["params.model"], ["seed"]]))
def test_any_parsed_filter_runs_on_sqlite(text: str, order: list[str] | None) -> None:
    with contextlib.suppress(InvalidFilter):
        _fuzz_tracking().search_runs("fuzz", text, order_by=order, output="list")


def test_limits_are_documented_constants() -> None:
    assert limits.MAX_DEPTH <= 100
    assert limits.MAX_PREDICATES <= 400  # below SQLite's 500 compound-select terms
