"""Run a gate list, store the verdict with the challenger's version, read verdicts back."""

from __future__ import annotations

import json
import logging
import time
import traceback
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from loopml._utils.clock import now_ms
from loopml.ci.verdicts import GateResult, Verdict
from loopml.store.tables import loop as t

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.ci.context import GateContext
    from loopml.ci.gates import Gate
    from loopml.store.db import Database

logger = logging.getLogger(__name__)


def evaluate_gates(gates: Sequence[Gate], ctx: GateContext, *, source: str = "ci") -> Verdict:
    """Run every gate (all of them, even after a failure) and return the verdict.

    A gate that raises is a failed gate whose ``error`` holds the traceback.
    """
    results = [_run_one(gate, ctx) for gate in gates]
    context = {
        "champion_version": None if ctx.champion is None else ctx.champion.version,
        "labelled": ctx.labelled,
        **ctx.facts,
    }
    return Verdict(ctx.model, ctx.challenger.version, tuple(results), source, now_ms(), context)


def _run_one(gate: Gate, ctx: GateContext) -> GateResult:
    started = time.perf_counter()
    name = getattr(gate, "name", type(gate).__name__)
    try:
        result = gate.check(ctx)
    except Exception as err:
        logger.warning("gate %s raised %s: %s", name, type(err).__name__, err)
        return GateResult(
            name, False, reason=f"the gate raised {type(err).__name__}: {err}",
            error=traceback.format_exc(), seconds=time.perf_counter() - started,
        )  # fmt: skip
    return GateResult(**{**result.to_dict(), "seconds": time.perf_counter() - started})


def save_verdict(db: Database, verdict: Verdict) -> Verdict:
    """Store a verdict (with a version) and return it with its id."""
    if verdict.version is None:
        return verdict
    row = {
        "model": verdict.model,
        "version": verdict.version,
        "passed": verdict.passed,
        "source": verdict.source[:256],
        "created_at": verdict.created_at or now_ms(),
        "results": [r.to_dict() for r in verdict.results],
        "context": _jsonable(verdict.context),
    }
    with db.write() as conn:
        key = conn.execute(t.gate_verdicts.insert().values(**row)).inserted_primary_key
    new_id = key[0] if key is not None else 0
    return Verdict(
        verdict.model, verdict.version, verdict.results, verdict.source,
        row["created_at"], verdict.context, int(new_id),
    )  # fmt: skip


def read_verdicts(db: Database, model: str, version: int | None = None) -> list[Verdict]:
    """Stored verdicts of a model (or of one version), newest first."""
    v = t.gate_verdicts
    query = select(v).where(v.c.model == model).order_by(v.c.id.desc())
    if version is not None:
        query = query.where(v.c.version == version)
    with db.read() as conn:
        rows = conn.execute(query).all()
    return [_from_row(r) for r in rows]


def read_verdict(db: Database, verdict_id: int) -> Verdict | None:
    """One stored verdict by id."""
    v = t.gate_verdicts
    with db.read() as conn:
        row = conn.execute(select(v).where(v.c.id == verdict_id)).first()
    return None if row is None else _from_row(row)


def _from_row(row: Any) -> Verdict:
    results = tuple(GateResult.from_dict(r) for r in row.results)
    return Verdict(
        row.model, row.version, results, row.source, row.created_at, dict(row.context), row.id
    )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
