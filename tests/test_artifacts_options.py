"""fsspec storage options for the artifact store: from loopml.yaml, the environment, masked."""

from __future__ import annotations

import json

import pytest

from loopml import config
from loopml.errors import ConfigError
from loopml.store import Store


def test_options_come_from_the_project_file(tmp_path) -> None:
    (tmp_path / "loopml.yaml").write_text(
        "artifacts: s3://bucket/prefix\n"
        "artifacts_options:\n  endpoint_url: http://127.0.0.1:9000\n  secret: s3cr3t\n"
    )
    settings = config.resolve(cwd=tmp_path, environ={})
    assert settings.artifacts == "s3://bucket/prefix"
    assert settings.artifacts_options == {
        "endpoint_url": "http://127.0.0.1:9000",
        "secret": "s3cr3t",
    }
    shown = dict((name, value) for name, value, _ in settings.describe())
    assert "s3cr3t" not in shown["artifacts_options"]
    assert json.loads(shown["artifacts_options"])["endpoint_url"] == "http://127.0.0.1:9000"


def test_options_from_the_environment_are_json(tmp_path) -> None:
    env = {"LOOPML_ARTIFACTS_OPTIONS": '{"endpoint_url": "http://h:1", "anon": true}'}
    settings = config.resolve(cwd=tmp_path, environ=env)
    assert settings.artifacts_options == {"endpoint_url": "http://h:1", "anon": True}
    assert settings.sources["artifacts_options"] == "env:LOOPML_ARTIFACTS_OPTIONS"


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]"])
def test_bad_options_say_what_to_write(tmp_path, bad) -> None:
    with pytest.raises(ConfigError, match=r"artifacts_options|LOOPML_ARTIFACTS_OPTIONS"):
        config.resolve(cwd=tmp_path, environ={"LOOPML_ARTIFACTS_OPTIONS": bad})


def test_a_local_artifact_folder_ignores_remote_options(tmp_path) -> None:
    store = Store.open(
        "sqlite://", str(tmp_path / "artifacts"), artifacts_options={"endpoint_url": "http://x"}
    )
    try:
        assert store.put_blob(b"abc").size == 3
    finally:
        store.close()
