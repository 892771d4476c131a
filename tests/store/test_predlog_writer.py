"""The prediction-log writer's table: layouts, scores and rows of a mixed flush."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from loopml.store.predlog.writer import Entry, _layouts, entries_table

COLUMNS = ("a", "b")
KINDS = {COLUMNS: ("f", "f"), ("a",): ("f",)}  # one tuple per layout, as a served version has


def _scorer(weight: float):
    def proba(x: np.ndarray) -> np.ndarray:
        positive = 1.0 / (1.0 + np.exp(-weight * x[:, 0]))
        return np.column_stack([1.0 - positive, positive])

    return proba


SCORERS = {"none": None, "first": _scorer(1.0), "second": _scorer(-2.0)}


def _entry(start: int, rows: int, scorer: str, given_proba: bool, columns=COLUMNS) -> Entry:
    x = np.arange(start, start + rows * len(columns), dtype=np.float64).reshape(rows, -1) / 10
    proba = np.column_stack([np.full(rows, 0.25), np.full(rows, 0.75)]) if given_proba else None
    return Entry(
        [f"id-{start}-{i}" for i in range(rows)],
        1_700_000_000_000 + start,
        "m",
        1,
        0.5,
        x,
        np.zeros(rows, dtype=np.int64),
        proba,
        False,
        columns,
        KINDS[columns],
        SCORERS[scorer],
    )


def _expected_scores(entries: list[Entry]) -> list[float]:
    out: list[float] = []
    for entry in entries:
        if entry.proba is not None:
            out.extend(entry.proba[:, 1].tolist())
        elif entry.scorer is not None:
            out.extend(entry.scorer(entry.x)[:, 1].tolist())
        else:
            out.extend([float("nan")] * len(entry.ids))
    return out


def test_one_model_one_call_scores_every_row():
    calls: list[int] = []
    scorer = _scorer(1.0)

    def counting(x: np.ndarray) -> np.ndarray:
        calls.append(len(x))
        return scorer(x)

    entries = [_entry(i * 10, 1, "none", False)._replace(scorer=counting) for i in range(50)]
    table = entries_table(entries, "d")
    assert calls == [50]
    assert table.column("score").to_pylist() == pytest.approx([scorer(e.x)[0, 1] for e in entries])
    assert table.column("prediction_id").to_pylist() == [e.ids[0] for e in entries]


def test_a_flush_of_two_input_layouts_writes_two_tables():
    old = [_entry(i, 1, "first", False) for i in range(3)]
    new = [_entry(100 + i, 1, "first", False, columns=("a",)) for i in range(2)]
    groups = _layouts([old[0], new[0], old[1], new[1], old[2]])
    assert [len(g) for g in groups] == [3, 2]
    assert {g[0].columns for g in groups} == {COLUMNS, ("a",)}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.sampled_from(sorted(SCORERS)), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_scores_of_a_mixed_flush_match_row_by_row(specs):
    entries = [
        _entry(index * 10, rows, scorer, given) for index, (rows, scorer, given) in enumerate(specs)
    ]
    table = entries_table(entries, "d")
    got = table.column("score").to_pylist()
    expected = _expected_scores(entries)
    assert len(got) == len(expected) == sum(rows for rows, _, _ in specs)
    for value, want in zip(got, expected, strict=True):
        if np.isnan(want):
            assert value is None or np.isnan(value)
        else:
            assert value == pytest.approx(want)
    ids = [i for e in entries for i in e.ids]
    assert table.column("prediction_id").to_pylist() == ids
