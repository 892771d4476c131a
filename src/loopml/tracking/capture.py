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
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from loopml.tracking.treewatch import TreeWatch

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


_ENVIRONMENTS: dict[tuple[tuple[str, ...], str], Environment] = {}


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
        cwd = os.getcwd()
        folder = _script_folder(main_file, cwd)
        return folder if os.path.isdir(folder) else Path(cwd)
    return Path.cwd()


@lru_cache(maxsize=64)
def _script_folder(main_file: str, cwd: str) -> Path:
    # Resolving walks every component of the path (one lstat each): once per script and
    # working directory (a relative ``__file__`` depends on the working directory).
    return (Path(cwd) / main_file).resolve().parent


def capture(folder: Path | None = None) -> Capture:
    """Capture git state and environment (blocking; call it from a background thread)."""
    return Capture(git_state(folder or code_dir()), environment())


def cached_capture(folder: Path | None = None) -> Capture | None:
    """Return the capture of ``folder`` from this process's caches if still valid, else ``None``.

    Never runs ``git``: a run whose capture is cached records it when it starts, without a
    background thread.
    """
    git = cached_git_state(folder or code_dir())
    return None if git is None else Capture(git, environment())


def git_state(folder: Path) -> GitState:
    """Return commit, branch, dirty flag and full uncommitted diff of the repo at ``folder``.

    The state is cached per process and reused while ``HEAD``, the branch it points at and
    the index keep their stamps and a :class:`~loopml.tracking.treewatch.TreeWatch` over
    the work tree reports no change, so a loop of short runs pays ``git status`` once.
    """
    if shutil.which("git") is None:
        return GitState()
    located = _locate(folder)
    if located is None:
        return GitState()
    top, git_dir, common_dir = located
    signature = _signature(git_dir, common_dir)
    with _STATES_LOCK:
        cached = _STATES.get(top)
    if cached is not None and cached.signature == signature and not cached.watch.changed():
        return cached.state
    watch = TreeWatch(top, _tracked(top, signature))  # armed before git status reads the tree
    state, untracked = _read_state(top, git_dir, common_dir)
    if untracked and watch.kind != "none":
        watch.close()
        watch = TreeWatch(top, [*_tracked(top, signature), *untracked])
        state, _ = _read_state(top, git_dir, common_dir)
    with _STATES_LOCK:
        previous = _STATES.get(top)
        if previous is not None:
            previous.watch.close()
        _STATES[top] = _CachedState(signature, state, watch)
    return state


def cached_git_state(folder: Path) -> GitState | None:
    """Return the cached git state of ``folder`` if it is still valid, else ``None``.

    Costs a few ``stat`` calls and one non-blocking read; never runs ``git``. A folder
    outside any repository answers an empty state once it has been looked up.
    """
    if folder not in _LOCATED:
        return None
    located = _LOCATED[folder]
    if located is None:
        return GitState()
    top, git_dir, common_dir = located
    with _STATES_LOCK:
        cached = _STATES.get(top)
    if cached is None or cached.signature != _signature(git_dir, common_dir):
        return None
    return None if cached.watch.changed() else cached.state


def _read_state(top: Path, git_dir: Path, common_dir: Path) -> tuple[GitState, list[str]]:
    status = _git(
        top,
        "status",
        "--porcelain=v2",
        "--branch",
        "-z",
        "--untracked-files=all",
        env=_read_only_env(),
    )
    if status is None:
        return GitState(root=str(top)), []
    commit, branch, changed, untracked = parse_status(status)
    if not changed and not untracked:
        return GitState(commit, branch, False, b"", str(top)), []
    small, skipped = _pick_untracked(top, untracked)
    key = (str(top), commit, _stamp(top, changed + small))
    with _DIFF_LOCK:
        diff = _DIFFS.get(key)
    if diff is None:
        diff = _working_tree_diff(top, git_dir, common_dir, commit or EMPTY_TREE, small)
        with _DIFF_LOCK:
            _DIFFS.clear()  # keep one entry: the current state of the tree
            _DIFFS[key] = diff
    # Dirty when the diff shows a change, and also when git status saw one the diff could
    # not hold (a skipped untracked file, or a diff that git failed to produce).
    dirty = bool(diff or changed or skipped)
    state = GitState(commit, branch, dirty, diff, str(top), tuple(skipped))
    return state, untracked


@dataclass(frozen=True, slots=True)
class _CachedState:
    signature: tuple[object, ...]
    state: GitState
    watch: TreeWatch


_STATES: dict[Path, _CachedState] = {}
_STATES_LOCK = threading.Lock()
_TRACKED: dict[tuple[Path, tuple[object, ...]], tuple[str, ...]] = {}


def _read_only_env() -> dict[str, str]:
    # git status may otherwise refresh the user's index; capture only reads the repository.
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}


def _signature(git_dir: Path, common_dir: Path) -> tuple[object, ...]:
    """Stamps of what a commit, checkout, reset or ``git add`` changes: HEAD, ref, index."""
    head_path, paths, common = _signature_paths(git_dir, common_dir)
    try:
        with open(head_path, "rb") as handle:
            head = handle.read()
    except OSError:
        head = b""
    ref = head[5:].strip().decode(errors="replace") if head.startswith(b"ref: ") else ""
    stamps: list[object] = [head]
    for path in (*paths, os.path.join(common, ref)) if ref else paths:
        try:
            info = os.stat(path)
            stamps.append((info.st_size, info.st_mtime_ns, info.st_ino))
        except OSError:
            stamps.append(None)
    return tuple(stamps)


@lru_cache(maxsize=16)
def _signature_paths(git_dir: Path, common_dir: Path) -> tuple[str, tuple[str, ...], str]:
    # Checked before every cached run: plain strings, joined once.
    paths = (git_dir / "index", common_dir / "packed-refs", common_dir / "info" / "exclude")
    return str(git_dir / "HEAD"), tuple(map(str, paths)), str(common_dir)


def _tracked(top: Path, signature: tuple[object, ...]) -> tuple[str, ...]:
    key = (top, signature)
    found = _TRACKED.get(key)
    if found is None:
        listed = _git(top, "ls-files", "-z", env=_read_only_env()) or b""
        found = tuple(name for name in listed.decode(errors="replace").split("\0") if name)
        _TRACKED.clear()
        _TRACKED[key] = found
    return found


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


_LOCATED: dict[Path, tuple[Path, Path, Path] | None] = {}


def _locate(folder: Path) -> tuple[Path, Path, Path] | None:
    """Return (top, git dir, common git dir) of the repository holding ``folder``."""
    if folder in _LOCATED:
        return _LOCATED[folder]
    found = _git(folder, "rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir")
    located = None
    if found is not None:
        lines = found.decode().strip().splitlines()
        if len(lines) == 3:
            top, git_dir = Path(lines[0]), Path(lines[1])
            common = Path(lines[2]) if Path(lines[2]).is_absolute() else folder / lines[2]
            located = (top, git_dir, common.resolve())
    _LOCATED[folder] = located
    return located


@cache
def _packages() -> tuple[str, ...]:
    """Installed distributions as ``name==version``, read once per process.

    Names and versions come from the ``*.dist-info`` folder names (PEP 376/427), which
    needs one directory listing per ``sys.path`` entry; only distributions without such a
    folder (old egg installs) have their metadata file parsed.
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                names = [e.name for e in listing if e.name.endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
        for name in names:
            spec = _from_folder_name(name) or _from_metadata(Path(entry or ".") / name)
            if spec is not None:
                found.setdefault(_normalise(spec[0]), f"{spec[0]}=={spec[1]}")
    return tuple(found[k] for k in sorted(found))


def _from_folder_name(name: str) -> tuple[str, str] | None:
    if not name.endswith(".dist-info"):
        return None
    stem = name.removesuffix(".dist-info")
    project, sep, version = stem.rpartition("-")
    return (project, version) if sep and project and version else None


def _from_metadata(folder: Path) -> tuple[str, str] | None:
    """Read ``Name`` and ``Version`` from an egg-info's PKG-INFO (or a METADATA file)."""
    found: dict[str, str] = {}
    for candidate in (folder / "PKG-INFO", folder / "METADATA", folder):
        try:
            with candidate.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    if not line.strip():
                        break  # headers end at the first blank line
                    field_name, sep, value = line.partition(":")
                    if sep and field_name in {"Name", "Version"}:
                        found.setdefault(field_name, value.strip())
        except OSError:
            continue
        if "Name" in found and "Version" in found:
            return found["Name"], found["Version"]
    return None


def _normalise(project: str) -> str:
    return re.sub(r"[-_.]+", "-", project).lower()


def environment() -> Environment:
    """Return the interpreter, platform and installed packages (packages are read once).

    The same object is returned while ``sys.argv`` and the working directory stay the same,
    so its requirement and description bytes are built once per process.
    """
    key = (tuple(sys.argv), os.getcwd())
    cached = _ENVIRONMENTS.get(key)
    if cached is None:
        cached = _environment()
        _ENVIRONMENTS.clear()
        _ENVIRONMENTS[key] = cached
    return cached


def _environment() -> Environment:
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


def _working_tree_diff(
    top: Path, git_dir: Path, common_dir: Path, base: str, small: list[str]
) -> bytes:
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
            # A linked work tree (git worktree) keeps its objects in the common dir.
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(common_dir / "objects"),
        }
        _git(top, "add", "-u", env=env)
        for start in range(0, len(small), 200):
            _git(top, "add", "--", *small[start : start + 200], env=env)
        diff = _git(top, "diff", "--cached", "--binary", "--no-color", base, env=env)
    return diff or b""
