"""Batch scoring: parquet and CSV in and out, chunked, with clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loopml.errors import InvalidInput
from loopml.serving import RequestInvalid, predict_batch

from .conftest import COLUMNS, make_model


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.normal(size=(1000, 4)), columns=list(COLUMNS))
    data["customer"] = [f"c{i}" for i in range(1000)]
    return data


@pytest.mark.parametrize(
    ("src", "dst"), [("parquet", "parquet"), ("csv", "csv"), ("csv", "parquet")]
)
def test_scores_every_row_in_chunks(tmp_path, frame, src, dst):
    model = make_model()
    source = tmp_path / f"in.{src}"
    if src == "parquet":
        frame.to_parquet(source)
    else:
        frame.to_csv(source, index=False)
    seen = []
    result = predict_batch(
        model,
        source,
        tmp_path / f"out.{dst}",
        chunk_rows=128,
        scores=True,
        progress=lambda done, total: seen.append((done, total)),
    )
    out = pd.read_parquet(result.output) if dst == "parquet" else pd.read_csv(result.output)
    expected = (frame[list(COLUMNS)].to_numpy().sum(axis=1) > 0).astype(int)
    assert result.rows == 1000
    assert list(out["prediction"]) == list(expected)
    assert list(out["customer"]) == list(frame["customer"])
    assert out["score"].between(0, 1).all()
    assert max(model.calls) <= 128
    assert sum(model.calls) == 1000
    assert seen[-1][0] == 1000
    assert seen[-1][1] == 1000 or src == "csv"
    assert result.rows_per_second > 0


def test_only_predictions_and_a_folder_input(tmp_path, frame):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.iloc[:500].to_parquet(folder / "a.parquet")
    frame.iloc[500:].to_parquet(folder / "b.parquet")
    result = predict_batch(make_model(), folder, tmp_path / "o.parquet", keys=[])
    assert list(pd.read_parquet(result.output).columns) == ["prediction"]
    assert result.rows == 1000


def test_errors(tmp_path, frame):
    frame.drop(columns=["f2"]).to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(RequestInvalid, match="no column 'f2'"):
        predict_batch(make_model(), tmp_path / "bad.parquet", tmp_path / "o.parquet")
    text = frame.assign(f1="x")
    text.to_parquet(tmp_path / "text.parquet")
    with pytest.raises(RequestInvalid, match=r"column 'f1' has type (large_)?string"):
        predict_batch(make_model(), tmp_path / "text.parquet", tmp_path / "o.parquet")
    with pytest.raises(InvalidInput, match="does not exist"):
        predict_batch(make_model(), tmp_path / "none.parquet", tmp_path / "o.parquet")
    frame.to_parquet(tmp_path / "in.parquet")
    with pytest.raises(InvalidInput, match="cannot tell the format"):
        predict_batch(make_model(), tmp_path / "in.parquet", tmp_path / "out.xyz")
