"""``Serving``: the serving API a :class:`loopml.Client` composes (``client.serving``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from loopml.serving import batch, server
from loopml.serving.registry import StoreModelSource
from loopml.serving.routing import parse_target

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from loopml.config import Settings
    from loopml.serving.batch import BatchResult
    from loopml.serving.server import Built
    from loopml.store import Store


class Serving:
    """Model servers, batch scoring and the prediction log over one store.

    Args:
        store: the store with the model registry and the artifact backend, or a function
            that opens it on first use (the client's: a server over the embedded SQLite
            default then starts without opening it, see :mod:`loopml.serving.registry`).
        settings: the settings the store was opened from (handed to worker processes).
        metrics_collectors: extra ``/metrics`` collectors of other components,
            ``name -> "module:factory"`` (the client hands over monitoring's gauges).
        swap_hooks: hot-swap event hooks, ``event -> "module:function"`` (the client
            hands over monitoring's alerts: a refused swap opens one); see
            :class:`~loopml.serving.server.ServeConfig`.
    """

    def __init__(
        self,
        store: Store | Callable[[], Store],
        settings: Settings,
        *,
        metrics_collectors: Mapping[str, str] | None = None,
        swap_hooks: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.metrics_collectors = dict(metrics_collectors or {})
        self.swap_hooks = dict(swap_hooks or {})
        self.source = StoreModelSource(settings, store)

    @property
    def store(self) -> Store:
        """The store (opened on first use when built with a function)."""
        return self.source.store

    def config(self, target: str, **options: Any) -> server.ServeConfig:
        """Return the :class:`~loopml.serving.server.ServeConfig` for ``target``."""
        options.setdefault(
            "settings",
            {
                "db_url": self.settings.db_url,
                "artifacts": self.settings.artifacts,
                "artifacts_options": dict(self.settings.artifacts_options),
                "home": str(self.settings.home),
            },
        )
        options.setdefault("collectors", self.metrics_collectors)
        options.setdefault("swap_hooks", self.swap_hooks)
        return server.ServeConfig(target, **options)

    def build(
        self,
        target: str,
        *,
        deployment: str | None = None,
        canary: str | None = None,
        canary_mode: Literal["hash", "random"] = "hash",
        shadow: str | None = None,
        host: str = "127.0.0.1",
        port: int = 8000,
        workers: int = 1,
        max_batch_size: int = 64,
        max_wait_ms: float = 0.0,
        log_predictions: bool = True,
        log_scores: bool = True,
        flush_interval: float = 1.0,
        poll_interval: float = 1.0,
        max_body_mb: float = 32.0,
        routing_header: str = "x-routing-key",
    ) -> Built:
        """Load the models and build the ASGI app without serving it (``.app``; embedding, tests).

        Args:
            target: the model, ``churn@champion`` (follows the alias), ``churn/3`` or ``churn``.
            deployment: name of the deployment (prediction-log stream); default the model name.
            canary: ``churn@challenger:10`` sends 10 % of requests to that target.
            canary_mode: ``hash`` (stable by routing key, random without one) or ``random``.
            shadow: a target that scores a copy of every request (logged, never returned).
            host: interface to bind (loopback by default).
            port: TCP port.
            workers: independent server processes.
            max_batch_size: most rows per model call (1 turns adaptive batching off).
            max_wait_ms: longest a partial batch waits for more rows (0: never).
            log_predictions: write every prediction to the prediction log.
            log_scores: add positive-class probabilities to the log (off the request path).
            flush_interval: seconds between prediction-log writes.
            poll_interval: seconds between alias checks for hot swap (0: never).
            max_body_mb: largest accepted request body.
            routing_header: request header holding the canary routing key.

        Returns:
            The built server: ``.app`` for any ASGI server, ``.close()`` when done.
        """
        config = self.config(
            target,
            deployment=deployment,
            canary=canary,
            canary_mode=canary_mode,
            shadow=shadow,
            host=host,
            port=port,
            workers=workers,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            log_predictions=log_predictions,
            log_scores=log_scores,
            flush_interval=flush_interval,
            poll_interval=poll_interval,
            max_body_mb=max_body_mb,
            routing_header=routing_header,
        )
        return server.build(config, self.source)

    def serve(
        self,
        target: str,
        *,
        deployment: str | None = None,
        canary: str | None = None,
        canary_mode: Literal["hash", "random"] = "hash",
        shadow: str | None = None,
        host: str = "127.0.0.1",
        port: int = 8000,
        workers: int = 1,
        max_batch_size: int = 64,
        max_wait_ms: float = 0.0,
        log_predictions: bool = True,
        log_scores: bool = True,
        flush_interval: float = 1.0,
        poll_interval: float = 1.0,
        max_body_mb: float = 32.0,
        routing_header: str = "x-routing-key",
        max_pending_rows: int = 100_000,
        on_ready: Callable[[server.Ready], None] | None = None,
    ) -> None:
        """Serve a model over HTTP until interrupted (``lm.serve("churn@champion", port=8000)``).

        Args:
            target: the model, ``churn@champion`` (follows the alias), ``churn/3`` or ``churn``.
            deployment: name of the deployment (prediction-log stream); default the model name.
            canary: ``churn@challenger:10`` sends 10 % of requests to that target.
            canary_mode: ``hash`` (stable by routing key, random without one) or ``random``.
            shadow: a target that scores a copy of every request (logged, never returned).
            host: interface to bind (loopback by default).
            port: TCP port.
            workers: independent server processes.
            max_batch_size: most rows per model call (1 turns adaptive batching off).
            max_wait_ms: longest a partial batch waits for more rows (0: never).
            log_predictions: write every prediction to the prediction log.
            log_scores: add positive-class probabilities to the log (off the request path).
            flush_interval: seconds between prediction-log writes.
            poll_interval: seconds between alias checks for hot swap (0: never).
            max_body_mb: largest accepted request body.
            routing_header: request header holding the canary routing key.
            max_pending_rows: most prediction-log rows held while the store is slow (more
                are dropped and counted, so requests never wait).
            on_ready: called once the server listens, with its URL, model, version and
                docs URL (``loopml serve`` prints them).
        """
        config = self.config(
            target,
            deployment=deployment,
            canary=canary,
            canary_mode=canary_mode,
            shadow=shadow,
            host=host,
            port=port,
            workers=workers,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            log_predictions=log_predictions,
            log_scores=log_scores,
            flush_interval=flush_interval,
            poll_interval=poll_interval,
            max_body_mb=max_body_mb,
            routing_header=routing_header,
            max_pending_rows=max_pending_rows,
        )
        server.run(config, self.source, on_ready=on_ready)

    def predict_batch(
        self,
        target: str,
        input: str | Path,
        output: str | Path,
        *,
        chunk_rows: int = 65_536,
        include_inputs: bool = False,
        keys: Sequence[str] | None = None,
        scores: bool = False,
        input_format: str | None = None,
        output_format: str | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> BatchResult:
        """Score a parquet or CSV file with a registered model, streaming in chunks.

        Args:
            target: the model, ``churn@champion``, ``churn/3`` or ``churn``.
            input: a parquet or CSV file, or a folder of parquet files.
            output: the file to write (``.parquet`` or ``.csv``).
            chunk_rows: rows per model call; memory use is a few chunks.
            include_inputs: copy every input column into the output.
            keys: columns to copy next to the predictions (default: the input columns the
                model does not read, such as ids; ``[]``: predictions only).
            scores: add a ``score`` column (positive-class probability of binary classifiers).
            input_format: ``parquet`` or ``csv`` when the suffix does not tell.
            output_format: likewise for the output.
            progress: called with ``(rows done, total rows or None)`` after each chunk.
        """
        parsed = parse_target(target)
        model = self.source.load(parsed, self.source.resolve(parsed))
        return batch.predict_batch(
            model,
            input,
            output,
            chunk_rows=chunk_rows,
            include_inputs=include_inputs,
            keys=keys,
            scores=scores,
            input_format=input_format,
            output_format=output_format,
            progress=progress,
        )

    def predictions(
        self,
        deployment: str,
        since: dt.datetime | dt.timedelta | str | None = None,
        until: dt.datetime | dt.timedelta | str | None = None,
        *,
        shadow: bool | None = None,
        with_feedback: bool = False,
        flatten_inputs: bool = True,
        limit: int | None = None,
    ) -> Any:
        """Return the prediction log of a deployment as a DataFrame, newest last.

        Args:
            deployment: the deployment name (by default the model name).
            since: earliest time (datetime, timedelta, ``"1h"`` or ISO text).
            until: latest time (exclusive).
            shadow: ``False`` for answered rows only, ``True`` for shadow rows only, ``None`` both.
            with_feedback: add ``label`` and ``label_time`` (the latest feedback per prediction).
            flatten_inputs: one column per input instead of the ``inputs`` struct.
            limit: return at most this many rows (the newest).
        """
        from loopml.store.events import EventLog
        from loopml.store.predlog.reading import read_predictions

        return read_predictions(
            EventLog.from_store(self.store),
            deployment,
            since,
            until,
            shadow=shadow,
            with_feedback=with_feedback,
            flatten_inputs=flatten_inputs,
            limit=limit,
        )
