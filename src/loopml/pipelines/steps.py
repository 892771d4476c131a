"""``@lm.step``: a typed function that pipelines run, cache, retry and record.

Called inside an ``@lm.pipeline`` function a step records a node of the graph and returns
placeholders for its outputs; called anywhere else it is the plain function.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import sys
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from loopml.pipelines import typecheck
from loopml.pipelines.errors import ParamTypeError, PipelineDefinitionError
from loopml.pipelines.graph import OutputRef, current_builder

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

MAX_RETRY_DELAY_S = 300.0


@dataclass(frozen=True, slots=True)
class StepOptions:
    """How a step runs: caching, retries, timeout, outputs."""

    name: str
    cache: bool = True
    retries: int = 0
    retry_delay: float = 1.0
    backoff: float = 2.0
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    timeout: float | None = None
    outputs: tuple[str, ...] | None = None
    cache_version: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (2, 3, ...): delay * backoff ** (attempt - 2)."""
        return min(self.retry_delay * self.backoff ** max(attempt - 2, 0), MAX_RETRY_DELAY_S)


class Step:
    """A function that pipelines run as a step. Create it with :func:`step`."""

    def __init__(self, fn: Callable[..., Any], options: StepOptions) -> None:
        if not callable(fn) or inspect.isclass(fn):
            raise PipelineDefinitionError(f"@lm.step decorates a function, not {fn!r}")
        self.fn = fn
        self.options = options
        self.signature = inspect.signature(fn)
        functools.update_wrapper(self, fn)
        self.__loopml_step_fn__ = fn
        self._hints: dict[str, Any] | None = None
        self.output_names = self._output_names()

    def __repr__(self) -> str:
        return f"<step {self.name!r} ({self.function})>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = current_builder()
        if builder is None:
            return self.fn(*args, **kwargs)
        bound = self.bind(args, kwargs)
        return builder.add(self, bound)

    def __reduce__(self) -> tuple[Any, ...]:
        module = sys.modules.get(self.fn.__module__)
        found: Any = module
        for part in self.fn.__qualname__.split("."):
            found = getattr(found, part, None)
        if found is self:
            return (load_step, (self.fn.__module__, self.fn.__qualname__))
        return (Step, (self.fn, self.options))

    @property
    def name(self) -> str:
        """The step's name (default: the function's name)."""
        return self.options.name

    @property
    def function(self) -> str:
        """``module:qualname`` of the function."""
        return f"{self.fn.__module__}:{self.fn.__qualname__}"

    @property
    def n_outputs(self) -> int:
        """How many outputs the step returns."""
        return len(self.output_names)

    @property
    def hints(self) -> dict[str, Any]:
        """Resolved annotations of the function."""
        if self._hints is None:
            self._hints = typecheck.hints(self.fn)
        return self._hints

    def with_options(self, **changes: Any) -> Step:
        """Return a copy of this step with some options changed (``retries=3``...)."""
        return Step(self.fn, _options(self.fn, {**_as_dict(self.options), **changes}))

    def bind(self, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Bind call arguments to parameter names, apply defaults and check constant types.

        Raises:
            ParamTypeError: an argument is missing, unexpected or of the wrong type.
        """
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as err:
            raise ParamTypeError(
                f"step {self.name!r}: {err}; signature is {self.signature}"
            ) from err
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        for name, value in arguments.items():
            if not _has_ref(value):
                self.check_arg(name, value)
        return arguments

    def check_arg(self, name: str, value: Any) -> None:
        """Raise :class:`ParamTypeError` when ``value`` does not match ``name``'s annotation."""
        annotation = self.hints.get(name)
        if annotation is None or typecheck.matches(value, annotation):
            return
        raise ParamTypeError(
            f"step {self.name!r} argument {name!r} must be {typecheck.describe(annotation)}, "
            f"got {type(value).__name__} {_preview(value)}; pass a value of that type or "
            "change the annotation"
        )

    def check_output(self, value: Any) -> None:
        """Raise :class:`ParamTypeError` when the return value breaks the return annotation."""
        annotation = self.hints.get("return")
        if annotation is None or typecheck.matches(value, annotation):
            return
        raise ParamTypeError(
            f"step {self.name!r} returned {type(value).__name__} {_preview(value)}, but it is "
            f"annotated to return {typecheck.describe(annotation)}"
        )

    def _output_names(self) -> tuple[str, ...]:
        if self.options.outputs is not None:
            return self.options.outputs
        annotation = self.hints.get("return")
        if typing.get_origin(annotation) is tuple:
            args = typing.get_args(annotation)
            if args and Ellipsis not in args and len(args) > 1:
                return tuple(f"output_{i}" for i in range(len(args)))
        return ("output",)


def load_step(module: str, qualname: str) -> Step:
    """Import a step by module and qualified name (how steps travel to worker processes)."""
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not isinstance(found, Step):
        raise PipelineDefinitionError(f"{module}:{qualname} is not a step")
    return found


@overload
def step(fn: Callable[..., Any], /) -> Step: ...


@overload
def step(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    cache: bool = True,
    retries: int = 0,
    retry_delay: float = 1.0,
    backoff: float = 2.0,
    retry_on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    timeout: float | None = None,
    outputs: int | Sequence[str] | None = None,
    cache_version: str | None = None,
    tags: dict[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Step]: ...


def step(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    cache: bool = True,
    retries: int = 0,
    retry_delay: float = 1.0,
    backoff: float = 2.0,
    retry_on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    timeout: float | None = None,
    outputs: int | Sequence[str] | None = None,
    cache_version: str | None = None,
    tags: dict[str, str] | None = None,
) -> Any:
    """Make a function a pipeline step.

    Args:
        fn: the function (when used as ``@lm.step`` without arguments).
        name: the step name (default: the function's).
        cache: skip the step when its code, the project helpers it calls, its parameters
            and its input contents are unchanged.
        retries: extra attempts after a failure.
        retry_delay: seconds before the first retry.
        backoff: delay multiplier per retry.
        retry_on: exception types worth retrying.
        timeout: seconds per attempt.
        outputs: a count or names, for steps that return a tuple.
        cache_version: change it to invalidate cached results by hand.
        tags: set on the step's tracking run.

    Returns:
        A :class:`Step`; called outside a pipeline it is the plain function.

    Example:
        >>> import loopml as lm
        >>> @lm.step(retries=2, timeout=60)
        ... def add(a: int, b: int) -> int:
        ...     return a + b
        >>> add(1, 2)
        3
    """
    options: dict[str, Any] = {
        "name": name,
        "cache": cache,
        "retries": retries,
        "retry_delay": retry_delay,
        "backoff": backoff,
        "retry_on": retry_on,
        "timeout": timeout,
        "outputs": outputs,
        "cache_version": cache_version,
        "tags": tags,
    }
    if fn is not None:
        return Step(fn, _options(fn, options))

    def decorate(function: Callable[..., Any]) -> Step:
        return Step(function, _options(function, options))

    return decorate


def _options(fn: Any, raw: dict[str, Any]) -> StepOptions:
    known = {f for f in StepOptions.__dataclass_fields__}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise PipelineDefinitionError(
            f"unknown step option(s) {unknown}; known options: {sorted(known)}"
        )
    values = dict(raw)
    values["name"] = values.get("name") or getattr(fn, "__name__", "step")
    values["outputs"] = _outputs(values.get("outputs"))
    retry_on = values.get("retry_on", Exception)
    values["retry_on"] = retry_on if isinstance(retry_on, tuple) else (retry_on,)
    values["tags"] = {str(k): str(v) for k, v in (values.get("tags") or {}).items()}
    options = StepOptions(**values)
    _check_options(options)
    return options


def _check_options(options: StepOptions) -> None:
    if (
        not isinstance(options.retries, int)
        or isinstance(options.retries, bool)
        or options.retries < 0
    ):
        raise PipelineDefinitionError(f"retries must be an integer >= 0, got {options.retries!r}")
    for label, value, low in (
        ("retry_delay", options.retry_delay, 0.0),
        ("backoff", options.backoff, 1.0),
    ):
        if not isinstance(value, int | float) or not math.isfinite(value) or value < low:
            raise PipelineDefinitionError(f"{label} must be a number >= {low}, got {value!r}")
    timeout = options.timeout
    if timeout is not None and (not isinstance(timeout, int | float) or not timeout > 0):
        raise PipelineDefinitionError(
            f"timeout must be a positive number of seconds, got {timeout!r}"
        )
    if not all(isinstance(t, type) and issubclass(t, BaseException) for t in options.retry_on):
        raise PipelineDefinitionError(f"retry_on must be exception types, got {options.retry_on!r}")
    if not isinstance(options.cache, bool):
        raise PipelineDefinitionError(f"cache must be True or False, got {options.cache!r}")


def _outputs(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise PipelineDefinitionError(f"outputs must be at least 1, got {value}")
        return ("output",) if value == 1 else tuple(f"output_{i}" for i in range(value))
    if isinstance(value, str):
        return (value,)
    names = tuple(str(v) for v in value)
    if not names or len(set(names)) != len(names) or not all(n.isidentifier() for n in names):
        raise PipelineDefinitionError(
            f"outputs must be distinct identifiers such as ('train', 'test'), got {value!r}"
        )
    return names


def _as_dict(options: StepOptions) -> dict[str, Any]:
    return {f: getattr(options, f) for f in StepOptions.__dataclass_fields__}


def _has_ref(value: Any) -> bool:
    if isinstance(value, OutputRef):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_ref(v) for v in value)
    if isinstance(value, dict):
        return any(_has_ref(v) for v in value.values())
    return False


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
