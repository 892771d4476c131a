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
    """Return commit, branch, dirty flag and full uncommitted diff of the repo at ``folder``."""
    if shutil.which("git") is None:
        return GitState()
    root = _git(folder, "rev-parse", "--show-toplevel")
    if root is None:
        return GitState()
    top = Path(root.decode().strip())
    commit_raw = _git(top, "rev-parse", "--verify", "-q", "HEAD")
    commit = commit_raw.decode().strip() if commit_raw else None
    branch_raw = _git(top, "symbolic-ref", "--short", "-q", "HEAD")
    branch = branch_raw.decode().strip() if branch_raw else None
    diff, skipped = _working_tree_diff(top, commit or EMPTY_TREE)
    return GitState(commit, branch, bool(diff), diff, str(top), tuple(skipped))


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


def _pick_untracked(top: Path, listing: bytes) -> tuple[list[str], list[str]]:
    """Split untracked files into those small enough to snapshot and those skipped."""
    small: list[str] = []
    skipped: list[str] = []
    total = 0
    for name in filter(None, listing.decode(errors="replace").split("\0")):
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


def _working_tree_diff(top: Path, base: str) -> tuple[bytes, list[str]]:
    untracked = _git(top, "ls-files", "--others", "--exclude-standard", "-z") or b""
    small, skipped = _pick_untracked(top, untracked)
    git_dir_raw = _git(top, "rev-parse", "--absolute-git-dir")
    if git_dir_raw is None:
        return b"", skipped
    git_dir = Path(git_dir_raw.decode().strip())
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
    return diff or b"", skipped
