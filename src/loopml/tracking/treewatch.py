"""Know, without running ``git``, whether a work tree can have changed since a snapshot.

A :class:`TreeWatch` is armed over the folders that hold the tree's tracked and untracked
files (and every folder above them up to the top, where a new file or folder would
appear). ``changed()`` then answers in microseconds:

* on Linux through inotify: one non-blocking ``read`` of the watch descriptor tells
  whether any file in those folders was written, created, deleted, renamed, touched or
  had its mode changed since the watch was armed;
* elsewhere (or when inotify is unavailable or out of watches) by comparing the size,
  mtime and mode of every watched file and folder with the snapshot, which is exact but
  costs one ``stat`` per file, so trees above ``MAX_STAT_FILES`` files are always
  reported as changed (and re-read by ``git status``).

A watch is armed *before* the snapshot is read, so a change made while ``git status``
runs is reported on the next call, never lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes
    from collections.abc import Iterable
    from pathlib import Path

logger = logging.getLogger(__name__)

MAX_WATCHED_FOLDERS = 4_096
MAX_STAT_FILES = 2_000

# inotify(7) constants (Linux ABI).
_IN_MODIFY = 0x2
_IN_ATTRIB = 0x4
_IN_CLOSE_WRITE = 0x8
_IN_MOVED_FROM = 0x40
_IN_MOVED_TO = 0x80
_IN_CREATE = 0x100
_IN_DELETE = 0x200
_IN_DELETE_SELF = 0x400
_IN_MOVE_SELF = 0x800
_IN_ONLYDIR = 0x01000000
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
_MASK = (
    _IN_MODIFY
    | _IN_ATTRIB
    | _IN_CLOSE_WRITE
    | _IN_MOVED_FROM
    | _IN_MOVED_TO
    | _IN_CREATE
    | _IN_DELETE
    | _IN_DELETE_SELF
    | _IN_MOVE_SELF
    | _IN_ONLYDIR
)


class TreeWatch:
    """Change detector over some files of a work tree and the folders that hold them.

    Args:
        top: the work tree's top folder.
        files: paths relative to ``top`` (tracked and untracked, non-ignored files).
    """

    def __init__(self, top: Path, files: Iterable[str]) -> None:
        self._top = top
        self._files = list(files)
        self._folders = _folders(top, self._files)
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._stamps: dict[str, tuple[int, int, int]] | None = None
        self._changed = False
        if len(self._folders) <= MAX_WATCHED_FOLDERS:
            self._fd = _inotify(self._folders)
        if self._fd is None and len(self._files) <= MAX_STAT_FILES:
            self._stamps = _stamps([*self._folders, *(str(top / f) for f in self._files)])

    @property
    def kind(self) -> str:
        """``inotify``, ``stat`` or ``none`` (always reports a change)."""
        if self._fd is not None:
            return "inotify"
        return "stat" if self._stamps is not None else "none"

    def changed(self) -> bool:
        """Whether anything under the watched folders may differ from the snapshot.

        Once a change was seen, every later call answers ``True`` too.
        """
        with self._lock:
            if not self._changed:
                if self._fd is not None:
                    self._changed = _drain(self._fd)
                elif self._stamps is not None:
                    self._changed = _stamps(self._stamps) != self._stamps
                else:
                    self._changed = True
            return self._changed

    def close(self) -> None:
        """Release the inotify descriptor (the watch then reports every call as a change)."""
        with self._lock:
            self._changed = True
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._stamps = None

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def _folders(top: Path, files: list[str]) -> list[str]:
    folders = {str(top)}
    for name in files:
        parent = os.path.dirname(name)
        while parent and parent not in folders:
            folders.add(parent)
            parent = os.path.dirname(parent)
    return sorted(str(top / f) if f != str(top) else f for f in folders)


def _stamps(paths: Iterable[str]) -> dict[str, tuple[int, int, int]]:
    found: dict[str, tuple[int, int, int]] = {}
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            found[path] = (-1, -1, -1)
            continue
        found[path] = (info.st_size, info.st_mtime_ns, info.st_mode)
    return found


_LIBC: list[ctypes.CDLL | None] = []


def _libc() -> ctypes.CDLL | None:
    if not _LIBC:
        library = None
        if sys.platform.startswith("linux"):
            import ctypes  # only where inotify can be used, on first use

            # The process's own symbols hold libc's (no ``find_library``, which runs
            # ``ldconfig``); the named library is the fallback.
            for name in (None, "libc.so.6"):
                try:
                    library = ctypes.CDLL(name, use_errno=True)
                    library.inotify_init1  # noqa: B018 - probe the symbol
                    break
                except (OSError, AttributeError):
                    library = None
        _LIBC.append(library)
    return _LIBC[0]


def _inotify(folders: list[str]) -> int | None:
    libc = _libc()
    if libc is None:
        return None
    fd = int(libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC))
    if fd < 0:
        return None
    for folder in folders:
        if libc.inotify_add_watch(fd, os.fsencode(folder), _MASK) < 0:
            # Out of watches (fs.inotify.max_user_watches) or a folder vanished: fall back.
            logger.debug("inotify watch on %s failed (errno %d)", folder, _errno())
            os.close(fd)
            return None
    return fd


def _errno() -> int:
    import ctypes

    return ctypes.get_errno()


def _drain(fd: int) -> bool:
    seen = False
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return seen
        except OSError:  # pragma: no cover - descriptor broke: assume a change
            return True
        if not data:  # pragma: no cover - inotify never returns EOF
            return seen
        seen = True
