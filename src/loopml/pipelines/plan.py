"""Per-run step state and the cache/resume decision for each step that becomes ready."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopml._utils.hashing import sha256_bytes
from loopml._utils.ids import new_id
from loopml.pipelines import cache_keys, materializers, records
from loopml.pipelines.errors import NoMaterializer
from loopml.pipelines.graph import OutputRef
from loopml.pipelines.worker import ArtifactIn

if TYPE_CHECKING:
    from loopml.pipelines.graph import Node
    from loopml.pipelines.runner import RunRequest
    from loopml.pipelines.worker import StepResult
    from loopml.store import Store

OK = frozenset({"SUCCEEDED", "CACHED"})
DONE = frozenset({"SUCCEEDED", "CACHED", "FAILED", "SKIPPED", "CANCELLED"})
_MAX_PARAM_TEXT = 500


@dataclass(slots=True)
class StepState:
    """Where one step of the run stands."""

    node: Node
    id: str = field(default_factory=new_id)
    status: str = "PENDING"
    outputs: list[dict[str, Any]] | None = None
    values: list[Any] | None = None
    error: str | None = None
    started_at: int | None = None
    loggable_params: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    consumers: int = 0

    @property
    def position(self) -> int:
        """Position of the step in call order."""
        return self.node.position

    @property
    def name(self) -> str:
        """The step's name in this run (``train`` or ``train[2]``)."""
        return self.node.name

    @property
    def is_done(self) -> bool:
        """Whether the step has reached a final status."""
        return self.status in DONE


@dataclass(slots=True)
class Decision:
    """What to do with a ready step: reuse a cached result, fail it, or run it."""

    args: dict[str, Any]
    inputs: dict[str, Any]
    parts: dict[str, Any] | None
    key: str | None
    note: str
    cached: dict[str, Any] | None = None
    error: str | None = None


class Planner:
    """Tracks step states and decides, for each ready step, whether it must run."""

    def __init__(self, store: Store, request: RunRequest, hasher: cache_keys.CodeHasher) -> None:
        self.store = store
        self.request = request
        self.hasher = hasher
        self.states = [StepState(node) for node in request.graph.nodes]
        self._codes: dict[int, cache_keys.CodeDigest] = {}
        self._downstream = request.graph.downstream()
        for node in request.graph.nodes:
            for up in node.upstream:
                self.states[up].consumers += 1
        self._pinned = {ref.node for ref in _refs(request.graph.outputs)}
        previous = request.resume_from
        self._resumable = {
            s.name: s for s in (previous.steps if previous else ()) if s.status in OK
        }

    def ready(self) -> list[StepState]:
        """Pending steps whose upstream steps all succeeded (or were cached)."""
        return [
            s
            for s in self.states
            if s.status == "PENDING" and all(self.states[u].status in OK for u in s.node.upstream)
        ]

    def unfinished(self) -> list[StepState]:
        """Steps that have not reached a final status."""
        return [s for s in self.states if not s.is_done]

    def decide(self, ready: list[StepState]) -> dict[int, Decision]:
        """Decide what to do with each ready step (one cache lookup for all of them)."""
        decisions = {s.position: self._prepare(s) for s in ready}
        lookup = [
            d.key
            for s, d in ((s, decisions[s.position]) for s in ready)
            if d.key is not None and d.cached is None and self._may_cache(s)
        ]
        if lookup:
            with self.store.db.read() as conn:
                found = records.find_cached(conn, lookup)
        else:
            found = {}
        for state in ready:
            decision = decisions[state.position]
            if decision.cached is None and decision.error is None:
                self._apply_cache(state, decision, found)
        return decisions

    def _may_cache(self, state: StepState) -> bool:
        return self.request.cache and state.node.step.options.cache

    def _prepare(self, state: StepState) -> Decision:
        node = state.node
        args: dict[str, Any] = {}
        inputs: dict[str, Any] = {}
        params: dict[str, Any] = {}
        for name, value in node.args.items():
            if _has_ref(value):
                args[name] = self._artifact_args(value)
            else:
                args[name] = value
                params[name] = value
        state.loggable_params = _loggable(params)
        try:
            for name, value in args.items():
                if name not in params:
                    inputs[name] = _digests(value)
            key_params = {name: _param_key(value) for name, value in params.items()}
        except NoMaterializer as err:
            return Decision(args, inputs, None, None, f"not cacheable: {err.message}")
        code = self._code(node)
        options: dict[str, Any] = {"outputs": list(node.step.output_names)}
        if node.step.options.cache_version is not None:
            options["cache_version"] = node.step.options.cache_version
        parts = cache_keys.key_parts(code, key_params, inputs, options)
        key = cache_keys.cache_key(parts)
        decision = Decision(args, inputs, parts, key, "")
        resumed = self._resumable.get(state.name)
        if (
            resumed is not None
            and resumed.cache_key == key
            and self._outputs_exist(resumed.outputs)
        ):
            decision.cached = {
                "id": resumed.cached_from or resumed.id,
                "outputs": resumed.outputs,
            }
            decision.note = f"reused from resumed pipeline run {resumed.pipeline_run_id[:12]}"
        elif resumed is not None:
            decision.note = "the step's code, params or inputs changed since the resumed run"
        return decision

    def _apply_cache(self, state: StepState, decision: Decision, found: dict[str, Any]) -> None:
        if not self.request.cache:
            decision.note = decision.note or "cache disabled for this run (--no-cache)"
            return
        if not state.node.step.options.cache:
            decision.note = decision.note or "cache=False on the step"
            return
        if decision.key is None:
            return
        row = found.get(decision.key)
        if row is None:
            decision.note = decision.note or "no earlier successful run with this cache key"
            return
        outputs = list(row.outputs or [])
        if not self._outputs_exist(outputs):
            decision.note = (
                f"the cached result of step run {row.id[:12]} is missing from the artifact "
                "store; ran again"
            )
            return
        decision.cached = {"id": row.id, "outputs": outputs}
        decision.note = (
            f"cached: same key as step {row.name!r} of pipeline run {row.pipeline_run_id[:12]}"
        )

    def _outputs_exist(self, outputs: list[dict[str, Any]]) -> bool:
        return all(self.store.blobs.exists(o["digest"]) for o in outputs)

    def _code(self, node: Node) -> cache_keys.CodeDigest:
        key = id(node.step)
        if key not in self._codes:
            self._codes[key] = self.hasher.digest(node.step.fn)
        return self._codes[key]

    def _artifact_args(self, value: Any) -> Any:
        if isinstance(value, OutputRef):
            source = self.states[value.node]
            index = value.index or 0
            assert source.outputs is not None  # upstream finished before this step is ready
            art = ArtifactIn(source.outputs[index], source.name)
            if source.values is not None:
                art.value = source.values[index]
            return art
        if isinstance(value, list | tuple):
            items = [self._artifact_args(v) for v in value]
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, dict):
            return {k: self._artifact_args(v) for k, v in value.items()}
        return value

    def completed(self, state: StepState, result: StepResult) -> None:
        """Record a finished step's outcome and free inputs nobody needs any more."""
        state.status = result.status
        state.outputs = result.outputs if result.status == "SUCCEEDED" else None
        state.values = result.values
        state.error = result.error
        self._release_inputs(state)

    def cached(self, state: StepState, outputs: list[dict[str, Any]]) -> None:
        """Mark a step as served from the cache."""
        state.status = "CACHED"
        state.outputs = outputs
        self._release_inputs(state)

    def skip_downstream(self, state: StepState) -> list[StepState]:
        """Mark every pending step that depends on ``state`` as SKIPPED; return them."""
        skipped = []
        stack = list(self._downstream[state.position])
        while stack:
            other = self.states[stack.pop()]
            if other.status == "PENDING":
                other.status = "SKIPPED"
                skipped.append(other)
                stack.extend(self._downstream[other.position])
        return skipped

    def _release_inputs(self, state: StepState) -> None:
        for up in state.node.upstream:
            source = self.states[up]
            source.consumers -= 1
            if source.consumers <= 0 and up not in self._pinned:
                source.values = None


def _has_ref(value: Any) -> bool:
    return next(iter(_refs(value)), None) is not None


def _refs(value: Any) -> list[OutputRef]:
    if isinstance(value, OutputRef):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return [r for v in value for r in _refs(v)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    return []


def _digests(value: Any) -> Any:
    if isinstance(value, ArtifactIn):
        return value.ref["digest"]
    if isinstance(value, list | tuple):
        return [_digests(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _digests(v) for k, v in value.items()}
    return {"value": _param_key(value)}


def _param_key(value: Any) -> Any:
    """A JSON value standing for ``value`` in cache keys: itself, or its content digest."""
    try:
        json.dumps(value, sort_keys=True, allow_nan=True)
        return value
    except (TypeError, ValueError):
        pass
    materializer = materializers.for_value(value, f"parameter value {type(value).__name__}")
    if not isinstance(materializer, materializers.Materializer):
        raise NoMaterializer(
            f"a {type(value).__name__} passed as a constant has no content digest; produce it "
            "in a step so its artifact digest keys the cache"
        )
    return {"$digest": sha256_bytes(materializer.save(value)), "type": type(value).__name__}


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in params.items():
        try:
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        except (TypeError, ValueError):
            continue
        if len(text) <= _MAX_PARAM_TEXT:
            out[name] = text
    return out
