from __future__ import annotations

import pytest

from loopml import _registry
from loopml.errors import MissingDependency, UnknownBackend
from loopml.store.blob_backends.local import LocalBlobBackend


def test_schemes_are_parsed_without_drivers() -> None:
    assert _registry.scheme_of("/tmp/x") == ""
    assert _registry.scheme_of("postgresql+psycopg://h/db") == "postgresql"
    assert _registry.scheme_of("S3://bucket") == "s3"


def test_lookup_and_load_by_scheme() -> None:
    assert _registry.load("blobs", "file") is LocalBlobBackend
    assert _registry.load("blobs", "") is LocalBlobBackend


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(UnknownBackend, match=r"known schemes: .*'memory'"):
        _registry.lookup("blobs", "ftpx")


def test_missing_optional_module_names_the_extra() -> None:
    _registry.register("online", "test-missing", "redis_does_not_exist_xyz:Store")
    error = _registry.missing_dependency(ModuleNotFoundError("no", name="redis"))
    assert isinstance(error, MissingDependency)
    assert "pip install 'loopml[redis]'" in error.message
    with pytest.raises(ModuleNotFoundError):
        _registry.load("online", "test-missing")


def test_registered_target_is_used() -> None:
    _registry.register("blobs", "test-local", "loopml.store.blob_backends.local:LocalBlobBackend")
    assert _registry.load("blobs", "test-local") is LocalBlobBackend
