"""The default client behind ``lm.*``: created on first use, replaced by :func:`configure`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml import _hooks
from loopml.client import Client

if TYPE_CHECKING:
    import os

    from loopml.config import Settings


def get_client() -> Client:
    """Return the default client, creating it from files and environment on first use.

    ``lm.configure(...)`` replaces it; a pipeline worker process makes the pipeline's
    settings the default first, so that ``lm.*`` calls inside its steps use its store.
    """
    client: Client = _hooks.default_client()
    return client


def configure(
    settings: Settings | None = None,
    *,
    home: str | os.PathLike[str] | None = None,
    db_url: str | None = None,
    artifacts: str | None = None,
    online_store: str | None = None,
    executor: str | None = None,
    experiment: str | None = None,
    log_level: str | None = None,
    tracking_uri: str | None = None,
) -> Client:
    """Replace the default client with one built from ``settings`` and the given overrides.

    Args:
        settings: resolved settings to start from (default: resolve from ``loopml.yaml``
            files and ``LOOPML_*`` variables).
        home: folder for the embedded defaults (SQLite file, artifacts, online store).
        db_url: SQLAlchemy URL of the metadata database.
        artifacts: local path or fsspec URL of the artifact store.
        online_store: URL of the online feature store.
        executor: default pipeline executor (``local``, ``process``, ``dask://host:port``).
        experiment: experiment used when a run names none.
        log_level: level for the CLI and servers.
        tracking_uri: ``http://host:port`` of a loopml server: tracking and the model
            registry go through its REST API.

    Returns:
        The new default :class:`~loopml.Client` (the previous one is closed).

    Example:
        >>> import loopml as lm
        >>> lm.configure(db_url="sqlite://", artifacts="memory://doc")  # doctest: +ELLIPSIS
        Client(db='sqlite://', ...)
    """
    given = {
        "home": home,
        "db_url": db_url,
        "artifacts": artifacts,
        "online_store": online_store,
        "executor": executor,
        "experiment": experiment,
        "log_level": log_level,
        "tracking_uri": tracking_uri,
    }
    client = Client(settings, **{k: v for k, v in given.items() if v is not None})
    for previous in _hooks.replace_default_client(client):
        previous.close()
    return client
