"""Settings: where loopml keeps metadata, artifacts and which backends it uses.

Resolution order, lowest to highest (a later source overrides an earlier one):

1. built-in defaults (``./.loopml`` home, SQLite file and artifact folder inside it);
2. ``loopml.yaml`` in the home folder;
3. ``loopml.yaml`` of the project (the current folder or its nearest parent that has one);
4. ``LOOPML_*`` environment variables;
5. explicit arguments to :func:`resolve` (``lm.Client(db_url=...)``).

Nothing is read at import time: :func:`resolve` reads the environment and files when called.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopml._utils.secrets import redact
from loopml.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

PROJECT_FILE = "loopml.yaml"

#: setting name -> environment variable
ENV_VARS: dict[str, str] = {
    "home": "LOOPML_HOME",
    "db_url": "LOOPML_DB_URL",
    "artifacts": "LOOPML_ARTIFACTS",
    "artifacts_options": "LOOPML_ARTIFACTS_OPTIONS",
    "online_store": "LOOPML_ONLINE_STORE",
    "executor": "LOOPML_EXECUTOR",
    "experiment": "LOOPML_EXPERIMENT",
    "log_level": "LOOPML_LOG_LEVEL",
    "openlineage_url": "LOOPML_OPENLINEAGE_URL",
    "tracking_uri": "LOOPML_TRACKING_URI",
}

_PATH_LIKE = {"home", "artifacts"}


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved configuration of one :class:`loopml.Client`.

    Attributes:
        home: folder for embedded defaults (SQLite file, artifacts, online store).
        db_url: SQLAlchemy URL of the metadata database.
        artifacts: local path or fsspec URL of the artifact store.
        artifacts_options: fsspec storage options of the artifact store (``endpoint_url``,
            ``key``, ``secret``... for an S3-compatible server); JSON in the environment.
        online_store: URL of the online feature store (``sqlite:///...`` or ``redis://...``).
        executor: default pipeline executor (``local``, ``process``, ``dask://host:port``).
        experiment: experiment used when a run names none.
        log_level: level for the CLI and servers (the library never configures logging).
        openlineage_url: where OpenLineage run events go (``file:///dir``,
            ``http://host/api/v1/lineage`` or ``console``); unset: none are built.
        tracking_uri: ``http://host:port`` of a loopml server (``loopml up``): tracking and
            the model registry then go to that server (see docs/server.md).
        project_dir: folder of the project ``loopml.yaml``, if one was found.
        extra: other top-level sections of ``loopml.yaml``, for components to read.
        sources: where each setting came from (``default``, a file, ``env:NAME``, ``argument``).
    """

    home: Path
    db_url: str
    artifacts: str
    online_store: str
    executor: str = "local"
    experiment: str = "default"
    log_level: str = "WARNING"
    openlineage_url: str | None = None
    tracking_uri: str | None = None
    artifacts_options: Mapping[str, Any] = field(default_factory=dict)
    project_dir: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> list[tuple[str, str, str]]:
        """Return ``(name, value, source)`` of every setting (for ``loopml config show``)."""
        rows = []
        for name in ENV_VARS:
            value = getattr(self, name)
            if name == "artifacts_options":
                shown = _masked(value)
            else:
                shown = "" if value is None else redact(str(value))
            rows.append((name, shown, self.sources.get(name, "default")))
        return rows

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with some settings replaced (their source becomes ``argument``)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s) {unknown}; known settings: {sorted(ENV_VARS)}")
        sources = dict(self.sources)
        sources.update(dict.fromkeys(overrides, "argument"))
        return replace(self, **overrides, sources=sources)


def resolve(
    cwd: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    **explicit: Any,
) -> Settings:
    """Resolve settings from defaults, ``loopml.yaml`` files, the environment and arguments.

    Args:
        cwd: folder to start looking for the project ``loopml.yaml`` (default: current folder).
        environ: environment mapping (default: ``os.environ``).
        **explicit: settings that override everything else (``home``, ``db_url``, ...).

    Returns:
        The resolved :class:`Settings`.

    Raises:
        ConfigError: a ``loopml.yaml`` is malformed or an unknown setting was passed.
    """
    env = os.environ if environ is None else environ
    start = Path(cwd) if cwd is not None else Path.cwd()
    unknown = sorted(set(explicit) - set(ENV_VARS))
    if unknown:
        raise ConfigError(f"unknown setting(s) {unknown}; known settings: {sorted(ENV_VARS)}")
    explicit = {k: v for k, v in explicit.items() if v is not None}

    project_file = find_project_file(start)
    project = _read_yaml(project_file) if project_file else {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    def take(layer: Mapping[str, Any], source: str, base: Path | None) -> None:
        for name in ENV_VARS:
            if name in layer and layer[name] is not None:
                values[name] = _normalise(name, layer[name], base)
                sources[name] = source

    base_dir = project_file.parent if project_file else start
    # The home must be known before its own loopml.yaml can be read.
    home = _resolve_home(explicit, env, project, project_file, base_dir)
    home_file = home / PROJECT_FILE
    if home_file.is_file() and home_file != project_file:
        take(_read_yaml(home_file), str(home_file), home)
    if project_file:
        take(project, str(project_file), project_file.parent)
    take({n: env[v] for n, v in ENV_VARS.items() if v in env}, "env", start)
    for name in list(sources):
        if sources[name] == "env":
            sources[name] = f"env:{ENV_VARS[name]}"
    take(explicit, "argument", start)
    values["home"], sources["home"] = home, _home_source(explicit, env, project, project_file)

    values.setdefault("db_url", f"sqlite:///{home / 'loopml.db'}")
    values.setdefault("artifacts", str(home / "artifacts"))
    values.setdefault("online_store", f"sqlite:///{home / 'online.db'}")
    extra = {k: v for k, v in project.items() if k not in ENV_VARS}
    return Settings(
        project_dir=project_file.parent if project_file else None,
        extra=extra,
        sources=sources,
        **values,
    )


def find_project_file(start: Path) -> Path | None:
    """Return the nearest ``loopml.yaml`` in ``start`` or its parents, or ``None``."""
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def _resolve_home(
    explicit: Mapping[str, Any],
    env: Mapping[str, str],
    project: Mapping[str, Any],
    project_file: Path | None,
    base_dir: Path,
) -> Path:
    if explicit.get("home") is not None:
        return Path(explicit["home"]).expanduser().resolve()
    if env.get("LOOPML_HOME"):
        return Path(env["LOOPML_HOME"]).expanduser().resolve()
    if project.get("home") is not None and project_file is not None:
        return (project_file.parent / str(project["home"])).expanduser().resolve()
    return (base_dir / ".loopml").resolve()


def _home_source(
    explicit: Mapping[str, Any],
    env: Mapping[str, str],
    project: Mapping[str, Any],
    project_file: Path | None,
) -> str:
    if explicit.get("home") is not None:
        return "argument"
    if env.get("LOOPML_HOME"):
        return "env:LOOPML_HOME"
    if project.get("home") is not None and project_file is not None:
        return str(project_file)
    return "default"


def _normalise(name: str, value: Any, base: Path | None) -> Any:
    if name == "home":
        return value
    if name == "artifacts_options":
        return _storage_options(value)
    text = str(value)
    if name in _PATH_LIKE and "://" not in text and base is not None:
        return str((base / Path(text).expanduser()).resolve())
    if name in {"db_url", "online_store"} and text.startswith("sqlite:///") and base is not None:
        path = text.removeprefix("sqlite:///")
        if path and not path.startswith("/") and path != ":memory:":
            return f"sqlite:///{(base / path).resolve()}"
    return text


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml  # only when a loopml.yaml exists

    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} is not valid YAML ({err}); fix the file or remove it") from err
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"{path} must hold a mapping such as 'db_url: sqlite:///loopml.db', "
            f"not a {type(loaded).__name__}"
        )
    return {str(k): v for k, v in loaded.items()}


_SECRET_WORDS = ("secret", "password", "token", "key", "credential")


def _storage_options(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as err:
            raise ConfigError(
                f"LOOPML_ARTIFACTS_OPTIONS {value!r} is not JSON ({err}); use an object such as "
                '{"endpoint_url": "http://127.0.0.1:9000"}'
            ) from err
    if not isinstance(value, dict):
        raise ConfigError(
            f"artifacts_options must be a mapping of fsspec storage options such as "
            f"{{endpoint_url: http://127.0.0.1:9000}}, not {type(value).__name__} {value!r}"
        )
    return {str(k): v for k, v in value.items()}


def _masked(options: Mapping[str, Any]) -> str:
    shown = {
        k: "***" if any(word in k.lower() for word in _SECRET_WORDS) else v
        for k, v in options.items()
    }
    return json.dumps(shown, sort_keys=True, default=str)
