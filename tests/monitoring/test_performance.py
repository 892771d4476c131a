from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from loopml.errors import InvalidInput
from loopml.monitoring.performance import evaluate, infer_task


def test_binary_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500).astype(float)
    scores = np.clip(y * 0.3 + rng.random(500) * 0.7, 0, 1)
    pred = (scores > 0.5).astype(float)
    result = evaluate(y, pred, scores)
    assert result.task == "classification"
    assert result.labelled == 500
    m = result.metrics
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["precision"] == pytest.approx(skm.precision_score(y, pred))
    assert m["recall"] == pytest.approx(skm.recall_score(y, pred))
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, scores))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, scores))


def test_string_labels_and_multiclass_macro_averages() -> None:
    y = np.array(["cat", "dog", "bird", "dog", "cat", "bird"], dtype=object)
    p = np.array(["cat", "dog", "dog", "dog", "bird", "bird"], dtype=object)
    m = evaluate(y, p).metrics
    assert m["f1"] == pytest.approx(skm.f1_score(y, p, average="macro"))
    assert m["precision"] == pytest.approx(skm.precision_score(y, p, average="macro"))
    assert "roc_auc" not in m


def test_regression_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(2)
    y = rng.normal(10, 3, 300)
    p = y + rng.normal(0, 1, 300)
    result = evaluate(y, p)
    assert result.task == "regression"
    assert result.metrics["mae"] == pytest.approx(skm.mean_absolute_error(y, p))
    assert result.metrics["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)))
    assert result.metrics["r2"] == pytest.approx(skm.r2_score(y, p))


def test_task_inference_and_bad_input() -> None:
    assert infer_task(np.array([0.0, 1.0]), np.array([1.0, 1.0])) == "classification"
    assert infer_task(np.array([0.5, 1.7]), np.array([0.4, 2.0])) == "regression"
    with pytest.raises(InvalidInput, match="2 labels but 1 predictions"):
        evaluate([1, 0], [1])
    assert evaluate([], []).labelled == 0
