"""Model performance from ground truth (pure): classification and regression metrics.

Classification: accuracy, precision, recall, F1 (the positive class for binary problems,
macro averages otherwise), ROC AUC and log loss (binary, when scores are present).
Regression: MAE, RMSE, R2. Every figure comes with the number of labelled samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy.stats import rankdata

from loopml.errors import InvalidInput

if TYPE_CHECKING:
    from numpy.typing import NDArray

Task = Literal["classification", "regression"]
POSITIVE_LABELS = ("1", "true", "yes", "positive", "pos")
CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
REGRESSION = ("mae", "rmse", "r2")


@dataclass(frozen=True, slots=True)
class Performance:
    """Metrics of one group of labelled predictions (a model version, or all served rows)."""

    task: Task
    labelled: int
    metrics: dict[str, float] = field(default_factory=dict)
    model_version: int | None = None
    shadow: bool = False


def infer_task(labels: NDArray[Any], predictions: NDArray[Any]) -> Task:
    """Guess the task: text or small sets of whole numbers mean classification."""
    for values in (labels, predictions):
        if values.dtype == object or values.dtype.kind in "USb":
            return "classification"
    both = np.concatenate([labels.astype(np.float64), predictions.astype(np.float64)])
    both = both[~np.isnan(both)]
    whole = bool(np.all(np.mod(both, 1) == 0))
    return "classification" if whole and len(np.unique(both)) <= 20 else "regression"


def evaluate(
    labels: Any,
    predictions: Any,
    scores: Any = None,
    *,
    task: Task | None = None,
    positive_label: str | None = None,
) -> Performance:
    """Compute performance metrics of predictions against true labels.

    Args:
        labels: true outcomes.
        predictions: predicted outcomes (classes or values).
        scores: positive-class probabilities (binary classification), NaN where missing.
        task: ``classification`` or ``regression`` (default: inferred).
        positive_label: the positive class of a binary problem (default: 1/true/yes).

    Raises:
        InvalidInput: lengths differ, or regression values are not numbers.
    """
    y = np.asarray(labels)
    p = np.asarray(predictions)
    if len(y) != len(p):
        raise InvalidInput(
            f"{len(y)} labels but {len(p)} predictions; give one label per prediction"
        )
    task = task or infer_task(y, p)
    if len(y) == 0:
        return Performance(task, 0, {})
    if task == "regression":
        return Performance(task, len(y), regression_metrics(_floats(y), _floats(p)))
    s = None if scores is None else np.asarray(scores, dtype=np.float64)
    return Performance(task, len(y), classification_metrics(_text(y), _text(p), s, positive_label))


def _floats(values: NDArray[Any]) -> NDArray[np.float64]:
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"regression labels and predictions must be numbers: {err}") from err


def _text(values: NDArray[Any]) -> NDArray[Any]:
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values.tolist()):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out[i] = str(value)
    return out


def regression_metrics(y: NDArray[np.float64], p: NDArray[np.float64]) -> dict[str, float]:
    """MAE, RMSE and R2 (R2 is NaN when the labels do not vary)."""
    err = p - y
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((err**2).sum()) / ss_tot if ss_tot > 0 else float("nan")
    return {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err**2).mean())), "r2": r2}


def classification_metrics(
    y: NDArray[Any], p: NDArray[Any], scores: NDArray[np.float64] | None, positive: str | None
) -> dict[str, float]:
    """Accuracy, precision, recall, F1, and for binary problems ROC AUC and log loss."""
    classes = np.unique(np.concatenate([y, p]))
    out = {"accuracy": float((y == p).mean())}
    if len(classes) <= 2:
        pos = positive if positive is not None else _positive(classes)
        out.update(_binary(y == pos, p == pos))
        if scores is not None:
            out.update(_scored(y == pos, scores))
        return out
    per_class = [_binary(y == c, p == c) for c in classes]
    for key in ("precision", "recall", "f1"):
        out[key] = float(np.mean([m[key] for m in per_class]))
    return out


def _positive(classes: NDArray[Any]) -> str:
    for value in classes:
        if str(value).lower() in POSITIVE_LABELS:
            return str(value)
    return str(sorted(classes.tolist())[-1])


def _binary(actual: NDArray[np.bool_], predicted: NDArray[np.bool_]) -> dict[str, float]:
    tp = float((actual & predicted).sum())
    precision = tp / predicted.sum() if predicted.sum() else 0.0
    recall = tp / actual.sum() if actual.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}


def _scored(actual: NDArray[np.bool_], scores: NDArray[np.float64]) -> dict[str, float]:
    keep = ~np.isnan(scores)
    a, s = actual[keep], scores[keep]
    out: dict[str, float] = {}
    if len(s) == 0:
        return out
    clipped = np.clip(s, 1e-15, 1 - 1e-15)
    out["log_loss"] = float(-np.mean(np.where(a, np.log(clipped), np.log(1 - clipped))))
    n_pos, n_neg = int(a.sum()), int((~a).sum())
    if n_pos and n_neg:
        ranks = rankdata(s)
        out["roc_auc"] = float((ranks[a].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return out
