"""Lazy backend registry: a URL scheme maps to a ``"module:Class"`` string.

The class is imported on first use, so the core never imports boto3, redis or dask
until a URL asks for them. Third parties add backends through the ``loopml.backends``
entry-point group, named ``"<kind>.<scheme>"`` (for example ``online.dynamodb``).
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from loopml.errors import MissingDependency, UnknownBackend

#: kind -> scheme -> "module:attribute"
BUILTIN: dict[str, dict[str, str]] = {
    "blobs": {
        "": "loopml.store.blob_backends.local:LocalBlobBackend",
        "file": "loopml.store.blob_backends.local:LocalBlobBackend",
        "memory": "loopml.store.blob_backends.fsspec:FsspecBlobBackend",
        "s3": "loopml.store.blob_backends.fsspec:FsspecBlobBackend",
        "gs": "loopml.store.blob_backends.fsspec:FsspecBlobBackend",
        "gcs": "loopml.store.blob_backends.fsspec:FsspecBlobBackend",
        "az": "loopml.store.blob_backends.fsspec:FsspecBlobBackend",
        "abfs": "loopml.store.blob_backends.fsspec:FsspecBlobBackend",
    },
    # Online feature stores (loopml.features.online): latest values by entity key.
    "online": {
        "sqlite": "loopml.features.online.sqlite:SqliteOnlineStore",
        "redis": "loopml.features.online.redis:RedisOnlineStore",
        "rediss": "loopml.features.online.redis:RedisOnlineStore",
    },
    # Model flavors: name -> "module:Class" implementing loopml.models.flavors.Flavor.
    "model_flavors": {
        "sklearn": "loopml.models.flavors.sklearn:SklearnFlavor",
        "xgboost": "loopml.models.flavors.xgboost:XGBoostFlavor",
        "lightgbm": "loopml.models.flavors.lightgbm:LightGBMFlavor",
        "python": "loopml.models.flavors.python:PythonFlavor",
    },
    # Plug-in Prometheus collectors that model servers add to their /metrics:
    # name -> "module:factory", factory(store) -> Collector. (The client hands servers
    # monitoring's gauges itself; see loopml.client.)
    "metrics_collectors": {},
    # Sources of scheduled work for the scheduler process: name -> "module:factory";
    # see loopml.pipelines.scheduler for the protocol. (The client adds monitors'.)
    "scheduled_jobs": {
        "pipelines": "loopml.pipelines.jobs:pipeline_jobs",
        "retention": "loopml.store.retention:retention_jobs",
    },
    # Pipeline executors: name or URL scheme -> "module:Class" (see loopml.pipelines.executors).
    "executors": {
        "local": "loopml.pipelines.executors.local:LocalExecutor",
        "sequential": "loopml.pipelines.executors.local:LocalExecutor",
        "threads": "loopml.pipelines.executors.local:ThreadExecutor",
        "process": "loopml.pipelines.executors.local:ProcessExecutor",
        "processes": "loopml.pipelines.executors.local:ProcessExecutor",
        "dask": "loopml.pipelines.executors.dask:DaskExecutor",
        "tcp": "loopml.pipelines.executors.dask:DaskExecutor",
    },
}

#: optional third-party module -> extra that installs it
EXTRAS: dict[str, str] = {
    "psycopg": "postgres",
    "redis": "redis",
    "dask": "dask",
    "distributed": "dask",
    "s3fs": "s3",
    "gcsfs": "gcs",
    "adlfs": "azure",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "optuna": "optuna",
    "matplotlib": "plots",
}


def scheme_of(url: str) -> str:
    """Return the scheme of ``url`` (``""`` for a plain path), without a ``+driver`` suffix."""
    if "://" not in url:
        return ""
    return url.split("://", 1)[0].split("+", 1)[0].lower()


def lookup(kind: str, scheme: str) -> str:
    """Return the ``"module:attribute"`` target registered for ``kind`` and ``scheme``.

    Raises:
        UnknownBackend: nothing is registered for that scheme.
    """
    builtin = BUILTIN.get(kind, {})
    if scheme in builtin:  # plug-ins never override a built-in scheme: skip scanning them
        return builtin[scheme]
    table = _table(kind)
    if scheme not in table:
        known = ", ".join(repr(s) for s in sorted(table) if s) or "none"
        raise UnknownBackend(
            f"no {kind} backend for scheme {scheme!r}; known schemes: {known}. "
            "Check the URL, or install the package that provides this backend."
        )
    return table[scheme]


def load(kind: str, scheme: str) -> Any:
    """Import and return the object registered for ``kind`` and ``scheme``."""
    return import_target(lookup(kind, scheme))


def import_target(target: str) -> Any:
    """Import ``"module:attribute"`` and return the attribute.

    Raises:
        MissingDependency: the module needs an optional dependency that is not installed.
    """
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise missing_dependency(err) from err
    return getattr(module, attribute)


def missing_dependency(err: ModuleNotFoundError) -> MissingDependency | ModuleNotFoundError:
    """Turn a missing optional module into a :class:`MissingDependency` naming the extra."""
    top = (err.name or "").split(".")[0]
    extra = EXTRAS.get(top)
    if extra is None:
        return err
    return MissingDependency(
        f"this feature needs the optional package {top!r}; install it with "
        f"pip install 'loopml[{extra}]'"
    )


def names(kind: str) -> list[str]:
    """Return the names registered for ``kind`` (built in and from entry points), sorted."""
    return sorted(_table(kind))


def register(kind: str, scheme: str, target: str) -> None:
    """Register ``target`` (``"module:attribute"``) for ``kind``/``scheme`` at run time."""
    _table(kind)[scheme] = target


@cache
def _plugins() -> dict[str, dict[str, str]]:
    # Scanning entry points reads every installed distribution: only on first need.
    from importlib.metadata import entry_points

    found: dict[str, dict[str, str]] = {}
    for ep in entry_points(group="loopml.backends"):
        kind, _, scheme = ep.name.partition(".")
        found.setdefault(kind, {})[scheme] = ep.value
    return found


def _table(kind: str) -> dict[str, str]:
    table = BUILTIN.setdefault(kind, {})
    for scheme, target in _plugins().get(kind, {}).items():
        table.setdefault(scheme, target)
    return table
