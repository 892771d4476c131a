"""What a local run and a remote run share in front of where they write.

Both are context managers that end ``FINISHED`` on success, ``FAILED`` with the traceback
on an exception and ``KILLED`` on ``KeyboardInterrupt``; both check new params against
those already logged before anything is written. Each subclass says how it ends, writes
params and tags (:class:`~loopml.tracking.run.Run` to the store,
:class:`~loopml.remote.run.RemoteRun` over HTTP).
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Self

from loopml.tracking import validation as v

if TYPE_CHECKING:
    import threading
    from collections.abc import Mapping
    from types import TracebackType


class RunFront:
    """The shared front of a run: context management, params and tags by one key."""

    id: str
    _params: dict[str, str]
    _ended: threading.Event

    def end(self, status: str = "FINISHED", error: str | None = None) -> None:
        """Record the final status (``FINISHED``, ``FAILED`` or ``KILLED``)."""
        raise NotImplementedError

    def log_params(self, params: Mapping[str, object]) -> None:
        """Log several parameters at once."""
        raise NotImplementedError

    def set_tags(self, tags: Mapping[str, object]) -> None:
        """Set several tags at once."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ended.is_set():
            return
        if exc_type is None:
            self.end("FINISHED")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end("KILLED", error="KeyboardInterrupt")
        else:
            self.end("FAILED", error="".join(traceback.format_exception(exc_type, exc, tb)))

    @property
    def is_active(self) -> bool:
        """Whether the run still accepts data."""
        return not self._ended.is_set()

    @property
    def params(self) -> dict[str, str]:
        """Parameters logged so far (as stored text)."""
        return dict(self._params)

    def log_param(self, key: str, value: object) -> None:
        """Log one parameter; logging it again with a different value is an error."""
        self.log_params({key: value})

    def set_tag(self, key: str, value: object) -> None:
        """Set a tag (tags, unlike params, may be changed later)."""
        self.set_tags({key: value})

    def _new_params(self, params: Mapping[str, object]) -> dict[str, str]:
        """The params not logged yet, as text; raises ``ParamConflict`` on a changed value."""
        new: dict[str, str] = {}
        for key, value in params.items():
            v.check_key("param", key)
            text = v.param_value(key, value)
            known = self._params.get(key, new.get(key))
            if known is None:
                new[key] = text
            elif known != text:
                raise v.param_conflict(self.id, key, known, text)
        return new
