"""``@lm.pipeline``: a function that calls steps; its data flow is the DAG.

Parameters of the pipeline function are the run's parameters (defaults from the
signature, overrides per run: ``training.run(lr=0.05)``). Calling a pipeline inside
another pipeline inlines its steps.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from loopml import _hooks
from loopml.pipelines import schedules, typecheck
from loopml.pipelines.errors import ParamTypeError, PipelineDefinitionError
from loopml.pipelines.graph import (
    Graph,
    GraphBuilder,
    current_builder,
    render_mermaid,
    render_text,
    trace,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.pipelines.entities import PipelineRunInfo
    from loopml.pipelines.results import PipelineRun

#: keyword arguments of ``Pipeline.run`` that therefore cannot be pipeline parameters
RESERVED = frozenset(
    {"executor", "cache", "client", "raise_on_error", "on_event", "trigger", "trigger_info"}
)


class Pipeline:
    """A pipeline definition. Create it with :func:`pipeline`."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        schedule: str | None = None,
        timezone: str = "UTC",
        executor: Any = None,
        cache: bool = True,
        experiment: str | None = None,
        description: str | None = None,
    ) -> None:
        if not callable(fn):
            raise PipelineDefinitionError(f"@lm.pipeline decorates a function, not {fn!r}")
        self.fn = fn
        self.name = name or fn.__name__
        self.signature = inspect.signature(fn)
        self.schedule = schedules.check(schedule, timezone) if schedule is not None else None
        self.timezone = timezone
        self.executor = executor
        self.cache = cache
        self.experiment = experiment or self.name
        self.description = description or inspect.getdoc(fn)
        functools.update_wrapper(self, fn)
        self._check_params()

    def __repr__(self) -> str:
        return f"<pipeline {self.name!r} ({self.target or 'not importable'})>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if current_builder() is not None:  # a sub-pipeline: inline its steps
            bound = self.signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return self.fn(*bound.args, **bound.kwargs)
        return self.run(*args, **kwargs)

    def _check_params(self) -> None:
        for param in self.signature.parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise PipelineDefinitionError(
                    f"pipeline {self.name!r}: *args and **kwargs are not supported; name each "
                    "parameter so runs can record and override it"
                )
            if param.name in RESERVED:
                raise PipelineDefinitionError(
                    f"pipeline {self.name!r}: parameter name {param.name!r} is reserved for "
                    f"run options ({sorted(RESERVED)}); rename it"
                )
        if self.schedule is not None and self.required_params():
            raise PipelineDefinitionError(
                f"scheduled pipeline {self.name!r} needs defaults for {self.required_params()} "
                "(a schedule runs it without arguments)"
            )

    def required_params(self) -> list[str]:
        """Parameters without a default."""
        return [
            p.name
            for p in self.signature.parameters.values()
            if p.default is inspect.Parameter.empty
        ]

    def defaults(self) -> dict[str, Any]:
        """Default parameter values."""
        return {
            p.name: p.default
            for p in self.signature.parameters.values()
            if p.default is not inspect.Parameter.empty
        }

    def resolve_params(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Bind run arguments to parameters, apply defaults and check their types.

        Raises:
            ParamTypeError: an unknown, missing or wrongly typed parameter.
        """
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as err:
            known = list(self.signature.parameters)
            raise ParamTypeError(
                f"pipeline {self.name!r}: {err}; its parameters are {known}"
            ) from err
        bound.apply_defaults()
        hints = typecheck.hints(self.fn)
        for name, value in bound.arguments.items():
            annotation = hints.get(name)
            if annotation is not None and not typecheck.matches(value, annotation):
                raise ParamTypeError(
                    f"pipeline {self.name!r} parameter {name!r} must be "
                    f"{typecheck.describe(annotation)}, got {type(value).__name__} {value!r}"
                )
        return dict(bound.arguments)

    def build(self, *args: Any, **kwargs: Any) -> Graph:
        """Trace the pipeline with these parameters and return its step graph."""
        params = self.resolve_params(args, kwargs)
        builder = GraphBuilder()
        outputs = trace(builder, self.fn, params)
        if not builder.nodes:
            raise PipelineDefinitionError(
                f"pipeline {self.name!r} calls no steps; decorate the functions it calls with "
                "@lm.step"
            )
        return builder.finish(outputs, params)

    @property
    def target(self) -> str | None:
        """Where to import this pipeline from (``module:name`` or ``/path/file.py:name``)."""
        module = sys.modules.get(self.fn.__module__)
        if module is None or getattr(module, self.fn.__name__, None) is not self:
            return None
        if self.fn.__module__ in {"__main__", "__mp_main__"} or getattr(
            module, "__loopml_from_file__", False
        ):
            path = getattr(module, "__file__", None)
            return f"{Path(path).resolve()}:{self.fn.__name__}" if path else None
        return f"{self.fn.__module__}:{self.fn.__name__}"

    def registration(self) -> dict[str, Any]:
        """The row that registers this pipeline in the store."""
        return {
            "name": self.name,
            "target": self.target,
            "description": self.description,
            "schedule": self.schedule,
            "timezone": self.timezone,
            "schedule_enabled": self.schedule is not None,
            "params": _json_defaults(self.defaults()),
        }

    def run(self, *args: Any, **options: Any) -> PipelineRun:
        """Run the pipeline now and wait for it.

        Args:
            *args: parameter values by position.
            **options: parameter values by name, plus run options: ``executor`` (``local``,
                ``threads``, ``process``, ``dask://host:port`` or a Dask client),
                ``cache`` (``False`` re-runs every step), ``client`` (default: ``lm``'s),
                ``raise_on_error`` (default ``True``), ``on_event`` (progress callback).

        Returns:
            The finished :class:`~loopml.pipelines.api.PipelineRun`.

        Raises:
            PipelineRunFailed: a step failed (with ``raise_on_error``); ``err.run`` has
                the record and ``loopml pipelines resume RUN`` continues it.
        """
        run_options = {k: options.pop(k) for k in list(options) if k in RESERVED}
        client = run_options.pop("client", None) or default_client()
        params = self.resolve_params(args, options)
        api: Any = client.pipelines
        return api.run(self, params, **run_options)  # type: ignore[no-any-return]

    def trigger(
        self,
        params: dict[str, Any] | None = None,
        *,
        wait: bool = False,
        reason: str | None = None,
        client: Any = None,
    ) -> PipelineRunInfo:
        """Start a run on behalf of another component (monitoring, the retraining loop).

        With ``wait=False`` the run is queued and the ``loopml scheduler`` executes it;
        with ``wait=True`` it runs here and now. See :func:`trigger_pipeline`.
        """
        api: Any = (client or default_client()).pipelines
        return api.trigger(self, params or {}, wait=wait, reason=reason)  # type: ignore[no-any-return]

    def graph(self, *args: Any, format: str = "text", **kwargs: Any) -> str:
        """Render the DAG for these parameters as ``text`` or ``mermaid``."""
        spec = self.build(*args, **kwargs).to_json()
        if format == "mermaid":
            return render_mermaid(spec)
        if format != "text":
            raise PipelineDefinitionError(f"format must be 'text' or 'mermaid', not {format!r}")
        return render_text(spec)


def default_client() -> Any:
    """Return ``lm``'s default client (handed down through :mod:`loopml._hooks`)."""
    return _hooks.default_client()


def _json_defaults(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, default=repr))  # type: ignore[no-any-return]


@overload
def pipeline(fn: Callable[..., Any], /) -> Pipeline: ...


@overload
def pipeline(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    schedule: str | None = None,
    timezone: str = "UTC",
    executor: Any = None,
    cache: bool = True,
    experiment: str | None = None,
    description: str | None = None,
) -> Callable[[Callable[..., Any]], Pipeline]: ...


def pipeline(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    schedule: str | None = None,
    timezone: str = "UTC",
    executor: Any = None,
    cache: bool = True,
    experiment: str | None = None,
    description: str | None = None,
) -> Any:
    """Make a function that calls steps a pipeline.

    Args:
        fn: the function (when used as ``@lm.pipeline`` without arguments).
        name: the pipeline name (default: the function's).
        schedule: a cron expression (``"0 3 * * *"``) run by ``loopml scheduler``.
        timezone: the time zone of the schedule.
        executor: default executor of its runs (``local``, ``process``, ``dask://...``).
        cache: default for its runs: reuse unchanged steps' results.
        experiment: experiment of the tracking runs (default: the pipeline name).
        description: what the pipeline does.

    Returns:
        A :class:`Pipeline`; ``.run(**params)`` runs it.

    Example:
        >>> import loopml as lm
        >>> @lm.step
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> @lm.pipeline
        ... def doubling(x: int = 2):
        ...     return double(double(x))
        >>> print(doubling.graph())
          1. double[0]
          2. double[1]  <- double[0]
    """
    options: dict[str, Any] = {
        "name": name,
        "schedule": schedule,
        "timezone": timezone,
        "executor": executor,
        "cache": cache,
        "experiment": experiment,
        "description": description,
    }
    if fn is not None:
        return Pipeline(fn, **options)

    def decorate(function: Callable[..., Any]) -> Pipeline:
        return Pipeline(function, **options)

    return decorate
