"""Materializers: every built-in type round-trips; unknown types fail clearly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import loopml as lm
from loopml.pipelines import materializers as m
from loopml.pipelines.errors import NoMaterializer


def roundtrip(value):
    materializer = m.for_value(value, "value")
    data = materializer.save(value)
    assert materializer.save(value) == data  # deterministic bytes, stable digests
    return materializer.name, m.by_name(materializer.name).load(data)


def test_builtin_types_round_trip():
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=[5, 6])
    name, back = roundtrip(frame)
    assert name == "parquet"
    pd.testing.assert_frame_equal(back, frame)
    name, series = roundtrip(pd.Series([1.0, 2.0], name="s"))
    assert name == "parquet"
    assert series.name == "s"
    assert series.tolist() == [1.0, 2.0]
    name, array = roundtrip(np.arange(6, dtype=np.int32).reshape(2, 3))
    assert name == "npy"
    assert array.dtype == np.int32
    assert array.shape == (2, 3)
    name, scalar = roundtrip(np.float32(1.5))
    assert name == "npy"
    assert scalar == np.float32(1.5)
    assert isinstance(scalar, np.float32)
    assert roundtrip({"b": [1, 2], "a": None}) == ("json", {"a": None, "b": [1, 2]})
    assert roundtrip((1, "x")) == ("json", (1, "x"))
    assert roundtrip(3.5) == ("json", 3.5)
    assert roundtrip(b"\x00raw") == ("bytes", b"\x00raw")


def test_unknown_types_and_registration():
    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

    with pytest.raises(NoMaterializer, match=r"test_materializers.*Point, which no materializer"):
        m.for_value(Point(1), "output 'p' of step 's'")
    with pytest.raises(NoMaterializer, match="is not a materializer"):
        lm.register_materializer(object())  # type: ignore[arg-type]
    point = lm.FunctionMaterializer(
        "point", (Point,), save_fn=lambda p: str(p.x).encode(), load_fn=lambda b: Point(int(b))
    )
    lm.register_materializer(point)
    try:
        name, back = roundtrip(Point(7))
        assert name == "point"
        assert back.x == 7
    finally:
        m.unregister_materializer("point")
    with pytest.raises(NoMaterializer, match="no materializer named 'point'"):
        m.by_name("point")
    with pytest.raises(NoMaterializer):
        m.for_value(np.array([object()]), "value")


def test_models_become_model_packages(store):
    model = LinearRegression().fit([[0.0], [1.0]], [0.0, 2.0])
    materializer = m.for_value(model, "value")
    assert isinstance(materializer, m.StoreMaterializer)
    assert materializer.name == "model"
    ref = materializer.save_to(store, model, None, "outputs/model")
    assert ref["uri"] == f"package:{ref['digest']}"
    assert ref["flavor"] == "sklearn"
    loaded = materializer.load_from(store, ref)
    assert loaded.predict([[2.0]])[0] == pytest.approx(4.0)
    assert not materializer.can_save(object())
