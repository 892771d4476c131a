"""What a running deployment holds: loaded versions, their routes, and how a request is scored.

A :class:`Route` (primary, canary or shadow) points at one :class:`Served` version at a
time; hot swap replaces that pointer in one assignment, so a request that already
picked a version finishes on it and the next one gets the new version.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from loopml.serving.batching import AdaptiveBatcher, Scores
from loopml.serving.errors import InputRejected, PredictionFailed, WarmUpFailed
from loopml.serving.routing import goes_to_canary
from loopml.serving.validation import Validator

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.serving.metrics import ServingMetrics
    from loopml.serving.protocols import ServableModel
    from loopml.serving.routing import CanaryMode, Target

logger = logging.getLogger(__name__)

Role = Literal["primary", "canary", "shadow"]
#: builds :class:`Scores` from a tuple without the generated ``__new__`` (once per call)
_scores = functools.partial(tuple.__new__, Scores)
#: the endpoints that answer with a model's predictions (metric labels)
ENDPOINTS = ("predict", "v2_infer")


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """Adaptive batching settings (``max_batch_size=1`` turns batching off)."""

    max_batch_size: int = 64
    max_wait_ms: float = 0.0

    @property
    def enabled(self) -> bool:
        """Whether requests are gathered at all."""
        return self.max_batch_size > 1


class Served:
    """One loaded model version, its compiled validator and its batcher."""

    def __init__(
        self,
        model: ServableModel,
        role: Role,
        *,
        batching: BatchOptions | None = None,
        metrics: ServingMetrics | None = None,
    ) -> None:
        self.model = model
        self.role = role
        self.name = model.name
        self.version = int(model.version)
        self.label = str(self.version)
        self.validator = Validator.from_signature(model.signature)
        self.columns = self.validator.columns or ()
        self.kinds = self.validator.kinds
        self.metrics = metrics
        #: the metric labels of this version's model calls: (model, version, route)
        self.scored_labels = (self.name, self.label, role)
        #: the latency labels of its answers, per endpoint (built once, not per request)
        self.answer_labels: dict[str, tuple[str, str, str]] = {
            endpoint: (endpoint, self.name, self.label) for endpoint in ENDPOINTS
        }
        #: scores validated rows: the model's checked ``predict_array`` until the warm-up
        #: has learnt whether it takes missing values, then its shortest predictor
        self._call: Callable[[np.ndarray], Any] = model.predict_array
        self.batcher: AdaptiveBatcher | None = None
        if batching is not None and batching.enabled:
            self.batcher = AdaptiveBatcher(
                self.predict,
                max_batch_size=batching.max_batch_size,
                max_wait_s=batching.max_wait_ms / 1000.0,
            )

    def __repr__(self) -> str:
        return f"Served({self.name}/{self.version}, role={self.role})"

    def predict(self, x: np.ndarray) -> Scores:
        """Score ``x`` in one model call (records the batch size)."""
        try:
            predictions = self._call(x)
            if type(predictions) is not np.ndarray:
                predictions = np.asarray(predictions)
        except (ValueError, TypeError) as err:
            raise self._rejected(err) from err
        except Exception as err:
            logger.exception("model %s/%s failed on %d rows", self.name, self.version, len(x))
            raise PredictionFailed(
                f"model {self.name} version {self.version} failed: {type(err).__name__}: {err}"
            ) from err
        if self.metrics is not None:
            self.metrics.scored(self.scored_labels, len(x))
        return _scores((predictions, None))

    def score_now(self, x: np.ndarray) -> Scores | None:
        """Score ``x`` at once unless batching wants to gather it (then ``None``: :meth:`score`)."""
        batcher = self.batcher
        if batcher is None or len(x) >= batcher.max_batch_size:
            return self.predict(x)
        return batcher.now(x)

    async def score(self, x: np.ndarray) -> Scores:
        """Score ``x``, batched with concurrent requests when batching is on."""
        batcher = self.batcher
        if batcher is None or len(x) >= batcher.max_batch_size:
            return self.predict(x)
        return await batcher.submit(x)

    def proba(self, x: np.ndarray) -> np.ndarray | None:
        """Return class probabilities (``None`` for models without them)."""
        try:
            result = self.model.predict_proba_array(x)
        except (ValueError, TypeError) as err:
            raise self._rejected(err) from err
        return None if result is None else np.asarray(result)

    def _rejected(self, err: Exception) -> InputRejected:
        # validated values the model still refuses (NaN, an unseen category): the caller's
        # input, so a 422 that says what the model said
        logger.info("model %s/%s refused its input: %s", self.name, self.version, err)
        return InputRejected(
            f"model {self.name} version {self.version} cannot score these values: "
            f"{type(err).__name__}: {str(err)[:300]}; fix the input (for example fill missing "
            "values) and retry"
        )

    def warm_up(self, example: list[dict[str, Any]] | None = None) -> None:
        """Predict on real rows before this version answers anyone.

        Uses the example rows logged with the model, or rows generated from the
        signature. Also learns whether the model takes missing floats: if it fails on
        the rows with every float set to NaN, nulls in float columns are refused with a
        422 naming the column instead of reaching the model.

        Raises:
            WarmUpFailed: the model failed on its example, or returned the wrong number of
                predictions.
        """
        rows = example or generated_rows(self.validator)
        if not rows:
            return  # no signature and no example: nothing honest to predict on
        try:
            x = self.validator.records(rows, "example")
            predictions = np.asarray(self.model.predict_array(x))
            if len(predictions) != len(x):
                raise ValueError(f"{len(predictions)} predictions for {len(x)} rows")
            self.model.predict_proba_array(x)
        except Exception as err:
            if example is None and not self.validator.numeric:
                # generated text values may be categories the model never saw: not a verdict
                logger.warning("warm-up of %s on generated rows failed: %s", self, err)
                return
            source = "its example rows" if example else "rows generated from its signature"
            raise WarmUpFailed(
                f"model {self.name} version {self.version} failed on {source}: "
                f"{type(err).__name__}: {str(err)[:300]}"
            ) from err
        self.validator.takes_missing = self._takes_missing(x)
        predictor = getattr(self.model, "array_predictor", None)
        if predictor is not None:
            # from now on the validator lets through only finite floats (NaN only where
            # the model takes it), so the model's own scan of every row can be skipped
            self._call = predictor(validated=True)

    def _takes_missing(self, x: np.ndarray) -> bool:
        floats = [j for j, kind in enumerate(self.kinds) if kind == "f"]
        if not floats:
            return True
        blank = x.copy()
        blank[:, floats] = np.nan
        try:
            self.model.predict_array(blank)
        except Exception:
            return False
        return True


def generated_rows(validator: Validator) -> list[dict[str, Any]]:
    """Two rows of plain values that fit the signature (none without a signature)."""
    if validator.columns is None:
        return []
    values = {"f": (0.0, 1.0), "i": (0, 1), "b": (False, True), "s": ("", "a")}
    return [
        {
            name: values[kind][i]
            for name, kind in zip(validator.columns, validator.kinds, strict=True)
        }
        for i in range(2)
    ]


class Route:
    """A role bound to a target; ``current`` is the version it serves now."""

    def __init__(self, role: Role, target: Target, percent: float = 100.0) -> None:
        self.role = role
        self.target = target
        self.percent = percent
        self.current: Served | None = None
        self.loaded_at = 0.0

    def __repr__(self) -> str:
        return f"Route({self.role}, {self.target}, {self.current!r})"

    def swap(self, served: Served) -> Served | None:
        """Serve ``served`` from now on (one assignment); return the previous version."""
        previous, self.current = self.current, served
        self.loaded_at = time.time()
        return previous

    @property
    def ready(self) -> bool:
        """Whether a version is loaded."""
        return self.current is not None


class Routes:
    """The routes of one deployment and the canary decision between them."""

    def __init__(
        self,
        primary: Route,
        canary: Route | None = None,
        shadow: Route | None = None,
        *,
        canary_mode: CanaryMode = "hash",
        salt: str = "",
        rng: random.Random | None = None,
    ) -> None:
        self.primary = primary
        self.canary = canary
        self.shadow = shadow
        self.canary_mode = canary_mode
        self.salt = salt
        self.rng = rng or random.Random()

    def all(self) -> list[Route]:
        """Every route, primary first."""
        return [r for r in (self.primary, self.canary, self.shadow) if r is not None]

    def pick(self, key: str | None) -> Served | None:
        """Choose the version that answers a request with routing key ``key``."""
        canary = self.canary
        if (
            canary is not None
            and canary.current is not None
            and goes_to_canary(
                canary.percent, key, mode=self.canary_mode, salt=self.salt, rng=self.rng
            )
        ):
            return canary.current
        return self.primary.current

    def by_version(self, name: str, version: int) -> Served | None:
        """Return the loaded answering version ``name/version`` (primary or canary)."""
        for route in (self.primary, self.canary):
            served = route.current if route is not None else None
            if served is not None and served.name == name and served.version == version:
                return served
        return None

    @property
    def ready(self) -> bool:
        """Whether every route has a version loaded."""
        return all(route.ready for route in self.all())
