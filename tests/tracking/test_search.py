from __future__ import annotations

import re

import pytest
from hypothesis import given, strategies as st

from loopml.errors import InvalidFilter
from loopml.tracking import search as s, search_limits as limits


def test_parses_the_documented_example() -> None:
    node = s.parse_filter("metrics.acc > 0.9 and params.model = 'gbm'")
    assert node == s.And(
        (
            s.Compare(s.Field("metrics", "acc"), ">", 0.9),
            s.Compare(s.Field("params", "model"), "=", "gbm"),
        )
    )


def test_precedence_and_parentheses() -> None:
    node = s.parse_filter(
        "status = 'FINISHED' or metrics.a < 1 and (tags.t like 'x%' or not params.p in (1, 'b'))"
    )
    assert isinstance(node, s.Or)
    right = node.items[1]
    assert isinstance(right, s.And)
    assert isinstance(right.items[1], s.Or)
    assert right.items[1].items[1] == s.Not(s.InList(s.Field("params", "p"), (1, "b")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metric.acc >= 1e-3", s.Compare(s.Field("metrics", "acc"), ">=", 0.001)),
        ("param.lr == '0.1'", s.Compare(s.Field("params", "lr"), "=", "0.1")),
        ('tags.team <> "ml"', s.Compare(s.Field("tags", "team"), "!=", "ml")),
        ("attributes.status = 'FAILED'", s.Compare(s.Field("attributes", "status"), "=", "FAILED")),
        (
            "run_name ILIKE '%gbm%'",
            s.Like(s.Field("attributes", "name"), "%gbm%", case_insensitive=True),
        ),
        ("metrics.`val loss` < 2", s.Compare(s.Field("metrics", "val loss"), "<", 2)),
        ("metrics.val.loss < 2", s.Compare(s.Field("metrics", "val.loss"), "<", 2)),
        ("params.x NOT LIKE 'a_'", s.Like(s.Field("params", "x"), "a_", negated=True)),
        ("tags.t IS NOT NULL", s.IsNull(s.Field("tags", "t"), negated=True)),
        ("git_dirty = false", s.Compare(s.Field("attributes", "git_dirty"), "=", False)),
        ("params.name = 'it''s'", s.Compare(s.Field("params", "name"), "=", "it's")),
        ("metrics.delta > -0.5", s.Compare(s.Field("metrics", "delta"), ">", -0.5)),
    ],
)
def test_parses_each_form(text: str, expected: s.Node) -> None:
    assert s.parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("metrics.acc > ", 14, "number or a quoted string"),
        ("metrics.acc >> 1", 13, "number or a quoted string"),
        ("metrics.acc > 1 and", 19, "expected a field"),
        ("colour = 'red'", 0, "unknown field 'colour'"),
        ("metrics.acc > 1 param.x = 2", 16, "expected 'and', 'or'"),
        ("(metrics.acc > 1", 16, "close the parenthesis"),
        ("params.x in 1", 12, "expected '('"),
        ("metrics.a ! 1", 10, "unexpected character"),
        ("metrics. = 1", 9, "key after the '.'"),
        ("params.x is 1", 12, "expected 'null'"),
    ],
)
def test_malformed_filters_point_at_the_offending_token(
    text: str, position: int, message: str
) -> None:
    with pytest.raises(InvalidFilter, match=re.escape(message)) as caught:
        s.parse_filter(text)
    assert caught.value.position == position
    assert caught.value.message.splitlines()[-1] == "  " + " " * position + "^"


def test_empty_filter_is_none() -> None:
    assert s.parse_filter(None) is None
    assert s.parse_filter("   ") is None


def test_order_by_parsing() -> None:
    assert s.parse_order_by(["metrics.acc desc", "start_time", "params.lr ASC"]) == [
        s.OrderBy(s.Field("metrics", "acc"), True),
        s.OrderBy(s.Field("attributes", "start_time"), False),
        s.OrderBy(s.Field("params", "lr"), False),
    ]
    with pytest.raises(InvalidFilter):
        s.parse_order_by(["metrics.acc sideways"])


# ------------------------------------------------------------------ property: round trip
keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}(\.[a-z]{1,3})?( [a-z]{1,3})?", fullmatch=True)
fields = st.one_of(
    st.builds(s.Field, st.sampled_from(["metrics", "params", "tags"]), keys),
    st.builds(s.Field, st.just("attributes"), st.sampled_from(sorted(set(s.ATTRIBUTES.values())))),
)
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
numbers = st.one_of(
    st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False, width=64)
)
values = st.one_of(numbers, texts, st.booleans())
leaves = st.one_of(
    st.builds(s.Compare, fields, st.sampled_from(s.COMPARISONS), values),
    st.builds(s.InList, fields, st.lists(values, min_size=1, max_size=3).map(tuple), st.booleans()),
    st.builds(s.Like, fields, texts, st.booleans(), st.booleans()),
    st.builds(s.IsNull, fields, st.booleans()),
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(s.And, st.lists(children, min_size=2, max_size=3).map(tuple)),
        st.builds(s.Or, st.lists(children, min_size=2, max_size=3).map(tuple)),
        st.builds(s.Not, children),
    ),
    max_leaves=6,
)


def _flatten(node: s.Node) -> s.Node:
    """Nested and/or of the same kind print identically, so compare them flattened."""
    if isinstance(node, s.And | s.Or):
        items: list[s.Node] = []
        for item in node.items:
            flat = _flatten(item)
            items.extend(flat.items if type(flat) is type(node) else [flat])  # type: ignore[union-attr]
        return type(node)(tuple(items))
    if isinstance(node, s.Not):
        return s.Not(_flatten(node.item))
    return node


def _well_typed(node: s.Node) -> bool:
    if isinstance(node, s.And | s.Or):
        return all(_well_typed(item) for item in node.items)
    if isinstance(node, s.Not):
        return _well_typed(node.item)
    if isinstance(node, s.IsNull):
        return True
    if isinstance(node, s.Like):
        values: tuple[s.Value, ...] = (node.pattern,)
    else:
        values = node.values if isinstance(node, s.InList) else (node.value,)
    try:
        limits.check_values(
            node.field.kind,
            node.field.key,
            values,
            is_like=isinstance(node, s.Like),
            op=node.op if isinstance(node, s.Compare) else "=",
        )
    except InvalidFilter:
        return False
    return True


@given(trees)
def test_printing_then_parsing_gives_back_the_tree(tree: s.Node) -> None:
    if not _well_typed(tree):  # e.g. a metric compared with text: refused with a position
        with pytest.raises(InvalidFilter):
            s.parse_filter(str(tree))
        return
    assert _flatten(s.parse_filter(str(tree))) == _flatten(tree)  # type: ignore[arg-type]


@given(st.text(max_size=40))
def test_any_text_either_parses_or_raises_invalid_filter(text: str) -> None:
    error = None
    try:
        s.parse_filter(text)
    except InvalidFilter as err:
        error = err
    if error is not None:
        assert 0 <= error.position <= len(text)
