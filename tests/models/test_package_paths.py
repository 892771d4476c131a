"""A package never reads or writes outside itself: export, import and load refuse escapes."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, strategies as st
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app
from loopml.models import PackageCorrupted
from loopml.models.members import is_safe_member
from loopml.models.packages import MANIFEST

ESCAPES = ["../evil.py", "model/../../evil.py", "/etc/passwd", "./model.pkl", "a//b", "c:\\x", ""]


def _store_manifest(client, manifest: dict) -> str:
    return client.store.put_blob(json.dumps(manifest).encode(), "application/json").digest


def _tampered(client, ref, name: str) -> str:
    manifest = client.models.get_manifest(ref)
    files = dict(manifest["files"])
    files[name] = files.pop("model/model.pkl")
    manifest["files"] = files
    manifest["options"] = {**manifest["options"], "file": name}
    return _store_manifest(client, manifest)


@pytest.fixture
def logged(sqlite_client, frame, frame_model):
    with lm.start_run("paths") as run:
        return run.log_model(frame_model, example=frame[:5])


@pytest.mark.parametrize("name", ESCAPES)
def test_load_refuses_a_manifest_naming_a_path_outside_the_package(
    sqlite_client, logged, name
) -> None:
    digest = _tampered(sqlite_client, logged, name)
    with pytest.raises(PackageCorrupted, match="not a relative path inside the package"):
        lm.load_model(f"package:{digest}")


@pytest.mark.parametrize("name", ["../outside.pkl", "/tmp/absolute.pkl"])
def test_export_refuses_and_writes_nothing_outside(sqlite_client, logged, tmp_path, name) -> None:
    digest = _tampered(sqlite_client, logged, name)
    dest = tmp_path / "export" / "inner"
    with pytest.raises(PackageCorrupted):
        sqlite_client.models.export_model(f"package:{digest}", dest)
    assert not (tmp_path / "export" / "outside.pkl").exists()
    assert not os.path.exists("/tmp/absolute.pkl")


def test_export_refuses_a_symlink_inside_the_destination(sqlite_client, logged, tmp_path) -> None:
    dest = tmp_path / "export"
    (dest).mkdir()
    (tmp_path / "elsewhere").mkdir()
    (dest / "model").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(PackageCorrupted, match="outside"):
        sqlite_client.models.export_model(logged, dest)
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_export_then_import_round_trips(sqlite_client, logged, frame, tmp_path) -> None:
    folder = sqlite_client.models.export_model(logged, tmp_path / "exported")
    package = sqlite_client.models.import_package(folder)
    assert package.digest == logged.digest
    version = lm.register_model(package, "imported")
    assert lm.load_model(f"models:/imported/{version.version}").predict(frame[:2]).shape == (2,)


def test_import_refuses_symlinks_escapes_and_changed_files(sqlite_client, logged, tmp_path) -> None:
    folder = sqlite_client.models.export_model(logged, tmp_path / "exported")
    (tmp_path / "secret").write_text("not yours")
    (folder / "model" / "link").symlink_to(tmp_path / "secret")
    with pytest.raises(PackageCorrupted, match="symbolic link"):
        sqlite_client.models.import_package(folder)
    (folder / "model" / "link").unlink()

    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"]["../secret"] = manifest["files"]["model/model.pkl"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(PackageCorrupted, match="not a relative path"):
        sqlite_client.models.import_package(folder)

    del manifest["files"]["../secret"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    pickled = folder / "model" / "model.pkl"
    pickled.write_bytes(pickled.read_bytes() + b"!")
    with pytest.raises(PackageCorrupted, match="changed after export"):
        sqlite_client.models.import_package(folder)


def test_a_model_that_saves_a_symlink_is_refused(sqlite_client, tmp_path) -> None:
    target = tmp_path / "outside.txt"
    target.write_text("outside")

    class Linking(lm.PythonModel):
        def predict(self, context, df):
            return df

    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "link").symlink_to(target)
    with lm.start_run("paths") as run, pytest.raises(PackageCorrupted, match="symbolic link"):
        run.log_model(Linking(), artifacts={"a": tmp_path / "art"})


@given(st.text(max_size=30))
def test_safe_members_never_escape(name: str) -> None:
    if is_safe_member(name):
        assert not name.startswith("/")
        assert ".." not in name.split("/")
        assert "\x00" not in name
        assert os.path.normpath(name) == name


def test_cli_import_registers_the_package(sqlite_client, logged, tmp_path) -> None:
    folder = sqlite_client.models.export_model(logged, tmp_path / "exported")
    result = CliRunner().invoke(
        app, ["models", "import", str(folder), "--register", "cli", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["digest"] == logged.digest
    assert body["name"] == "cli"
    assert lm.get_model_version("cli", body["version"]).digest == logged.digest
