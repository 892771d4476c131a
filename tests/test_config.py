from __future__ import annotations

from pathlib import Path

import pytest

from loopml import config
from loopml.errors import ConfigError


def test_defaults_live_in_dot_loopml_of_the_working_folder(tmp_path: Path) -> None:
    settings = config.resolve(cwd=tmp_path, environ={})
    home = (tmp_path / ".loopml").resolve()
    assert settings.home == home
    assert settings.db_url == f"sqlite:///{home / 'loopml.db'}"
    assert settings.artifacts == str(home / "artifacts")
    assert settings.online_store == f"sqlite:///{home / 'online.db'}"
    assert settings.sources["home"] == "default"
    assert settings.experiment == "default"


def test_precedence_defaults_home_file_project_file_env_arguments(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    (home / "loopml.yaml").write_text(
        "db_url: sqlite:///from-home.db\nartifacts: home-artifacts\nexecutor: from-home\n"
        "experiment: from-home\n"
    )
    (project / "loopml.yaml").write_text(
        "artifacts: project-artifacts\nexecutor: from-project\nexperiment: from-project\n"
        "features:\n  repo: feature_repo\n"
    )
    environ = {
        "LOOPML_HOME": str(home),
        "LOOPML_EXECUTOR": "dask://127.0.0.1:8786",
        "LOOPML_EXPERIMENT": "from-env",
    }
    settings = config.resolve(cwd=project / "src", environ=environ, experiment="from-argument")
    assert settings.db_url == f"sqlite:///{(home / 'from-home.db').resolve()}"
    assert settings.artifacts == str((project / "project-artifacts").resolve())
    assert settings.executor == "dask://127.0.0.1:8786"
    assert settings.experiment == "from-argument"
    assert settings.sources["db_url"] == str(home / "loopml.yaml")
    assert settings.sources["artifacts"] == str(project / "loopml.yaml")
    assert settings.sources["executor"] == "env:LOOPML_EXECUTOR"
    assert settings.sources["experiment"] == "argument"
    assert settings.sources["home"] == "env:LOOPML_HOME"
    assert settings.project_dir == project
    assert settings.extra == {"features": {"repo": "feature_repo"}}


def test_project_file_can_set_the_home_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "loopml.yaml").write_text("home: state\n")
    settings = config.resolve(cwd=tmp_path, environ={})
    assert settings.home == (tmp_path / "state").resolve()
    assert settings.db_url.endswith("/state/loopml.db")


def test_urls_pass_through_untouched(tmp_path: Path) -> None:
    environ = {"LOOPML_DB_URL": "postgresql://u@h/db", "LOOPML_ARTIFACTS": "s3://bucket/x"}
    settings = config.resolve(cwd=tmp_path, environ=environ)
    assert settings.db_url == "postgresql://u@h/db"
    assert settings.artifacts == "s3://bucket/x"


def test_describe_lists_every_setting_with_its_source(tmp_path: Path) -> None:
    rows = config.resolve(cwd=tmp_path, environ={"LOOPML_LOG_LEVEL": "DEBUG"}).describe()
    assert [r[0] for r in rows] == list(config.ENV_VARS)
    assert ("log_level", "DEBUG", "env:LOOPML_LOG_LEVEL") in rows


def test_malformed_yaml_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "loopml.yaml").write_text("db_url: [unclosed\n")
    with pytest.raises(ConfigError, match=r"loopml\.yaml is not valid YAML"):
        config.resolve(cwd=tmp_path, environ={})
    (tmp_path / "loopml.yaml").write_text("- a list\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        config.resolve(cwd=tmp_path, environ={})


def test_unknown_explicit_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        config.resolve(cwd=tmp_path, environ={}, databse_url="x")
    settings = config.resolve(cwd=tmp_path, environ={})
    with pytest.raises(ConfigError, match="unknown setting"):
        settings.with_overrides(nope=1)
    assert settings.with_overrides(executor="process").sources["executor"] == "argument"


def test_nothing_is_read_at_import() -> None:
    import subprocess
    import sys

    code = (
        "import os; os.environ['LOOPML_DB_URL']='sqlite:///a.db'; import loopml.config as c; "
        "os.environ['LOOPML_DB_URL']='sqlite:///b.db'; print(c.resolve().db_url)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("b.db")
