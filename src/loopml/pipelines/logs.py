"""Capture what a step prints and logs, per step, even when steps share a process.

While at least one step is capturing, ``sys.stdout``/``sys.stderr`` are wrapped by a tee
that copies writes to the buffer of the step running in the current context (threads and
Dask tasks each have their own) and always passes them through; a logging handler does
the same for log records. The last capture to finish restores the original streams.
"""

from __future__ import annotations

import contextvars
import io
import logging
import sys
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from collections.abc import Iterator

MAX_LOG_CHARS = 4 << 20
_CURRENT: contextvars.ContextVar[io.StringIO | None] = contextvars.ContextVar(
    "loopml_step_log", default=None
)
_LOCK = threading.Lock()
_STATE: dict[str, Any] = {"users": 0, "stdout": None, "stderr": None, "handler": None}


class _Tee(io.TextIOBase):
    def __init__(self, original: TextIO) -> None:
        self.original = original

    def write(self, text: str) -> int:
        buffer = _CURRENT.get()
        if buffer is not None and buffer.tell() < MAX_LOG_CHARS:
            buffer.write(text)
        return self.original.write(text)

    def flush(self) -> None:
        self.original.flush()

    def isatty(self) -> bool:
        return self.original.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.original.fileno()


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        buffer = _CURRENT.get()
        if buffer is None or buffer.tell() >= MAX_LOG_CHARS:
            return
        try:
            buffer.write(self.format(record) + "\n")
        except Exception:  # a broken record must not break the step
            self.handleError(record)


@contextmanager
def capture() -> Iterator[io.StringIO]:
    """Collect this context's prints and log records into the yielded buffer."""
    buffer = io.StringIO()
    _acquire()
    token = _CURRENT.set(buffer)
    try:
        yield buffer
    finally:
        _CURRENT.reset(token)
        _release()


def _acquire() -> None:
    with _LOCK:
        if _STATE["users"] == 0:
            _STATE["stdout"], _STATE["stderr"] = sys.stdout, sys.stderr
            sys.stdout = _Tee(sys.stdout)
            sys.stderr = _Tee(sys.stderr)
            handler = _Handler()
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            logging.getLogger().addHandler(handler)
            _STATE["handler"] = handler
        _STATE["users"] += 1


def _release() -> None:
    with _LOCK:
        _STATE["users"] -= 1
        if _STATE["users"] == 0:
            sys.stdout, sys.stderr = _STATE["stdout"], _STATE["stderr"]
            logging.getLogger().removeHandler(_STATE["handler"])
            _STATE.update(stdout=None, stderr=None, handler=None)
