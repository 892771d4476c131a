"""The default home ``./.loopml`` stays out of git: runs in a fresh project are clean."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import loopml as lm
from loopml.store.core import HOME_GITIGNORE, prepare_home

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo, *args) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def test_default_home_in_a_git_work_tree_is_ignored(tmp_path, monkeypatch) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "train.py").write_text("print('hi')\n")
    _git(repo, "add", "train.py")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    monkeypatch.chdir(repo)
    monkeypatch.delenv("LOOPML_HOME", raising=False)
    client = lm.configure()
    assert client.settings.home == (repo / ".loopml").resolve()
    with client.runs.start_run("clean", code_dir=repo) as run:
        run.log_metric("x", 1.0)
    client.close()
    assert (repo / ".loopml" / ".gitignore").read_text() == HOME_GITIGNORE
    assert _git(repo, "status", "--porcelain") == ""
    info = lm.Client(home=str(repo / ".loopml")).runs.get_run(run.id)
    assert info.git_commit is not None
    assert info.git_dirty is False


def test_an_existing_folder_gets_no_gitignore_unless_it_is_a_dot_loopml(tmp_path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    prepare_home(mine)
    assert not (mine / ".gitignore").exists()
    prepare_home(tmp_path / "new-home")
    assert (tmp_path / "new-home" / ".gitignore").exists()
