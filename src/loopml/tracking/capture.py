"""Capture the code and environment behind a run: git state, Python, platform, packages.

The run calls :func:`capture` from a background daemon thread, so starting a run costs
microseconds; the run waits for it (bounded by ``CAPTURE_TIMEOUT_S``) only when it ends,
and a stuck ``git`` never blocks the interpreter from exiting (every command has a timeout).

The uncommitted diff is taken against ``HEAD`` through a temporary index that also holds
untracked, non-ignored files up to ``MAX_UNTRACKED_BYTES`` each, so ``git apply`` on a
checkout of the commit rebuilds the exact code that ran.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

CAPTURE_TIMEOUT_S = 5.0
GIT_TIMEOUT_S = 4.0
MAX_UNTRACKED_BYTES = 1 << 20
MAX_UNTRACKED_TOTAL = 16 << 20
MAX_UNTRACKED_FILES = 500
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@dataclass(frozen=True, slots=True)
class GitState:
    """Where the code came from."""

    commit: str | None = None
    branch: str | None = None
    dirty: bool | None = None
    diff: bytes = b""
    root: str | None = None
    skipped_untracked: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Environment:
    """The interpreter and packages a run used."""

    python_version: str
    platform: str
    executable: str
    packages: tuple[str, ...]
    details: dict[str, object] = field(default_factory=dict)

    def requirements(self) -> bytes:
        """Installed packages as a pip-style requirements file."""
        return ("\n".join(self.packages) + "\n").encode()

    def describe(self) -> bytes:
        """The environment as JSON (without the package list, which is its own artifact)."""
        body = {
            "python_version": self.python_version,
            "platform": self.platform,
            "executable": self.executable,
            "package_count": len(self.packages),
            **self.details,
        }
        return json.dumps(body, indent=2, sort_keys=True).encode()


@dataclass(frozen=True, slots=True)
class Capture:
    """Everything captured for one run."""

    git: GitState
    environment: Environment


def code_dir() -> Path:
    """Return the folder whose git state describes the running code.

    The folder of the ``__main__`` script when there is one, else the working directory.
    """
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if main_file:
        folder = Path(main_file).resolve().parent
        if folder.is_dir():
            return folder
    return Path.cwd()


def capture(folder: Path | None = None) -> Capture:
    """Capture git state and environment (blocking; call it from a background thread)."""
    return Capture(git_state(folder or code_dir()), environment())


def git_state(folder: Path) -> GitState:
    """Return commit, branch, dirty flag and full uncommitted diff of the repo at ``folder``.

    One ``git status`` call answers a clean tree; a dirty tree's diff is computed once and
    reused while the changed files keep their size and modification time.
    """
    if shutil.which("git") is None:
        return GitState()
    located = _locate(folder)
    if located is None:
        return GitState()
    top, git_dir = located
    status = _git(top, "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all")
    if status is None:
        return GitState(root=str(top))
    commit, branch, changed, untracked = parse_status(status)
    if not changed and not untracked:
        return GitState(commit, branch, False, b"", str(top))
    small, skipped = _pick_untracked(top, untracked)
    key = (str(top), commit, _stamp(top, changed + small))
    with _DIFF_LOCK:
        diff = _DIFFS.get(key)
    if diff is None:
        diff = _working_tree_diff(top, git_dir, commit or EMPTY_TREE, small)
        with _DIFF_LOCK:
            _DIFFS.clear()  # keep one entry: the current state of the tree
            _DIFFS[key] = diff
    return GitState(commit, branch, bool(diff), diff, str(top), tuple(skipped))


def parse_status(raw: bytes) -> tuple[str | None, str | None, list[str], list[str]]:
    """Parse ``git status --porcelain=v2 --branch -z`` into commit, branch, changed, untracked."""
    commit = branch = None
    changed: list[str] = []
    untracked: list[str] = []
    records = raw.decode(errors="replace").split("\0")
    index = 0
    while index < len(records):
        record = records[index]
        index += 1
        if record.startswith("# branch.oid "):
            value = record.removeprefix("# branch.oid ")
            commit = None if value == "(initial)" else value
        elif record.startswith("# branch.head "):
            value = record.removeprefix("# branch.head ")
            branch = None if value == "(detached)" else value
        elif record.startswith("? "):
            untracked.append(record[2:])
        elif record.startswith(("1 ", "u ")):
            changed.append(record.split(" ", 8 if record[0] == "1" else 10)[-1])
        elif record.startswith("2 "):
            changed.append(record.split(" ", 9)[-1])
            index += 1  # the original path of a rename follows in its own record
    return commit, branch, changed, untracked


_DIFFS: dict[tuple[str, str | None, tuple[tuple[str, int, int], ...]], bytes] = {}
_DIFF_LOCK = threading.Lock()


def _stamp(top: Path, paths: list[str]) -> tuple[tuple[str, int, int], ...]:
    stamps = []
    for path in sorted(paths):
        try:
            info = (top / path).stat()
            stamps.append((path, info.st_size, info.st_mtime_ns))
        except OSError:
            stamps.append((path, -1, -1))
    return tuple(stamps)


@cache
def _locate(folder: Path) -> tuple[Path, Path] | None:
    found = _git(folder, "rev-parse", "--show-toplevel", "--absolute-git-dir")
    if found is None:
        return None
    lines = found.decode().strip().splitlines()
    return (Path(lines[0]), Path(lines[1])) if len(lines) == 2 else None


@cache
def _packages() -> tuple[str, ...]:
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower()] = f"{name}=={dist.version}"
    return tuple(found[k] for k in sorted(found))


def environment() -> Environment:
    """Return the interpreter, platform and installed packages (packages are read once)."""
    return Environment(
        python_version=platform.python_version(),
        platform=platform.platform(),
        executable=sys.executable,
        packages=_packages(),
        details={
            "implementation": platform.python_implementation(),
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
            "argv": list(sys.argv),
            "cwd": os.getcwd(),
        },
    )


def _git(folder: Path, *args: str, env: dict[str, str] | None = None) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=folder,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _pick_untracked(top: Path, names: list[str]) -> tuple[list[str], list[str]]:
    """Split untracked files into those small enough to snapshot and those skipped."""
    small: list[str] = []
    skipped: list[str] = []
    total = 0
    for name in names:
        try:
            size = (top / name).stat().st_size
        except OSError:
            continue
        fits = size <= MAX_UNTRACKED_BYTES and total + size <= MAX_UNTRACKED_TOTAL
        if fits and len(small) < MAX_UNTRACKED_FILES:
            small.append(name)
            total += size
        else:
            skipped.append(name)
    return small, skipped


def _working_tree_diff(top: Path, git_dir: Path, base: str, small: list[str]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="loopml-git-") as tmp:
        temp_index = Path(tmp) / "index"
        if (git_dir / "index").is_file():
            shutil.copyfile(git_dir / "index", temp_index)
        objects = Path(tmp) / "objects"
        objects.mkdir()
        # A private index and object directory: the user's repository is only read.
        env = {
            **os.environ,
            "GIT_INDEX_FILE": str(temp_index),
            "GIT_OBJECT_DIRECTORY": str(objects),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(git_dir / "objects"),
        }
        _git(top, "add", "-u", env=env)
        for start in range(0, len(small), 200):
            _git(top, "add", "--", *small[start : start + 200], env=env)
        diff = _git(top, "diff", "--cached", "--binary", "--no-color", base, env=env)
    return diff or b""
