from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from loopml._utils.hashing import sha256_bytes
from loopml.tracking import Tracking, capture as cap, treewatch

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "feature-x")
    (root / "train.py").write_text("print('v1')\n")
    (root / ".gitignore").write_text("data/\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    return root


def test_clean_repo_is_not_dirty(repo: Path) -> None:
    state = cap.git_state(repo)
    assert state.commit == git(repo, "rev-parse", "HEAD")
    assert state.branch == "feature-x"
    assert state.dirty is False
    assert state.diff == b""


def test_diff_rebuilds_the_exact_working_tree(repo: Path, tmp_path: Path) -> None:
    (repo / "train.py").write_text("print('v2')\n")
    (repo / "helper.py").write_text("X = 1\n")  # untracked, not ignored
    (repo / "data").mkdir()
    (repo / "data" / "big.csv").write_text("ignored\n")
    objects_before = sorted(p.name for p in (repo / ".git" / "objects").rglob("*"))
    state = cap.git_state(repo)
    assert state.dirty is True
    assert b"v2" in state.diff
    assert b"helper.py" in state.diff
    assert b"big.csv" not in state.diff
    # Capture only reads the repository: no objects written, index untouched.
    assert sorted(p.name for p in (repo / ".git" / "objects").rglob("*")) == objects_before
    assert git(repo, "status", "--porcelain").splitlines() == ["M train.py", "?? helper.py"]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True, env=GIT_ENV)
    git(clone, "checkout", "-q", state.commit or "")
    patch = tmp_path / "run.diff"
    patch.write_bytes(state.diff)
    git(clone, "apply", str(patch))
    assert (clone / "train.py").read_text() == "print('v2')\n"
    assert (clone / "helper.py").read_text() == "X = 1\n"


def test_large_untracked_files_are_skipped_and_reported(repo: Path) -> None:
    (repo / "blob.bin").write_bytes(b"x" * (cap.MAX_UNTRACKED_BYTES + 1))
    state = cap.git_state(repo)
    assert state.skipped_untracked == ("blob.bin",)
    assert b"blob.bin" not in state.diff


def test_outside_a_repository_nothing_is_recorded(tmp_path: Path) -> None:
    state = cap.git_state(tmp_path)
    assert (state.commit, state.branch, state.dirty) == (None, None, None)


def test_run_records_git_environment_and_packages(tracking: Tracking, repo: Path) -> None:
    (repo / "train.py").write_text("print('v3')\n")
    with tracking.start_run("cap", code_dir=repo) as run:
        pass
    info = tracking.get_run(run.id)
    assert info.git_commit == git(repo, "rev-parse", "HEAD")
    assert info.git_branch == "feature-x"
    assert info.git_dirty is True
    assert info.python_version == ".".join(map(str, sys.version_info[:3]))
    assert info.platform
    paths = {a.path: a for a in tracking.list_artifacts(run.id, "_loopml")}
    assert set(paths) == {
        "_loopml/git.diff",
        "_loopml/requirements.txt",
        "_loopml/environment.json",
    }
    assert paths["_loopml/git.diff"].digest == info.git_diff_digest
    requirements = tracking.load_artifact(run.id, "_loopml/requirements.txt")
    assert isinstance(requirements, str)
    assert "pytest==" in requirements.lower()
    assert info.env_digest == sha256_bytes(requirements.encode())
    environment = tracking.load_artifact(run.id, "_loopml/environment.json")
    assert isinstance(environment, dict)
    assert environment["python_version"] == info.python_version


def test_run_start_does_not_wait_for_git(
    tracking: Tracking, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Capture runs beside the run: start_run returns while git is still working."""
    real_git = subprocess.run(
        ["sh", "-c", "command -v git"], capture_output=True, text=True, check=True
    ).stdout.strip()
    fake_bin, finished = tmp_path / "slow-bin", tmp_path / "git-finished"
    fake_bin.mkdir()
    (fake_bin / "git").write_text(f'#!/bin/sh\nsleep 1\n"{real_git}" "$@"\ntouch "{finished}"\n')
    (fake_bin / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}:{os.environ['PATH']}")
    run = tracking.start_run("no-wait", code_dir=repo)
    started_before_git_finished = not finished.exists()
    run.end()
    assert started_before_git_finished
    assert finished.exists()  # git did run, and end() waited for the capture
    assert tracking.get_run(run.id).git_commit == git(repo, "rev-parse", "HEAD")


def test_a_hanging_git_never_blocks_exit(tmp_path: Path, repo: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_git = fake_bin / "git"
    fake_git.write_text("#!/bin/sh\nsleep 60\n")
    fake_git.chmod(0o755)
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import loopml as lm
            lm.configure(home={str(tmp_path / "home")!r})
            run = lm.start_run("hang", code_dir={str(repo)!r})
            run.log_metric("x", 1.0)
            print(run.id)
            """
        )
    )
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert elapsed < cap.CAPTURE_TIMEOUT_S + 8, elapsed


def test_parse_status_reads_branch_changes_renames_and_untracked() -> None:
    raw = (
        b"# branch.oid abc123\0# branch.head main\0"
        b"1 .M N... 100644 100644 100644 h1 h2 src/a b.py\0"
        b"2 R. N... 100644 100644 100644 h1 h2 R100 new.py\0old.py\0"
        b"u UU N... 100644 100644 100644 100644 h1 h2 h3 conflict.py\0"
        b"? notes/todo.txt\0"
    )
    commit, branch, changed, untracked = cap.parse_status(raw)
    assert (commit, branch) == ("abc123", "main")
    assert changed == ["src/a b.py", "new.py", "conflict.py"]
    assert untracked == ["notes/todo.txt"]
    assert cap.parse_status(b"# branch.oid (initial)\0# branch.head (detached)\0")[:2] == (
        None,
        None,
    )


def test_cached_diff_follows_later_edits(repo: Path) -> None:
    (repo / "train.py").write_text("print('edit one')\n")
    first = cap.git_state(repo)
    assert b"edit one" in first.diff
    assert cap.git_state(repo).diff == first.diff
    (repo / "train.py").write_text("print('edit two, longer')\n")
    assert b"edit two" in cap.git_state(repo).diff
    (repo / "train.py").write_text("print('v1')\n")
    assert cap.git_state(repo).dirty is False


@pytest.fixture(params=["inotify", "stat"])
def watch_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "stat":
        monkeypatch.setattr(treewatch, "_LIBC", [None])
    elif treewatch._libc() is None:
        pytest.skip("inotify is not available on this system")
    return str(request.param)


def count_git_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    calls: list[tuple[str, ...]] = []
    real = cap._git

    def counting(folder: Path, *args: str, env: dict[str, str] | None = None) -> bytes | None:
        calls.append(args)
        return real(folder, *args, env=env)

    monkeypatch.setattr(cap, "_git", counting)
    return calls


def test_git_state_is_reused_until_the_tree_changes(
    repo: Path, watch_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = cap.git_state(repo)
    calls = count_git_calls(monkeypatch)
    assert cap.git_state(repo) is first
    assert cap.cached_git_state(repo) is first
    assert calls == []  # no git process for an unchanged tree
    (repo / "train.py").write_text("print('v1')\n# edited in place\n")
    edited = cap.git_state(repo)
    assert edited.dirty is True
    assert b"edited in place" in edited.diff
    assert calls  # the change made git run again
    calls.clear()
    assert cap.git_state(repo) is edited
    assert calls == []
    (repo / "pkg" / "deep").mkdir(parents=True)
    (repo / "pkg" / "deep" / "new.py").write_text("NEW = 1\n")
    assert cap.cached_git_state(repo) is None
    assert b"NEW = 1" in cap.git_state(repo).diff
    (repo / "pkg" / "deep" / "new.py").write_text("NEW = 2\n")  # edit an untracked file
    assert b"NEW = 2" in cap.git_state(repo).diff


def test_git_state_follows_commits_and_the_index(
    repo: Path, watch_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "train.py").write_text("print('v2')\n")
    dirty = cap.git_state(repo)
    git(repo, "add", "train.py")
    assert cap.cached_git_state(repo) is None  # the index changed
    git(repo, "commit", "-qm", "second")
    committed = cap.git_state(repo)
    assert committed.commit == git(repo, "rev-parse", "HEAD") != dirty.commit
    assert committed.dirty is False
    git(repo, "reset", "-q", "--soft", "HEAD~1")  # moves the branch only
    assert cap.git_state(repo).commit == dirty.commit
    git(repo, "checkout", "-qb", "other")
    assert cap.git_state(repo).branch == "other"


def test_ignored_files_do_not_change_the_recorded_state(repo: Path, watch_kind: str) -> None:
    first = cap.git_state(repo)
    (repo / "data").mkdir()
    (repo / "data" / "rows.csv").write_text("a,b\n")
    assert cap.git_state(repo) == first


def test_cached_runs_record_the_same_capture_without_a_thread(
    tracking: Tracking, repo: Path
) -> None:
    (repo / "train.py").write_text("print('dirty')\n")
    infos = []
    for index in range(3):
        with tracking.start_run("cached", code_dir=repo) as run:
            run.log_metric("m", float(index))
            if index:
                assert run._capture_thread is None  # recorded with the run's row
        infos.append(tracking.get_run(run.id))
    columns = {
        (i.git_commit, i.git_branch, i.git_dirty, i.git_diff_digest, i.env_digest) for i in infos
    }
    assert len(columns) == 1
    assert None not in next(iter(columns))
    listed = [
        sorted((a.path, a.digest) for a in tracking.list_artifacts(i.id, "_loopml")) for i in infos
    ]
    assert listed[0] == listed[1] == listed[2]
    assert len(listed[0]) == 3


def test_package_list_matches_importlib_metadata() -> None:
    from importlib import metadata

    listed = {cap._normalise(line.split("==")[0]): line.split("==")[1] for line in cap._packages()}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and cap._normalise(name) in listed:
            continue
        pytest.fail(f"{name} {dist.version} missing from the captured package list")
    assert listed[cap._normalise("pytest")] == metadata.version("pytest")


def test_runs_in_one_process_record_edits_made_between_them(
    tracking: Tracking, repo: Path, watch_kind: str
) -> None:
    """The per-process git cache never hides an edit: each run records the tree it ran on."""

    def short_run() -> tuple[bool | None, str | None, str]:
        with tracking.start_run("edits", code_dir=repo) as run:
            run.log_metric("m", 1.0)
        info = tracking.get_run(run.id)
        diff = ""
        if info.git_diff_digest is not None:
            loaded = tracking.load_artifact(run.id, "_loopml/git.diff")
            diff = loaded if isinstance(loaded, str) else bytes(loaded).decode()  # type: ignore[arg-type]
        return info.git_dirty, info.git_commit, diff

    head = git(repo, "rev-parse", "HEAD")
    assert short_run() == (False, head, "")
    assert short_run() == (False, head, "")  # cached: same record
    (repo / "train.py").write_text("print('edited between runs')\n")
    dirty, commit, diff = short_run()
    assert (dirty, commit) == (True, head)
    assert "edited between runs" in diff
    (repo / "train.py").write_text("print('edited again')\n")
    dirty, _, diff = short_run()
    assert dirty is True
    assert "edited again" in diff
    assert "edited between runs" not in diff
    (repo / "notes.txt").write_text("untracked note\n")
    assert "untracked note" in short_run()[2]
    (repo / "train.py").write_text("print('v1')\n")
    (repo / "notes.txt").unlink()
    assert short_run() == (False, head, "")
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    assert short_run()[1] == git(repo, "rev-parse", "HEAD") != head


def test_a_linked_work_tree_records_its_own_changes(repo: Path, tmp_path: Path) -> None:
    """In a ``git worktree`` the objects live in the main repository's git dir."""
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "side", str(linked))
    assert cap.git_state(linked).dirty is False
    (linked / "train.py").write_text("print('edited in the linked tree')\n")
    (linked / "extra.py").write_text("EXTRA = 1\n")
    state = cap.git_state(linked)
    assert state.dirty is True
    assert state.branch == "side"
    assert state.commit == git(repo, "rev-parse", "HEAD")
    assert b"edited in the linked tree" in state.diff
    assert b"EXTRA = 1" in state.diff
    assert cap.git_state(repo).dirty is False  # the main tree is untouched
    (linked / "extra.py").unlink()
    git(linked, "checkout", "--", "train.py")
    assert cap.git_state(linked).dirty is False
